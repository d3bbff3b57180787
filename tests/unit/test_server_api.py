"""The HTTP API through the real app and a real SQLite database."""

from sqlalchemy import select

from server.access.keys import MAX_DOMAINS, KeyRequestError, create_key, domain_matches
from server.store import ApiKey, Event, ExamSession
from tests.conftest import VALID_CONFIG, moment

ORIGIN = {"Origin": "http://localhost:5000"}


def create(client, api_key, origin=ORIGIN, **config):
    return client.post("/api/v1/sessions", json={"apiKey": api_key, "config": {**VALID_CONFIG, **config}}, headers=origin)


def auth(token):
    return {**ORIGIN, "Authorization": f"Bearer {token}"}


def event(i, kind="TAB_NOT_FOCUS"):
    return {"id": f"ev-{i}", "type": kind, "createdAt": moment(), "payload": {"n": i}}


def test_key_is_stored_hashed(app, api_key):
    with app.state.db.session() as s:
        row = s.scalars(select(ApiKey)).one()
    assert api_key not in (row.key_hash, row.prefix) and len(row.key_hash) == 64


def test_session_create_checks_key_and_origin(client, api_key):
    ok = create(client, api_key)
    assert ok.status_code == 201 and ok.json()["token"] and ok.json()["startedAt"].endswith("Z")
    assert create(client, "eye_nope").json()["code"] == "INVALID_API_KEY"
    refused = create(client, api_key, origin={"Origin": "http://evil.example:5000"})
    assert refused.status_code == 403 and refused.json()["code"] == "DOMAIN_NOT_REGISTERED"
    assert create(client, api_key, origin={}).json()["code"] == "DOMAIN_NOT_REGISTERED"
    bad = create(client, api_key, candidateEmail="x", examDuration=0)
    assert bad.status_code == 422 and set(bad.json()["details"]) == {"candidateEmail", "examDuration"}


def test_event_batches_are_idempotent_and_end_refuses_more(app, client, api_key):
    created = create(client, api_key).json()
    url = f"/api/v1/sessions/{created['sessionId']}"
    batch = {"events": [event(1), event(2)]}
    assert client.post(url + "/events", json=batch, headers=auth(created["token"])).json() == {"stored": 2, "duplicates": 0, "refused": {}}
    again = client.post(url + "/events", json={"events": [event(2), event(3)]}, headers=auth(created["token"]))
    assert again.json() == {"stored": 1, "duplicates": 1, "refused": {}}
    end = client.post(url + "/end", json={"reason": "manual"}, headers=auth(created["token"]))
    assert end.status_code == 200 and end.json()["reason"] == "manual"
    late = client.post(url + "/events", json={"events": [event(4)]}, headers=auth(created["token"]))
    assert late.status_code == 409
    second_end = client.post(url + "/end", json={"reason": "time_up"}, headers=auth(created["token"]))
    assert second_end.json()["reason"] == "manual" and second_end.json()["endedAt"] == end.json()["endedAt"]
    with app.state.db.session() as s:
        assert sorted(s.scalars(select(Event.client_id))) == ["ev-1", "ev-2", "ev-3"]


def test_token_is_scoped_to_its_session(client, api_key):
    a = create(client, api_key).json()
    b = create(client, api_key).json()
    r = client.post(f"/api/v1/sessions/{b['sessionId']}/events", json={"events": [event(1)]}, headers=auth(a["token"]))
    assert r.status_code == 401
    r = client.post(f"/api/v1/sessions/{a['sessionId']}/events", json={"events": [event(1)]}, headers={**auth(a["token"]), "Origin": "http://localhost:6000"})
    assert r.status_code == 403


def test_bad_event_bodies_are_named_errors(client, api_key):
    a = create(client, api_key).json()
    r = client.post(f"/api/v1/sessions/{a['sessionId']}/events", json={"events": [{"id": "x", "type": "lower", "createdAt": "no"}]}, headers=auth(a["token"]))
    assert r.status_code == 422 and r.json()["code"] == "INVALID_REQUEST"
    assert set(r.json()["details"]) == {"events.0.type", "events.0.createdAt"}


def test_cors_preflight_answers_the_api_for_every_origin_and_the_dashboard_for_none(client, api_key):
    def preflight(path, origin):
        return client.options(path, headers={"Origin": origin, "Access-Control-Request-Method": "POST"})

    for origin in ("http://localhost:5000", "http://evil.example"):
        ok = preflight("/api/v1/sessions/x/events", origin)  # the token decides, not the origin list
        assert ok.status_code == 204 and ok.headers["access-control-allow-origin"] == origin
        # session creation too, so a refused page can read DOMAIN_NOT_REGISTERED
        assert preflight("/api/v1/sessions", origin).status_code == 204
        assert preflight("/dashboard/login", origin).status_code == 403


