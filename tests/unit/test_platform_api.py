"""The platform API as an exam platform's server uses it (secret key, plain HTTP, JSON): list its
sessions page by page, read one session's record, events and evidence, end a live session."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

from sqlalchemy import select

from server.access.keys import create_secret_key
from server.store import AuditEntry, SecretKey
from tests.conftest import VALID_CONFIG, moment

PAGE = {"Origin": "http://localhost:5000"}
JPEG = b"\xff\xd8\xff\xe0" + b"\x02" * 300


def secret_key(app, read_only=False, institution="Test University"):
    with app.state.db.session() as s:
        return create_secret_key(s, institution, read_only=read_only)


def bearer(secret):
    return {"Authorization": f"Bearer {secret}"}


def start(client, api_key, **config):
    r = client.post("/api/v1/sessions", json={"apiKey": api_key, "config": {**VALID_CONFIG, **config}}, headers=PAGE)
    assert r.status_code == 201, r.text
    return r.json()


def post_flag(client, created, event_id, kind="MULTIPLE_FACE", media=False):
    payload = {"description": f"{kind} happened"}
    if media:
        payload["media"] = {"contentType": "image/jpeg", "size": len(JPEG)}
    r = client.post(f"/api/v1/sessions/{created['sessionId']}/events",
                    headers={**PAGE, **bearer(created["token"])},
                    json={"events": [{"id": event_id, "type": kind, "createdAt": moment(), "payload": payload}]})
    assert r.status_code == 200, r.text
    if media:
        r = client.post(f"/api/v1/sessions/{created['sessionId']}/events/{event_id}/media", content=JPEG,
                        headers={**PAGE, **bearer(created["token"]), "Content-Type": "image/jpeg"})
        assert r.status_code == 201, r.text


def test_sessions_are_listed_newest_first_in_stable_cursor_pages(client, api_key):
    secret = secret_key(client.app)
    made = [start(client, api_key, candidateId=f"c-{i}", assessmentId="final" if i % 2 else "quiz")["sessionId"]
            for i in range(25)]
    seen, cursor, pages = [], None, 0
    while True:
        r = client.get("/api/v1/sessions", params={"limit": 10, **({"cursor": cursor} if cursor else {})},
                       headers=bearer(secret))
        assert r.status_code == 200, r.text
        body = r.json()
        seen += [s["sessionId"] for s in body["data"]]
        pages += 1
        if pages == 1:  # a session created meanwhile does not shift the later pages
            start(client, api_key, candidateId="late")
        cursor = body["nextCursor"]
        if cursor is None:
            break
    assert pages == 3 and seen == list(reversed(made))
    finals = client.get("/api/v1/sessions", params={"assessmentId": "final", "limit": 100}, headers=bearer(secret)).json()
    assert {s["candidateId"] for s in finals["data"]} == {f"c-{i}" for i in range(1, 25, 2)}
    one = client.get("/api/v1/sessions", params={"candidateId": "c-3", "state": "live"}, headers=bearer(secret)).json()
    assert [s["candidateId"] for s in one["data"]] == ["c-3"] and one["nextCursor"] is None
    first = one["data"][0]
    assert first["state"] == "live" and first["reviewState"] == "unreviewed" and first["integrityScore"] == 100
    assert client.get("/api/v1/sessions", params={"state": "ended"}, headers=bearer(secret)).json()["data"] == []


def test_a_session_record_its_events_and_evidence(client, api_key):
    secret = secret_key(client.app)
    created = start(client, api_key)
    post_flag(client, created, "f-1", media=True)
    post_flag(client, created, "f-2", kind="FACE_ABSENCE")
    sid = created["sessionId"]
    record = client.get(f"/api/v1/sessions/{sid}", headers=bearer(secret)).json()
    assert record["candidateId"] == "cand-7" and record["assessmentId"] == "exam-42"
    assert record["state"] == "live" and record["concurrent"] is False and record["examDuration"] == 600
    assert [f["id"] for f in record["flags"]] == ["f-1", "f-2"]
    assert record["flags"][0]["media"] == {"contentType": "image/jpeg", "size": len(JPEG)}
    assert record["integrityScore"] < 100 and record["integrityScoreBeforeReview"] == record["integrityScore"]
    # the widget's own answer with its session token is unchanged
    assert set(client.get(f"/api/v1/sessions/{sid}", headers={**PAGE, **bearer(created["token"])}).json()) == {
        "sessionId", "startedAt", "endedAt", "reason", "examDuration", "events"}
    page1 = client.get(f"/api/v1/sessions/{sid}/events", params={"limit": 1}, headers=bearer(secret)).json()
    page2 = client.get(f"/api/v1/sessions/{sid}/events", params={"limit": 1, "cursor": page1["nextCursor"]},
                       headers=bearer(secret)).json()
    assert [e["id"] for e in page1["data"] + page2["data"]] == ["f-1", "f-2"] and page2["nextCursor"] is None
    photo = client.get(f"/api/v1/sessions/{sid}/events/f-1/media", headers=bearer(secret))
    assert photo.status_code == 200 and photo.content == JPEG and photo.headers["content-type"] == "image/jpeg"


def test_the_platform_ends_a_live_session_and_it_is_audited(client, api_key):
    secret = secret_key(client.app)
    created = start(client, api_key)
    sid = created["sessionId"]
    r = client.post(f"/api/v1/sessions/{sid}/end", headers=bearer(secret))
    assert r.status_code == 200 and r.json()["reason"] == "platform"
    assert client.post(f"/api/v1/sessions/{sid}/end", headers=bearer(secret)).json()["endedAt"] == r.json()["endedAt"]
    # the candidate's page learns it on its next exchange with the server
    refused = client.post(f"/api/v1/sessions/{sid}/events", headers={**PAGE, **bearer(created["token"])},
                          json={"events": [{"id": "late", "type": "TAB_NOT_FOCUS", "createdAt": moment(), "payload": {}}]})
    assert refused.status_code == 409 and refused.json()["code"] == "SESSION_ENDED"
    listed = client.get("/api/v1/sessions", params={"state": "ended"}, headers=bearer(secret)).json()["data"]
    assert [(s["sessionId"], s["endReason"]) for s in listed] == [(sid, "platform")]
    with client.app.state.db.session() as s:
        entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "session ended"))
        assert entry.actor == f"secret key {secret[:14]}" and entry.user_id is None and entry.target == f"session {sid}"
        assert s.scalar(select(SecretKey)).last_used_at is not None


def test_the_cli_creates_lists_and_revokes_secret_keys(tmp_path):
    db = f"sqlite:///{tmp_path / 'eye.db'}"

    def eye(*args):
        return subprocess.run([sys.executable, "-m", "server.cli", *args, "--database-url", db],
                              capture_output=True, text=True, cwd=tmp_path)

    assert eye("keys", "create", "--institution", "U", "--create-institution", "--domain", "x.u.edu").returncode == 0
    made = eye("keys", "create-secret", "--institution", "U", "--read-only")
    assert made.returncode == 0, made.stderr
    secret = made.stdout.strip().splitlines()[-1]
    assert secret.startswith("eye_sk_") and len(secret) > 40
    listed = eye("keys", "list").stdout
    assert f"{secret[:14]}  active" in listed and "read-only; never used" in listed and secret not in listed
    assert eye("keys", "create-secret", "--institution", "Nope").returncode == 2  # no institution made by a typo
    rotated = eye("keys", "rotate", secret[:14])
    new = rotated.stdout.strip().splitlines()[-1]
    assert rotated.returncode == 0 and new.startswith("eye_sk_") and new != secret
    assert eye("keys", "revoke", new[:14]).returncode == 0
    listed = eye("keys", "list").stdout
    assert f"{secret[:14]}  revoked" in listed and f"{new[:14]}  revoked" in listed and "read-only" in listed


def test_the_platform_reviews_in_its_own_ui_by_the_dashboards_rules(client, api_key):
    from tests.receiver import Receiver
    from tests.unit.test_dashboard import set_webhook

    secret = secret_key(client.app)
    receiver = Receiver()
    created = start(client, api_key)
    sid = created["sessionId"]
    post_flag(client, created, "f-1")
    post_flag(client, created, "f-2", kind="TAB_NOT_FOCUS")

    def verdict(event_id, decision, key=secret):
        return client.post(f"/api/v1/sessions/{sid}/flags/{event_id}/verdict", json={"verdict": decision}, headers=bearer(key))

    live = verdict("f-1", "dismiss")
    assert live.status_code == 409 and live.json()["code"] == "REVIEW_CLOSED" and "live" in live.json()["message"]
    client.post(f"/api/v1/sessions/{sid}/end", json={"reason": "manual"}, headers={**PAGE, **bearer(created["token"])})
    set_webhook(client.app, receiver.url)
    before = client.get(f"/api/v1/sessions/{sid}", headers=bearer(secret)).json()["integrityScore"]
    dismissed = verdict("f-1", "dismiss")
    assert dismissed.status_code == 200, dismissed.text
    assert dismissed.json()["integrityScore"] > before and dismissed.json()["reviewState"] == "in review"
    assert verdict("no-such-flag", "confirm").status_code == 422
    assert verdict("f-2", "maybe").status_code == 422
    reader = secret_key(client.app, read_only=True)
    assert verdict("f-2", "confirm", reader).json()["code"] == "READ_ONLY_KEY"
    r = client.post(f"/api/v1/sessions/{sid}/review", json={"state": "escalated"}, headers=bearer(secret))
    assert r.status_code == 422 and "note" in r.json()["details"]
    r = client.post(f"/api/v1/sessions/{sid}/review", json={"state": "escalated", "note": "left twice"}, headers=bearer(secret))
    assert r.status_code == 200 and r.json()["reviewState"] == "escalated"
    [(_, body, _)] = receiver.wait(1)
    import json as _json

    completed = _json.loads(body)
    assert completed["event"] == "ReviewCompleted" and completed["reviewer"] == f"secret key {secret[:14]}"
    assert completed["score"] == dismissed.json()["integrityScore"]
    # final unless reopened, as on the dashboard
    assert verdict("f-2", "dismiss").json()["code"] == "REVIEW_CLOSED"
    r = client.post(f"/api/v1/sessions/{sid}/reopen", json={"note": "appeal"}, headers=bearer(secret))
    assert r.status_code == 200 and r.json()["reviewState"] == "in review"
    assert verdict("f-2", "dismiss").status_code == 200
    flags = client.get(f"/api/v1/sessions/{sid}", headers=bearer(secret)).json()["flags"]
    assert {f["id"]: f["verdict"]["by"] for f in flags} == {"f-1": f"secret key {secret[:14]}", "f-2": f"secret key {secret[:14]}"}


def test_a_reviewers_claim_keeps_the_platform_off_the_session(client, api_key):
    from server.access.users import create_user
    from tests.unit.test_dashboard import login

    secret = secret_key(client.app)
    created = start(client, api_key)
    sid = created["sessionId"]
    post_flag(client, created, "f-1")
    client.post(f"/api/v1/sessions/{sid}/end", json={"reason": "manual"}, headers={**PAGE, **bearer(created["token"])})
    with client.app.state.db.session() as s:
        create_user(s, "Test University", "rev@test.edu", "correct horse battery")
    login(client)
    client.get(f"/dashboard/sessions/{sid}")  # the reviewer opens it: it is theirs for 15 minutes
    r = client.post(f"/api/v1/sessions/{sid}/flags/f-1/verdict", json={"verdict": "dismiss"}, headers=bearer(secret))
    assert r.status_code == 409 and r.json()["code"] == "SESSION_CLAIMED" and "rev@test.edu" in r.json()["message"]


def test_a_platform_provisions_an_institution_without_a_shell(client):
    """Webhook, a publishable key with launch tokens, a reviewer's invitation and a read-only
    secret key — each secret in its answer only, each change audited with the key as actor."""
    from server.access.institutions import institution_named

    with client.app.state.db.session() as s:
        institution_named(s, "Test University", True)
    client.app.state.options = dataclasses.replace(client.app.state.options, webhook_allow=("127.0.0.1",))
    secret = secret_key(client.app)
    auth = bearer(secret)
    assert client.get("/api/v1/webhook", headers=auth).json() == {"url": None, "secretSet": False}
    hook = client.put("/api/v1/webhook", json={"url": "http://127.0.0.1:9/eye"}, headers=auth).json()
    assert hook["url"] == "http://127.0.0.1:9/eye" and hook["secret"].startswith("whsec_")
    assert "secret" not in client.get("/api/v1/webhook", headers=auth).json()
    rotated = client.post("/api/v1/webhook/rotate-secret", headers=auth).json()["secret"]
    assert rotated.startswith("whsec_") and rotated != hook["secret"]
    private = client.put("/api/v1/webhook", json={"url": "http://10.0.0.8/hook"}, headers=auth)
    assert private.status_code == 422 and "url" in private.json()["details"]

    made = client.post("/api/v1/keys", json={"domains": ["localhost:5000"], "requireLaunchToken": True}, headers=auth)
    assert made.status_code == 201
    key = made.json()
    assert key["key"].startswith("eye_") and key["launchSecret"].startswith("eyl_") and key["requireLaunchToken"]
    listed = client.get("/api/v1/keys", headers=auth).json()["data"]
    assert [k["prefix"] for k in listed] == [key["prefix"]] and "key" not in listed[0]
    # the new key works in an exam page, with a launch token from its secret
    refused = client.post("/api/v1/sessions", json={"apiKey": key["key"], "config": VALID_CONFIG}, headers=PAGE)
    assert refused.json()["code"] == "INVALID_LAUNCH_TOKEN"
    bad = client.post("/api/v1/keys", json={"domains": ["https://x.edu/path"]}, headers=auth)
    assert bad.status_code == 422 and "domains" in bad.json()["details"]
    revoked = client.post(f"/api/v1/keys/{key['prefix']}/revoke", headers=auth).json()
    assert revoked["revokedAt"] is not None

    invited = client.post("/api/v1/users", json={"email": "Grader@Test.edu", "role": "reviewer"}, headers=auth)
    assert invited.status_code == 201
    assert invited.json()["state"] == "invited" and "/dashboard/invite/" in invited.json()["inviteUrl"]
    assert client.get(invited.json()["inviteUrl"].split("eye.test", 1)[-1]).status_code == 200  # the link works
    assert client.post("/api/v1/users", json={"email": "x@test.edu", "role": "boss"}, headers=auth).json()["details"] == {
        "role": "role 'boss': expected one of admin, reviewer, auditor"}
    assert [u["email"] for u in client.get("/api/v1/users", headers=auth).json()["data"]] == ["grader@test.edu"]

    reader = client.post("/api/v1/secret-keys", json={"readOnly": True}, headers=auth).json()
    assert reader["key"].startswith("eye_sk_") and reader["readOnly"] is True
    assert client.post("/api/v1/secret-keys", headers=bearer(reader["key"])).json()["code"] == "READ_ONLY_KEY"
    assert {k["prefix"] for k in client.get("/api/v1/secret-keys", headers=auth).json()["data"]} == {secret[:14], reader["prefix"]}
    client.post(f"/api/v1/secret-keys/{reader['prefix']}/revoke", headers=auth)
    assert client.get("/api/v1/sessions", headers=bearer(reader["key"])).status_code == 401
    with client.app.state.db.session() as s:
        actors = {e.action for e in s.scalars(select(AuditEntry).where(AuditEntry.actor == f"secret key {secret[:14]}"))}
    assert {"settings changed", "webhook secret rotated", "key created", "key revoked", "user invited"} <= actors


def test_each_platform_request_counts_once_against_the_keys_rate_limit(client, api_key):
    """A review or a reopen answers the session's record: one request, one hit of the limit."""
    secret = secret_key(client.app)
    created = start(client, api_key)
    sid = created["sessionId"]
    client.post(f"/api/v1/sessions/{sid}/end", json={"reason": "manual"}, headers={**PAGE, **bearer(created["token"])})
    limit = client.app.state.limits["secret_key"]

    def left() -> int:
        return limit._limiter.get_window_stats(limit.item, "eye", limit.name, secret[:14]).remaining  # noqa: SLF001

    for method, path, body in (("GET", f"/api/v1/sessions/{sid}", None),
                               ("POST", f"/api/v1/sessions/{sid}/review", {"state": "cleared"}),
                               ("POST", f"/api/v1/sessions/{sid}/reopen", {"note": "appeal"})):
        before = left()
        assert client.request(method, path, json=body, headers=bearer(secret)).status_code == 200, path
        assert before - left() == 1, path
