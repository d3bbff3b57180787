"""Attacks on the platform API: the wrong kind of credential, a read-only key writing, one
institution's key on another's sessions, revoked keys, tampered cursors, absurd limits."""

from __future__ import annotations

import base64
import json

from sqlalchemy import select

from server.access.keys import create_secret_key, find_secret_key, revoke_key
from server.store import ExamSession

from .conftest import ORIGIN, auth, flag, start


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
        from server.access.institutions import institution_named

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


def test_a_candidate_is_exported_and_deleted_through_the_api_and_nothing_is_left(tmp_path):
    """A GDPR request from the platform's server: the export has every session; the deletion
    removes rows and files, and the personal data is gone from the SQLite files."""
    from urllib.parse import quote

    from fastapi.testclient import TestClient

    from server.access.keys import create_key
    from server.app import close_app, create_app

    db_path, media = tmp_path / "eye.db", tmp_path / "media"
    app = create_app(f"sqlite:///{db_path}", static_dir=tmp_path / "static", media_dir=media)
    with app.state.db.session() as s:
        key = create_key(s, "Test University", ["localhost:5000"])
        other_key = create_key(s, "Other College", ["localhost:5000"])
    secret, other = secret_key(app), secret_key(app, "Other College")
    weird = "gdpr/../cand 8311 ✓"
    try:
        with TestClient(app, base_url="http://eye.test") as c:
            victim = start(c, key, candidateId=weird, candidateFirstName="Zebulonia", candidateEmail="ada.unique.8311@x.edu").json()
            start(c, key, candidateId=weird, assessmentId="exam-2", candidateFirstName="Zebulonia").json()
            same_id_elsewhere = start(c, other_key, candidateId=weird).json()
            flag(c, victim, description="Zebulonia left the room")
            path = f"/api/v1/candidates/{quote(weird, safe='')}"
            exported = c.get(path + "/export", headers=bearer(secret))
            assert exported.status_code == 200 and exported.json()["candidateId"] == weird
            assert len(exported.json()["sessions"]) == 2
            assert c.delete(path, headers=bearer(secret_key(app, read_only=True))).status_code == 403
            gone = c.delete(path, headers=bearer(secret))
            assert gone.status_code == 200 and gone.json() == {"candidateId": weird, "deletedSessions": 2}
            assert c.delete(path, headers=bearer(secret)).json()["deletedSessions"] == 0
            assert c.get(path + "/export", headers=bearer(secret)).json()["sessions"] == []
            # the same candidate id in another institution is that institution's, untouched
            kept = c.get(f"/api/v1/sessions/{same_id_elsewhere['sessionId']}", headers=bearer(other))
            assert kept.status_code == 200
            audit = c.get("/api/v1/sessions", headers=bearer(secret)).json()["data"]
            assert audit == []
    finally:
        close_app(app)
    assert not (media / victim["sessionId"]).exists()
    for file in (p for p in tmp_path.iterdir() if p.name.startswith("eye.db")):
        data = file.read_bytes()
        for personal in (b"Zebulonia", b"ada.unique.8311"):
            assert personal not in data, (file.name, personal)


