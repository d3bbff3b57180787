"""Attacks on the platform API: the wrong kind of credential, a read-only key writing, one
institution's key on another's sessions, revoked keys, tampered cursors, absurd limits."""

from __future__ import annotations

import base64
import json

from sqlalchemy import select

from server.keys import create_secret_key, find_secret_key, revoke_key
from server.store import ExamSession

from .conftest import ORIGIN, flag, start


def secret_key(app, institution="Test University", read_only=False):
    with app.state.db.session() as s:
        return create_secret_key(s, institution, read_only=read_only)


def bearer(secret):
    return {"Authorization": f"Bearer {secret}"}


def test_only_a_secret_key_opens_the_platform_routes(client, api_key):
    created = start(client, api_key).json()
    sid = created["sessionId"]
    for credential, received in ((api_key, "publishable"), (created["token"], "session token"), ("", "nothing"),
                                 ("eye_sk_made-up", "unknown")):
        r = client.get("/api/v1/sessions", headers=bearer(credential) if credential else {})
        assert r.status_code == 401 and r.json()["code"] == "INVALID_SECRET_KEY", received
        assert "eye_sk_" in r.json()["message"] or "not valid" in r.json()["message"]
    r = client.get("/api/v1/sessions", headers=bearer(api_key))
    assert "publishable" in r.json()["message"]  # says what it expected and what it received
    # ... and a secret key is never accepted where the publishable key goes (the exam page)
    secret = secret_key(client.app)
    r = client.post("/api/v1/sessions", json={"apiKey": secret, "config": {}}, headers=ORIGIN)
    assert r.status_code in (401, 422) and r.json()["code"] in ("INVALID_API_KEY", "INVALID_CONFIG")
    from tests.conftest import VALID_CONFIG

    r = client.post("/api/v1/sessions", json={"apiKey": secret, "config": VALID_CONFIG}, headers=ORIGIN)
    assert r.status_code == 401 and r.json()["code"] == "INVALID_API_KEY" and "secret key" in r.json()["message"]
    # a session token still cannot end someone else's session, nor a secret key be faked by prefix
    assert client.post(f"/api/v1/sessions/{sid}/end", headers=bearer("eye_sk_" + "x" * 40)).status_code == 401


def test_a_read_only_key_reads_but_never_writes(client, api_key):
    reader = secret_key(client.app, read_only=True)
    sid = start(client, api_key).json()["sessionId"]
    assert client.get(f"/api/v1/sessions/{sid}", headers=bearer(reader)).status_code == 200
    r = client.post(f"/api/v1/sessions/{sid}/end", headers=bearer(reader))
    assert r.status_code == 403 and r.json()["code"] == "READ_ONLY_KEY"
    with client.app.state.db.session() as s:
        assert s.get(ExamSession, sid).ended_at is None


def test_another_institutions_session_is_a_404_like_one_that_does_not_exist(client, api_key):
    created = start(client, api_key).json()
    event = flag(client, created)
    sid = created["sessionId"]
    with client.app.state.db.session() as s:
        from server.institutions import institution_named

        institution_named(s, "Other College", True)
    other = secret_key(client.app, "Other College")
    for method, path in (("GET", f"/api/v1/sessions/{sid}"), ("GET", f"/api/v1/sessions/{sid}/events"),
                         ("GET", f"/api/v1/sessions/{sid}/events/{event}/media"), ("POST", f"/api/v1/sessions/{sid}/end")):
        theirs = client.request(method, path, headers=bearer(other))
        missing = client.request(method, path.replace(sid, "00000000-0000-0000-0000-000000000000"), headers=bearer(other))
        assert theirs.status_code == missing.status_code == 404, path
        assert theirs.json() == missing.json(), path
    assert client.get("/api/v1/sessions", headers=bearer(other)).json()["data"] == []
    with client.app.state.db.session() as s:
        assert s.get(ExamSession, sid).ended_at is None


def test_a_revoked_secret_key_is_refused_at_once(client, api_key):
    secret = secret_key(client.app)
    assert client.get("/api/v1/sessions", headers=bearer(secret)).status_code == 200
    with client.app.state.db.session() as s:
        revoke_key(find_secret_key(s, secret))
    r = client.get("/api/v1/sessions", headers=bearer(secret))
    assert r.status_code == 401 and r.json()["code"] == "INVALID_SECRET_KEY"


def test_tampered_cursors_and_absurd_limits_are_clear_400s(client, api_key):
    secret = secret_key(client.app)
    sid = start(client, api_key).json()["sessionId"]

    def forged(values):
        return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")

    for cursor in ("garbage!", forged({"a": 1}), forged(["not a time", "x"]), forged([1, 2, 3]), "é", forged([None])):
        r = client.get("/api/v1/sessions", params={"cursor": cursor}, headers=bearer(secret))
        assert r.status_code == 400 and r.json()["code"] == "INVALID_CURSOR", cursor
        r = client.get(f"/api/v1/sessions/{sid}/events", params={"cursor": cursor}, headers=bearer(secret))
        assert r.status_code == 400 and r.json()["code"] == "INVALID_CURSOR", cursor
    for limit in ("0", "101", "-5", "99999999999999999999999"):
        r = client.get("/api/v1/sessions", params={"limit": limit}, headers=bearer(secret))
        assert r.status_code in (400, 422) and "limit" in json.dumps(r.json()), limit
    for name, value in (("state", "dead"), ("reviewState", "approved"), ("createdAfter", "yesterday")):
        r = client.get("/api/v1/sessions", params={name: value}, headers=bearer(secret))
        assert r.status_code in (400, 422) and name in json.dumps(r.json()), name
    # a well-formed cursor of another institution's session still only reaches one's own
    with client.app.state.db.session() as s:
        started = s.scalar(select(ExamSession.started_at))
    later = forged([started.isoformat().replace("+00:00", "") + "+00:00", "ffffffff"])
    r = client.get("/api/v1/sessions", params={"cursor": later}, headers=bearer(secret))
    assert r.status_code == 200