def test_domains(app):
    assert domain_matches("localhost:5000", "http://localhost:5000")
    assert not domain_matches("localhost:5000", "http://localhost:5001")
    assert domain_matches("exams.example.edu", "https://exams.example.edu")
    assert not domain_matches("example.edu", "https://evil-example.edu")
    with app.state.db.session() as s:
        for bad in (["https://x.edu/path"], [f"h{i}.edu" for i in range(MAX_DOMAINS + 1)], []):
            try:
                create_key(s, "U", bad)
            except KeyRequestError:
                continue
            raise AssertionError(f"accepted {bad}")


def test_assets_have_mime_types_cache_and_cors(tmp_path):
    from fastapi.testclient import TestClient

    from server.app import create_app

    static = tmp_path / "static"
    (static / "runtime" / "v1").mkdir(parents=True)
    (static / "runtime" / "v1" / "pyodide.mjs").write_text("export {}")
    (static / "runtime" / "v1" / "pyodide.asm.wasm").write_bytes(b"\0asm")
    (static / "loader.js").write_text("//")
    with TestClient(create_app(f"sqlite:///{tmp_path / 'a.db'}", static_dir=static)) as c:
        h = {"Origin": "http://anywhere.example"}
        mjs = c.get("/runtime/v1/pyodide.mjs", headers=h)
        assert mjs.headers["content-type"].startswith("text/javascript")
        assert "immutable" in mjs.headers["cache-control"] and mjs.headers["access-control-allow-origin"] == "*"
        assert c.get("/runtime/v1/pyodide.asm.wasm").headers["content-type"] == "application/wasm"
        first = c.get("/loader.js")
        assert first.headers["cache-control"] == "no-cache" and first.headers["etag"]
        again = c.get("/loader.js", headers={"If-None-Match": first.headers["etag"]})  # a repeat visit revalidates
        assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == first.headers["etag"]
        (static / "loader.js").write_text("// a new build")
        changed = c.get("/loader.js", headers={"If-None-Match": first.headers["etag"]})
        assert changed.status_code == 200 and changed.text == "// a new build"
        assert c.get("/runtime/../eye.db").status_code == 404
        assert c.get("/runtime/v1/missing.js").status_code == 404


JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 100
WAV = b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 40


def test_evidence_upload_is_checked_idempotent_and_listed(app, client, api_key):
    created = create(client, api_key).json()
    base = f"/api/v1/sessions/{created['sessionId']}"
    headers = auth(created["token"])

    # Evidence is accepted for stored events that declare it: ev-1 … ev-8 are such flags.
    client.post(f"{base}/events", headers=headers, json={"events": [
        {"id": f"ev-{i}", "type": "SOUND_DETECTED" if i == 2 else "MULTIPLE_FACE", "createdAt": moment(),
         "payload": {"media": {"contentType": "audio/wav" if i == 2 else "image/jpeg"}}} for i in range(1, 9)]})

    def upload(event_id, body, content_type):
        return client.post(f"{base}/events/{event_id}/media", content=body, headers={**headers, "Content-Type": content_type})

    first = upload("ev-1", JPEG, "image/jpeg")
    assert first.status_code == 201 and first.json()["size"] == len(JPEG)
    assert upload("ev-1", JPEG, "image/jpeg").json() == first.json()  # a retried upload is stored once
    assert upload("ev-2", WAV, "audio/wav").status_code == 201
    assert upload("ev-3", b"GIF89a....", "image/jpeg").status_code == 415  # content does not match the type
    assert upload("ev-4", JPEG, "image/png").status_code == 415
    assert upload("ev-5", b"\xff\xd8\xff" + b"\x00" * (3 * 1024 * 1024), "image/jpeg").status_code == 413
    assert upload("ev-6", JPEG, "image/jpeg").status_code == 201
    assert client.post(f"{base}/events/ev-7/media", content=JPEG, headers={**ORIGIN, "Content-Type": "image/jpeg"}).status_code == 401
    listed = client.get(f"{base}/media", headers=headers).json()
    assert [m["eventId"] for m in listed] == ["ev-1", "ev-2", "ev-6"]
    assert client.get(f"{base}/events/ev-2/media", headers=headers).content == WAV
    client.post(f"{base}/end", json={"reason": "manual"}, headers=headers)
    assert upload("ev-8", JPEG, "image/jpeg").status_code == 409
    assert sorted(p.name for p in (app.state.media_dir / created["sessionId"]).iterdir()) == ["ev-1.jpg", "ev-2.wav", "ev-6.jpg"]