def test_an_idempotency_key_carries_a_request_out_once_and_refuses_another_body(client, api_key):
    from server.store import WebhookOutbox
    from tests.unit.test_dashboard import set_webhook

    secret = secret_key(client.app)
    created = start(client, api_key).json()
    sid = created["sessionId"]
    flag(client, created)
    client.post(f"/api/v1/sessions/{sid}/end", json={"reason": "manual"},
                headers={**ORIGIN, "Authorization": f"Bearer {created['token']}"})
    set_webhook(client.app, "http://127.0.0.1:9/never")
    once = {**bearer(secret), "Idempotency-Key": "escalate-42"}
    first = client.post(f"/api/v1/sessions/{sid}/review", json={"state": "escalated", "note": "n"}, headers=once)
    again = client.post(f"/api/v1/sessions/{sid}/review", json={"state": "escalated", "note": "n"}, headers=once)
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    with client.app.state.db.session() as s:  # carried out once: one ReviewCompleted, not two
        assert s.scalars(select(WebhookOutbox.kind).where(WebhookOutbox.session_id == sid)).all().count("review") == 1
    other = client.post(f"/api/v1/sessions/{sid}/review", json={"state": "cleared"}, headers=once)
    assert other.status_code == 409 and other.json()["code"] == "IDEMPOTENCY_KEY_REUSED"
    # another credential's key of the same name is another key; an answer that did not happen is not kept
    outsider = client.post(f"/api/v1/sessions/{sid}/review", json={"state": "cleared"},
                           headers={**bearer("eye_sk_forged"), "Idempotency-Key": "escalate-42"})
    assert outsider.status_code == 401
    assert client.post(f"/api/v1/sessions/{sid}/review", json={"state": "cleared"},
                       headers={**bearer("eye_sk_forged"), "Idempotency-Key": "escalate-42"}).status_code == 401
    too_long = client.post(f"/api/v1/sessions/{sid}/end", headers={**bearer(secret), "Idempotency-Key": "x" * 256})
    assert too_long.status_code == 400 and "Idempotency-Key" in too_long.json()["message"]


def test_one_institutions_key_cannot_provision_anothers(client, api_key):
    from server.access.institutions import institution_named

    mine = secret_key(client.app)
    with client.app.state.db.session() as s:
        institution_named(s, "Other College", True)
    theirs = secret_key(client.app, "Other College")
    their_key = client.post("/api/v1/keys", json={"domains": ["their.example.edu"]}, headers=bearer(theirs)).json()
    their_reader = client.post("/api/v1/secret-keys", json={"readOnly": True}, headers=bearer(theirs)).json()
    for path in (f"/api/v1/keys/{their_key['prefix']}/revoke", f"/api/v1/secret-keys/{their_reader['prefix']}/revoke",
                 f"/api/v1/keys/{api_key[:12]}x/revoke"):
        r = client.post(path, headers=bearer(mine))
        assert r.status_code == 404 and r.json()["code"] == "NOT_FOUND", path
    assert their_key["prefix"] not in {k["prefix"] for k in client.get("/api/v1/keys", headers=bearer(mine)).json()["data"]}
    assert client.get("/api/v1/keys", headers=bearer(theirs)).json()["data"][0]["revokedAt"] is None
    # and a read-only key provisions nothing
    reader = secret_key(client.app, read_only=True)
    for method, path, body in (("PUT", "/api/v1/webhook", {"url": None}), ("POST", "/api/v1/keys", {"domains": ["x.edu"]}),
                               ("POST", "/api/v1/users", {"email": "a@b.edu"}), ("POST", "/api/v1/secret-keys", {})):
        r = client.request(method, path, json=body, headers=bearer(reader))
        assert r.status_code == 403 and r.json()["code"] == "READ_ONLY_KEY", path


def test_an_operators_key_provisions_institutions_and_acts_for_the_one_it_names(client, api_key):
    with client.app.state.db.session() as s:
        operator = create_secret_key(s, None)
    institution_key = secret_key(client.app)
    op = bearer(operator)
    assert client.post("/api/v1/institutions", json={"name": "New College"}, headers=bearer(institution_key)).json()[
        "code"] == "OPERATOR_ONLY"
    made = client.post("/api/v1/institutions", json={"name": "New College", "retentionDays": 90}, headers=op)
    assert made.status_code == 201 and made.json()["retentionDays"] == 90
    assert client.post("/api/v1/institutions", json={"name": "New College"}, headers=op).status_code == 409
    assert {i["name"] for i in client.get("/api/v1/institutions", headers=op).json()["data"]} == {"Test University", "New College"}
    assert client.get("/api/v1/sessions", headers=op).json()["code"] == "INSTITUTION_REQUIRED"
    assert client.get("/api/v1/sessions", headers={**op, "Eye-Institution": "Nowhere"}).status_code == 404
    new = {**op, "Eye-Institution": "New College"}
    key = client.post("/api/v1/keys", json={"domains": ["localhost:5000"]}, headers=new).json()["key"]
    created = start(client, key).json()
    # it sees the institution it names, and only that one
    assert [s["sessionId"] for s in client.get("/api/v1/sessions", headers=new).json()["data"]] == [created["sessionId"]]
    by_id = {**op, "Eye-Institution": str(made.json()["id"])}
    assert client.get(f"/api/v1/sessions/{created['sessionId']}", headers=by_id).status_code == 200
    old = start(client, api_key).json()
    assert client.get(f"/api/v1/sessions/{old['sessionId']}", headers=new).status_code == 404


