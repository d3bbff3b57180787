"""Attacks through the widget API with a plain client: forged Host, absurd durations and times,
NaN, evidence floods, a public key used to flood or impersonate, and what a session may store."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient
from sqlalchemy import select

from server.access.keys import enable_launch_tokens, sign_launch_token
from server.store import Event, ExamSession, Media
from tests.conftest import VALID_CONFIG, moment

from .conftest import JPEG, ORIGIN, auth, flag, login, start


def test_requests_for_another_host_are_refused_and_never_shape_urls(make_app):
    app = make_app(public_url="https://eye.example.edu")
    with TestClient(app, base_url="https://eye.example.edu") as c:
        assert c.get("/api/v1/health").status_code == 200
        evil = c.get("/api/v1/health", headers={"Host": "evil.attacker.example"})
        assert evil.status_code == 400
    assert app.state.public_url == "https://eye.example.edu"


def test_exam_duration_is_bounded(client, api_key):
    for duration in [1e300, 86401, float(10**12)]:
        r = start(client, api_key, examDuration=duration)
        assert r.status_code == 422 and r.json()["details"]["examDuration"].startswith("must be at most"), duration
    assert start(client, api_key, examDuration=86400).status_code == 201


def test_nan_and_infinity_are_refused_everywhere(client, api_key):
    c = start(client, api_key).json()
    body = ('{"events": [{"id": "n1", "type": "SOUND_DETECTED", "createdAt": "%s", "payload": {"details": {"rmsDb": NaN}}}]}'
            % moment())
    r = client.post(f"/api/v1/sessions/{c['sessionId']}/events", content=body,
                    headers={**auth(c["token"]), "Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["code"] == "INVALID_REQUEST"
    r = client.post("/api/v1/sessions", content='{"apiKey": "k", "config": {"examDuration": Infinity}}',
                    headers={**ORIGIN, "Content-Type": "application/json"})
    assert r.status_code == 400
    with client.app.state.db.session() as s:
        assert s.scalars(select(Event)).all() == []
    # the session still works: nothing was half-stored
    assert flag(client, c, media=False)


def test_event_times_outside_the_session_are_refused_and_the_rest_stored(client, api_key):
    c = start(client, api_key).json()
    events = [{"id": "good", "type": "TAB_NOT_FOCUS", "createdAt": moment()},
              {"id": "year-1", "type": "TAB_NOT_FOCUS", "createdAt": "0001-01-01T00:00:00Z"},
              {"id": "year-9999", "type": "TAB_NOT_FOCUS", "createdAt": "9999-12-31T23:59:59Z"},
              {"id": "tomorrow", "type": "TAB_NOT_FOCUS", "createdAt": moment(86400)}]
    r = client.post(f"/api/v1/sessions/{c['sessionId']}/events", json={"events": events}, headers=auth(c["token"]))
    assert r.status_code == 200 and r.json()["stored"] == 1
    assert set(r.json()["refused"]) == {"year-1", "year-9999", "tomorrow"}
    with client.app.state.db.session() as s:
        assert [e.client_id for e in s.scalars(select(Event))] == ["good"]


def test_unknown_event_types_are_refused(client, api_key):
    c = start(client, api_key).json()
    r = client.post(f"/api/v1/sessions/{c['sessionId']}/events", headers=auth(c["token"]),
                    json={"events": [{"id": "x1", "type": "CANDIDATE_CHEATED", "createdAt": moment()}]})
    assert r.status_code == 422


def test_evidence_only_for_stored_flags_that_declare_it(client, api_key):
    c = start(client, api_key).json()
    url = f"/api/v1/sessions/{c['sessionId']}/events/%s/media"
    headers = {**auth(c["token"]), "Content-Type": "image/jpeg"}
    # 2 MiB files for made-up event ids: every one refused, nothing written (and the session's
    # upload rate limit stops such a loop soon after)
    for i in range(15):
        r = client.post(url % f"made-up-{i}", content=b"\xff\xd8\xff" + b"\x00" * (2 * 1024 * 1024 - 10), headers=headers)
        assert r.status_code == 404 and r.json()["code"] == "NO_SUCH_EVENT"
    tab = flag(client, c, kind="TAB_NOT_FOCUS", media=False)
    assert client.post(url % tab, content=JPEG, headers=headers).status_code == 404  # a flag with no evidence
    face = flag(client, c, kind="MULTIPLE_FACE")
    again = client.post(url % face, content=JPEG + b"different", headers=headers)
    assert again.status_code == 201  # once per event: the first file stays
    with client.app.state.db.session() as s:
        rows = s.scalars(select(Media)).all()
    assert len(rows) == 1 and rows[0].size == len(JPEG)
    folder = client.app.state.media_dir / c["sessionId"]
    assert sorted(p.name for p in folder.iterdir()) == [f"{face}.jpg"]  # no temporary files left


def test_evidence_quota_per_session(make_app, api_key):
    app = make_app(evidence_max_files=3)
    from server.access.keys import create_key

    with app.state.db.session() as s:
        key = create_key(s, "Test University", ["localhost:5000"])
    with TestClient(app, base_url="http://eye.test") as c:
        created = start(c, key).json()
        for i in range(3):
            flag(c, created, event_id=f"ok-{i}")
        event_id = flag(c, created, event_id="over", media=False)
        c.post(f"/api/v1/sessions/{created['sessionId']}/events", headers=auth(created["token"]), json={"events": [
            {"id": "over2", "type": "MULTIPLE_FACE", "createdAt": moment(), "payload": {"media": {"contentType": "image/jpeg"}}}]})
        r = c.post(f"/api/v1/sessions/{created['sessionId']}/events/over2/media", content=JPEG,
                   headers={**auth(created["token"]), "Content-Type": "image/jpeg"})
        assert r.status_code == 413 and r.json()["code"] == "QUOTA_EXCEEDED"
        assert event_id


def test_one_client_cannot_drain_a_keys_session_bucket(make_app):
    app = make_app(forwarded_allow_ips=("testclient",))
    from server.access.keys import create_key

    with app.state.db.session() as s:
        key = create_key(s, "Test University", ["localhost:5000"])
    with TestClient(app, base_url="http://eye.test") as c:
        statuses = [start(c, key, {"X-Forwarded-For": "203.0.113.66"}, candidateId=f"fake-{i}").status_code
                    for i in range(320)]
        assert statuses.count(201) <= 70 and statuses[-1] == 429  # the script is stopped early ...
        legit = start(c, key, {"X-Forwarded-For": "198.51.100.23"}, candidateId="real-candidate")
        assert legit.status_code == 201  # ... and the institution's candidates still start


def test_keys_that_require_a_launch_token_refuse_sessions_without_one(client, api_key):
    with client.app.state.db.session() as s:
        secret = enable_launch_tokens(s, api_key)
    exp = int(time.time()) + 600
    refused = {
        "none": None,
        "forged": sign_launch_token("eyl_not-the-secret", "exam-42", "cand-7", exp, max_duration=600),
        "other candidate": sign_launch_token(secret, "exam-42", "victim-1", exp, max_duration=600),
        "other exam": sign_launch_token(secret, "exam-1", "cand-7", exp, max_duration=600),
        "expired": sign_launch_token(secret, "exam-42", "cand-7", int(time.time()) - 1, max_duration=600),
        "garbage": "not.a-token",
    }
    for why, token in refused.items():
        body = {"apiKey": api_key, "config": dict(VALID_CONFIG)}
        if token is not None:
            body["launchToken"] = token
        r = client.post("/api/v1/sessions", json=body, headers=ORIGIN)
        assert r.status_code == 401 and r.json()["code"] == "INVALID_LAUNCH_TOKEN", why
    good = sign_launch_token(secret, "exam-42", "cand-7", exp, max_duration=600)
    r = client.post("/api/v1/sessions", json={"apiKey": api_key, "config": VALID_CONFIG,
                                              "launchToken": good}, headers=ORIGIN)
    assert r.status_code == 201


def test_two_live_sessions_of_one_candidate_are_never_silent(client, api_key, reviewer):
    first = start(client, api_key).json()
    other = start(client, api_key, candidateId="someone-else").json()
    second = start(client, api_key).json()
    with client.app.state.db.session() as s:
        flags = {x.id: x.concurrent for x in s.scalars(select(ExamSession))}
    assert flags == {first["sessionId"]: True, second["sessionId"]: True, other["sessionId"]: False}
    login(client)
    assert 'id="concurrent"' in client.get(f"/dashboard/sessions/{first['sessionId']}").text
    assert 'id="concurrent"' not in client.get(f"/dashboard/sessions/{other['sessionId']}").text
    assert "concurrent" in client.get("/dashboard/sessions").text