def test_expired_or_forged_tokens_are_refused(app, client, api_key):
    import time

    created = create(client, api_key).json()
    sid = created["sessionId"]
    expired = app.state.tokens.issue(sid, time.time() - 1)
    r = client.post(f"/api/v1/sessions/{sid}/events", json={"events": [event(1)]}, headers=auth(expired))
    assert r.status_code == 401 and r.json()["code"] == "SESSION_TOKEN_EXPIRED"
    forged = created["token"][:-2] + ("AA" if not created["token"].endswith("AA") else "BB")
    assert client.post(f"/api/v1/sessions/{sid}/events", json={"events": [event(1)]}, headers=auth(forged)).status_code == 401


def test_oversized_bodies_get_413(client, api_key):
    created = create(client, api_key).json()
    url = f"/api/v1/sessions/{created['sessionId']}/events"
    huge = {"events": [{**event(i), "payload": {"pad": "x" * 5000}} for i in range(250)]}
    r = client.post(url, json=huge, headers=auth(created["token"]))
    assert r.status_code == 413 and r.json()["code"] == "TOO_LARGE"

    def chunks():
        for _ in range(300):
            yield b"x" * 4096

    streamed = client.post(url, content=chunks(), headers={**auth(created["token"]), "Content-Type": "application/json"})
    assert streamed.status_code == 413


def test_rate_limits_answer_429_with_retry_after(client, api_key):
    created = create(client, api_key).json()
    url = f"/api/v1/sessions/{created['sessionId']}/events"
    statuses = [client.post(url, json={"events": [event(i)]}, headers=auth(created["token"])) for i in range(60)]
    limited = [r for r in statuses if r.status_code == 429]
    assert limited and int(limited[0].headers["retry-after"]) >= 1
    assert limited[0].json()["code"] == "RATE_LIMITED"
    assert statuses[0].status_code == 200


def test_security_headers_and_openapi(client):
    r = client.get("/api/v1/health")
    assert r.headers["x-content-type-options"] == "nosniff" and r.headers["x-frame-options"] == "DENY"
    assert r.headers["cache-control"] == "no-store" and r.headers["referrer-policy"] == "no-referrer"
    spec = client.get("/api/v1/openapi.json").json()
    assert {"/api/v1/sessions", "/api/v1/sessions/{session_id}/events", "/api/v1/sessions/{session_id}/end"} <= set(spec["paths"])


def test_the_document_says_errors_are_json_and_a_stream_is_server_sent_events(client):
    """What a generated client (or schemathesis) reads: every error answer is a JSON ErrorBody, the
    widget's channel answers text/event-stream — the two never swap."""
    spec = client.get("/api/v1/openapi.json").json()
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for status, answer in operation["responses"].items():
                if status.startswith(("4", "5")):
                    assert list(answer.get("content", {})) == ["application/json"], (method, path, status)
    channel = spec["paths"]["/api/v1/sessions/{session_id}/channel"]["get"]["responses"]["200"]
    assert list(channel["content"]) == ["text/event-stream"]


def test_migrations_are_idempotent_and_match_the_models(app):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from server.store import Base

    app.state.db.migrate()  # a second instance starting on the same database changes nothing
    with app.state.db.engine.connect() as c:
        diff = compare_metadata(MigrationContext.configure(c), Base.metadata)
    assert diff == []


def test_preflight_answers_like_session_creation_and_creates_nothing(app, client, api_key):
    body = {"apiKey": api_key, "config": VALID_CONFIG}
    accepted = client.post("/api/v1/sessions/preflight", json=body, headers=ORIGIN)
    # the consent notice says how long evidence is kept: the institution's setting, not the page's word
    assert accepted.status_code == 200 and accepted.json() == {"retentionDays": 30}
    bad_key = client.post("/api/v1/sessions/preflight", json={**body, "apiKey": "eye_nope"}, headers=ORIGIN)
    assert bad_key.status_code == 401 and bad_key.json()["code"] == "INVALID_API_KEY"
    elsewhere = client.post("/api/v1/sessions/preflight", json=body, headers={"Origin": "https://evil.example"})
    assert elsewhere.status_code == 403 and elsewhere.json()["code"] == "DOMAIN_NOT_REGISTERED"
    assert '--institution "Test University" --domain evil.example' in elsewhere.json()["message"]
    invalid = client.post("/api/v1/sessions/preflight", json={**body, "config": {**VALID_CONFIG, "examDuration": -1}}, headers=ORIGIN)
    assert invalid.status_code == 422 and invalid.json()["details"]["examDuration"]
    with app.state.db.session() as s:
        assert s.scalars(select(ExamSession)).all() == []


