"""``eye.client``: the Python client a platform's server uses — against the real app (pages,
records, evidence, review, errors as :class:`EyeError`), and its retries: a dropped connection or
a 429 is retried with the same Idempotency-Key, so the server does the work once."""

from __future__ import annotations

import httpx
import pytest
from starlette.testclient import TestClient

from eye.answers import SessionSummary
from eye.client import EyeClient, EyeError
from tests.unit.test_platform_api import JPEG, bearer, post_flag, secret_key, start


def eye_for(client: TestClient, secret: str, institution: str | None = None) -> EyeClient:
    """The client on the test app (a TestClient is an httpx.Client)."""
    http = TestClient(client.app, base_url=f"{client.base_url}/api/v1", headers={"Authorization": f"Bearer {secret}"})
    return EyeClient(str(client.base_url), secret, institution=institution, _http=http)


def test_the_client_iterates_every_page_and_reads_a_record_its_events_and_photo(client, api_key):
    eye = eye_for(client, secret_key(client.app))
    made = [start(client, api_key, candidateId=f"c/{i}", assessmentId="final" if i % 2 else "quiz")["sessionId"]
            for i in range(7)]
    listed = list(eye.sessions.list(page_size=3))  # three pages, fetched as iterated
    assert [s.sessionId for s in listed] == list(reversed(made)) and all(isinstance(s, SessionSummary) for s in listed)
    assert {s.candidateId for s in eye.sessions.list(assessment_id="final")} == {"c/1", "c/3", "c/5"}
    created = start(client, api_key, candidateId="cand/with slash")
    post_flag(client, created, "f-1", media=True)
    post_flag(client, created, "f-2", kind="FACE_ABSENCE")
    record = eye.sessions.get(created["sessionId"])
    assert record.candidateId == "cand/with slash" and [f.id for f in record.flags] == ["f-1", "f-2"]
    assert [e.id for e in eye.sessions.events(created["sessionId"], page_size=1)] == ["f-1", "f-2"]
    assert eye.sessions.media(created["sessionId"], "f-1") == JPEG
    exported = eye.candidates.export("cand/with slash")
    assert [s.sessionId for s in exported.sessions] == [created["sessionId"]]


def test_the_client_reviews_ends_and_raises_the_servers_error_codes(client, api_key):
    secret = secret_key(client.app)
    eye = eye_for(client, secret)
    created = start(client, api_key)
    sid = created["sessionId"]
    post_flag(client, created, "f-1")
    with pytest.raises(EyeError) as live:
        eye.sessions.decide(sid, "f-1", "dismiss")
    assert live.value.status == 409 and live.value.code == "REVIEW_CLOSED"
    ended = eye.sessions.end(sid)
    assert ended.reason == "platform"
    decided = eye.sessions.decide(sid, "f-1", "dismiss", "a reflection")
    assert decided.integrityScore == 100 and decided.reviewState == "in review"
    with pytest.raises(EyeError) as no_note:
        eye.sessions.review(sid, "escalated")
    assert no_note.value.code == "INVALID_REQUEST" and "note" in no_note.value.details
    assert eye.sessions.review(sid, "cleared").reviewState == "cleared"
    with pytest.raises(EyeError) as missing:
        eye.sessions.get("no-such-session")
    assert missing.value.status == 404 and missing.value.code == "NOT_FOUND"
    reader = eye_for(client, secret_key(client.app, read_only=True))
    with pytest.raises(EyeError) as read_only:
        reader.sessions.end(start(client, api_key)["sessionId"])
    assert read_only.value.code == "READ_ONLY_KEY"
    assert eye.candidates.delete("cand-7").deletedSessions == 2  # VALID_CONFIG's candidate, both sessions
    assert list(eye.sessions.list()) == []


def test_the_client_provisions_with_an_operators_key(client):
    from server.access.keys import create_secret_key

    with client.app.state.db.session() as s:
        operator = create_secret_key(s, None)  # no institution: the operator's
    eye = eye_for(client, operator)
    made = eye.institutions.create("North College", retention_days=60)
    assert made.name == "North College" and "North College" in {i.name for i in eye.institutions.list()}
    north = eye_for(client, operator, institution="North College")
    key = north.keys.create(["exams.north.edu"])
    assert key.key and key.key.startswith("eye_") and not key.key.startswith("eye_sk_") and [k.prefix for k in north.keys.list()] == [key.prefix]
    invited = north.users.invite("rev@north.edu", "reviewer")
    assert invited.inviteUrl and invited.state == "invited"
    reporting = north.secret_keys.create(read_only=True)
    assert reporting.key and reporting.readOnly and north.secret_keys.revoke(reporting.prefix).revokedAt
    with pytest.raises(EyeError) as unnamed:
        eye.keys.list()
    assert unnamed.value.code == "INSTITUTION_REQUIRED"


def test_a_publishable_key_is_refused_before_any_request():
    with pytest.raises(ValueError, match="secret_key: expected a secret key"):
        EyeClient("https://eye.example.edu", "eye_gnDExtHn1sCc5N8zonxnzybPIBs8oW")


def test_a_dropped_connection_and_a_429_are_retried_with_the_same_idempotency_key(monkeypatch):
    monkeypatch.setattr("eye.client.time.sleep", lambda seconds: None)
    seen: list[httpx.Request] = []

    def server(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if len(seen) == 1:
            raise httpx.ConnectError("connection reset", request=request)
        if len(seen) == 2:
            return httpx.Response(429, headers={"Retry-After": "2"},
                                  json={"code": "RATE_LIMITED", "message": "slow down", "details": {}})
        return httpx.Response(200, json={"sessionId": "s-1", "endedAt": "2026-12-03T10:00:00+00:00", "reason": "platform"})

    eye = EyeClient("https://eye.example.edu", "eye_sk_test", transport=httpx.MockTransport(server))
    assert eye.sessions.end("s/1").reason == "platform"
    assert [r.url.raw_path for r in seen] == [b"/api/v1/sessions/s%2F1/end"] * 3
    keys = {r.headers["Idempotency-Key"] for r in seen}
    assert len(keys) == 1 and keys.pop().startswith("eye-client-")
    assert all(r.headers["Authorization"] == "Bearer eye_sk_test" for r in seen)


def test_retries_end_and_the_last_answer_is_raised(monkeypatch):
    monkeypatch.setattr("eye.client.time.sleep", lambda seconds: None)

    def server(request: httpx.Request) -> httpx.Response:
        return httpx.Response(429, json={"code": "RATE_LIMITED", "message": "slow down", "details": {}})

    eye = EyeClient("https://eye.example.edu", "eye_sk_test", max_retries=1, transport=httpx.MockTransport(server))
    with pytest.raises(EyeError) as limited:
        list(eye.sessions.list())
    assert limited.value.status == 429 and limited.value.code == "RATE_LIMITED"


def test_an_idempotency_key_of_yours_is_sent_and_replayed_by_the_server(client, api_key):
    secret = secret_key(client.app)
    eye = eye_for(client, secret)
    created = start(client, api_key)
    first = eye.sessions.end(created["sessionId"], idempotency_key="end-once")
    again = client.post(f"/api/v1/sessions/{created['sessionId']}/end", headers={**bearer(secret), "Idempotency-Key": "end-once"})
    assert again.headers.get("Idempotent-Replayed") == "true" and again.json()["endedAt"] == first.endedAt