def _timed(client, method, path, headers):
    import time

    began = time.perf_counter()
    answer = client.request(method, path, headers=headers)
    return time.perf_counter() - began, answer


def test_timing_does_not_tell_another_institutions_session_from_one_that_does_not_exist(client, api_key):
    """An attacker with institution B's key guesses session ids of A. A session of A that is heavy to
    read (1,500 events, a photo) must answer B as fast as an id that exists nowhere: the ownership
    check comes before anything is loaded. Pairs are alternated so the machine's speed and load
    cancel out; the owner reading the same record shows that the measurement does see a heavy read."""
    from statistics import median

    from tests.conftest import VALID_CONFIG, moment

    created = start(client, api_key).json()
    candidate = VALID_CONFIG["candidateId"]
    sid, token = created["sessionId"], auth(created["token"])
    event = flag(client, created)
    for batch in range(3):
        events = [{"id": f"t{batch}-{i}", "type": "TAB_NOT_FOCUS" if i % 7 == 0 else "TAB_FOCUS_CHANGE", "createdAt": moment(),
                   "payload": {"description": "x" * 80}} for i in range(500)]
        assert client.post(f"/api/v1/sessions/{sid}/events", json={"events": events}, headers=token).status_code == 200
    with client.app.state.db.session() as s:
        from server.access.institutions import institution_named

        institution_named(s, "Other College", True)
    owner = bearer(secret_key(client.app))
    missing = "00000000-0000-4000-8000-000000000000"
    routes = [("GET", f"/api/v1/sessions/{sid}"), ("GET", f"/api/v1/sessions/{sid}/events?limit=100"),
              ("GET", f"/api/v1/sessions/{sid}/events/{event}/media"),
              ("GET", f"/api/v1/candidates/{candidate}/export")]
    for method, path in routes:
        other = bearer(secret_key(client.app, "Other College"))  # a key a route: under its rate limit
        guess = path.replace(sid, missing).replace(candidate, "nobody-at-all")
        theirs, nowhere = [], []
        for _ in range(60):
            t, a = _timed(client, method, path, other)
            u, b = _timed(client, method, guess, other)
            theirs.append(t)
            nowhere.append(u)
            echoed = b.text.replace("nobody-at-all", candidate).replace(missing, sid)  # the id asked for, echoed
            assert (a.status_code, a.text) == (b.status_code, echoed), path  # the same words, too
        ratio = median(theirs) / median(nowhere)
        assert 0.67 < ratio < 1.5, f"{path}: another institution's {median(theirs) * 1e3:.2f} ms vs none " \
                                   f"{median(nowhere) * 1e3:.2f} ms"
    reads = [_timed(client, "GET", f"/api/v1/sessions/{sid}", owner)[0] for _ in range(15)]
    other = bearer(secret_key(client.app, "Other College"))
    refused = [_timed(client, "GET", f"/api/v1/sessions/{sid}", other)[0] for _ in range(15)]
    assert median(reads) > 2 * median(refused)  # the instrument sees a heavy read when there is one