def test_the_end_keeps_the_widgets_time_clamped_to_the_session(client, api_key):
    import datetime as dt
    import time

    def parse(text):
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))

    for case in ("within", "before the start", "in the future"):
        created = create(client, api_key).json()
        started = parse(created["startedAt"])
        time.sleep(0.3)
        claimed = {"within": (started + dt.timedelta(seconds=0.1)).isoformat(), "before the start": "0001-01-01T00:00:00Z",
                   "in the future": "9999-01-01T00:00:00Z"}[case]
        ended = parse(client.post(f"/api/v1/sessions/{created['sessionId']}/end", json={"reason": "manual", "endedAt": claimed},
                                  headers=auth(created["token"])).json()["endedAt"])
        expected = {"within": started + dt.timedelta(seconds=0.1), "before the start": started}.get(case)
        if expected is not None:
            assert abs((ended - expected).total_seconds()) < 0.002, case
        else:
            assert 0 <= (dt.datetime.now(dt.timezone.utc) - ended).total_seconds() < 5, case


def test_assets_go_out_compressed_to_a_browser_that_accepts_it(tmp_path, monkeypatch):
    import gzip

    import brotli
    from fastapi.testclient import TestClient

    import build
    from server.app import create_app

    static = tmp_path / "static"
    (static / "runtime" / "v1").mkdir(parents=True)
    wasm = b"\0asm" + bytes(range(256)) * 400
    (static / "runtime" / "v1" / "pyodide.asm.wasm").write_bytes(wasm)
    (static / "runtime" / "v1" / "python_stdlib.zip").write_bytes(b"PK" + bytes(4000))  # a zip: no siblings
    (static / "loader.js").write_text("// loader " * 500)
    monkeypatch.setattr(build, "CACHE", tmp_path / "cache")
    build.compress_all(static)
    assert (static / "runtime" / "v1" / "pyodide.asm.wasm.br").is_file()
    assert not (static / "runtime" / "v1" / "python_stdlib.zip.br").exists()
    with TestClient(create_app(f"sqlite:///{tmp_path / 'a.db'}", static_dir=static)) as c:
        path = "/runtime/v1/pyodide.asm.wasm"
        br = c.get(path, headers={"Accept-Encoding": "gzip, deflate, br, zstd"})
        assert br.headers["content-encoding"] == "br" and br.headers["vary"] == "Accept-Encoding"
        assert br.headers["content-type"] == "application/wasm"  # so the browser compiles it as it streams
        assert int(br.headers["content-length"]) == (static / "runtime" / "v1" / "pyodide.asm.wasm.br").stat().st_size
        assert br.content == wasm and brotli.decompress((static / "runtime/v1/pyodide.asm.wasm.br").read_bytes()) == wasm
        gz = c.get(path, headers={"Accept-Encoding": "gzip"})
        assert gz.headers["content-encoding"] == "gzip" and gz.content == wasm
        assert gzip.decompress((static / "runtime/v1/pyodide.asm.wasm.gz").read_bytes()) == wasm
        plain = c.get(path, headers={"Accept-Encoding": "identity"})
        assert "content-encoding" not in plain.headers and plain.content == wasm and plain.headers["vary"] == "Accept-Encoding"
        refused = c.get(path, headers={"Accept-Encoding": "br;q=0, gzip;q=0.5"})
        assert refused.headers["content-encoding"] == "gzip"
        # each encoding has its own ETag, and revalidates to a 304 with it
        assert len({br.headers["etag"], gz.headers["etag"], plain.headers["etag"]}) == 3
        again = c.get(path, headers={"Accept-Encoding": "br", "If-None-Match": br.headers["etag"]})
        assert again.status_code == 304 and again.headers["vary"] == "Accept-Encoding"
        stale = c.get(path, headers={"Accept-Encoding": "gzip", "If-None-Match": br.headers["etag"]})
        assert stale.status_code == 200 and stale.headers["content-encoding"] == "gzip"
        loader = c.get("/loader.js", headers={"Accept-Encoding": "br"})
        assert loader.headers["content-encoding"] == "br" and loader.headers["cache-control"] == "no-cache"
        zipped = c.get("/runtime/v1/python_stdlib.zip", headers={"Accept-Encoding": "br"})
        assert "content-encoding" not in zipped.headers and "vary" not in zipped.headers
