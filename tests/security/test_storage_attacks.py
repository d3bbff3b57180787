"""Deletion that deletes, secrets that stay secret, logs that leak nothing, and a clean static
security scan of the server."""

from __future__ import annotations

import logging
import os
import stat
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import select

from eye_testing.servers import eye_command
from server.access.keys import create_key
from server.app import close_app, create_app
from server.store import Setting

from .conftest import flag, start

ROOT = Path(__file__).resolve().parents[2]


def test_candidate_delete_without_media_dir_removes_files_and_leaves_nothing_readable(tmp_path):
    """``eye serve --media-dir X`` then ``eye candidates delete`` with no --media-dir: the files go
    too, and the candidate's personal data is gone from the SQLite files."""
    from fastapi.testclient import TestClient

    db_path = tmp_path / "eye.db"
    media = tmp_path / "evidence-elsewhere"
    app = create_app(f"sqlite:///{db_path}", static_dir=tmp_path / "static", media_dir=media)
    with app.state.db.session() as s:
        key = create_key(s, "Test University", ["localhost:5000"])
    with TestClient(app, base_url="http://eye.test") as c:
        victim = start(c, key, candidateId="gdpr-cand-8311", candidateEmail="ada.unique.8311@example.edu",
                       candidateFirstName="Zebulonia", candidateLastName="Quixotica").json()
        for kind in ("MULTIPLE_FACE", "FACE_ABSENCE"):
            flag(c, victim, kind=kind, description="Zebulonia left the room")
    close_app(app)
    assert len(list((media / victim["sessionId"]).iterdir())) == 2
    out = subprocess.run(eye_command("candidates", "delete", "--institution", "Test University", "--candidate",
                                     "gdpr-cand-8311", "--database-url", f"sqlite:///{db_path}"),
                         cwd=tmp_path, capture_output=True, text=True, check=True).stdout
    assert "Deleted 1 session" in out and str(media) in out
    assert not (media / victim["sessionId"]).exists()
    files = [p for p in tmp_path.iterdir() if p.name.startswith("eye.db")]
    for path in files:
        data = path.read_bytes()
        for secret in (b"Zebulonia", b"Quixotica", b"ada.unique.8311", b"gdpr-cand-8311"):
            assert secret not in data, (path.name, secret)


def test_the_signing_key_lives_in_a_private_file_not_a_table(app, tmp_path):
    with app.state.db.session() as s:
        assert s.scalars(select(Setting.name)).all() == ["media_dir"]
    key_file = tmp_path / "eye.key"
    assert key_file.read_text().strip() == app.state.signing_key
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600


def test_a_key_an_older_version_stored_in_the_database_moves_to_the_file(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    first = create_app(url, static_dir=tmp_path / "s", media_dir=tmp_path / "m", secret_key_file=tmp_path / "a.key")
    token = first.state.tokens.issue("sid", 2e9)
    with first.state.db.session() as s:
        s.add(Setting(name="token_key", value=first.state.signing_key))
    (tmp_path / "a.key").unlink()
    first.state.writer.close()
    again = create_app(url, static_dir=tmp_path / "s", media_dir=tmp_path / "m", secret_key_file=tmp_path / "b.key")
    again.state.tokens.check(token, "sid", now=0)  # tokens issued before the move still work
    with again.state.db.session() as s:
        assert s.get(Setting, "token_key") is None
    again.state.writer.close()


def test_access_logs_carry_request_ids_and_never_evidence_link_tokens(app, client, api_key, caplog):
    from server.store import Institution

    with app.state.db.session() as s:
        s.scalar(select(Institution)).webhook_url = None
    created = start(client, api_key).json()
    event_id = flag(client, created)
    link = app.state.media_links.url(app.state.public_url, created["sessionId"], event_id)
    token = urlsplit(link).path.rsplit("/", 1)[1]
    with caplog.at_level(logging.INFO, logger="eye"):
        r = client.get(urlsplit(link).path)
        client.post(f"/api/v1/sessions/{created['sessionId']}/events", json={"events": []},
                    headers={"Origin": "http://localhost:5000", "Authorization": f"Bearer {created['token']}"})
    assert r.status_code == 200 and r.headers["x-request-id"]
    records = [getattr(rec, "fields", {}) for rec in caplog.records if rec.name == "eye.access"]
    text = repr(records) + caplog.text
    assert token not in text and created["token"] not in text and api_key not in text
    assert any(f.get("path") == "/api/v1/evidence/[redacted]" and f.get("requestId") for f in records)
    assert any(f.get("sessionId") == created["sessionId"] for f in records)
    # each line says how many body bytes went out (what an operator sums, as nginx's $body_bytes_sent)
    evidence = next(f for f in records if f.get("path") == "/api/v1/evidence/[redacted]")
    assert evidence["bytes"] == len(r.content) > 0


def test_json_log_lines_redact_secret_fields():
    from server.logs import JsonFormatter

    record = logging.LogRecord("eye", logging.INFO, __file__, 1, "x", None, None)
    record.fields = {"apiKey": "eye_abc", "token": "t", "sessionId": "s"}
    line = JsonFormatter().format(record)
    assert "eye_abc" not in line and '"sessionId": "s"' in line


def test_the_server_passes_ruffs_security_rules():
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "--select", "S", "server/"], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_deleted_candidate_does_not_live_on_in_stored_idempotent_answers(tmp_path):
    """Found by the platform story test: the answers kept for Idempotency-Key replays (a review's
    answer is the session's record: the candidate's name and email) outlived the candidate's
    deletion through the platform API. Deleting a candidate deletes them too."""
    from fastapi.testclient import TestClient

    from server.access.keys import create_secret_key

    db_path = tmp_path / "eye.db"
    app = create_app(f"sqlite:///{db_path}", static_dir=tmp_path / "static", media_dir=tmp_path / "media")
    with app.state.db.session() as s:
        key = create_key(s, "Test University", ["localhost:5000"])
        secret = {"Authorization": f"Bearer {create_secret_key(s, 'Test University')}"}
    with TestClient(app, base_url="http://eye.test") as c:
        victim = start(c, key, candidateId="gdpr-cand-4417", candidateEmail="ada.unique.4417@example.edu",
                       candidateFirstName="Philomena", candidateLastName="Vexbridge").json()
        event = flag(c, victim, kind="MULTIPLE_FACE")
        sid = victim["sessionId"]
        for path, body in ((f"/api/v1/sessions/{sid}/end", None),
                           (f"/api/v1/sessions/{sid}/flags/{event}/verdict", {"verdict": "dismiss"}),
                           (f"/api/v1/sessions/{sid}/review", {"state": "cleared"})):
            r = c.post(path, json=body, headers={**secret, "Idempotency-Key": f"k-{path}"})
            assert r.status_code == 200, r.text
        gone = c.delete("/api/v1/candidates/gdpr-cand-4417", headers={**secret, "Idempotency-Key": "delete-1"})
        assert gone.status_code == 200 and gone.json()["deletedSessions"] == 1
        again = c.delete("/api/v1/candidates/gdpr-cand-4417", headers={**secret, "Idempotency-Key": "delete-1"})
        assert again.status_code == 200 and again.json()["deletedSessions"] in (0, 1)  # a repeat deletes nothing more
    close_app(app)
    for path in (p for p in tmp_path.iterdir() if p.name.startswith("eye.db")):
        data = path.read_bytes()
        for secret_text in (b"Philomena", b"Vexbridge", b"ada.unique.4417", b"gdpr-cand-4417"):
            assert secret_text not in data, (path.name, secret_text)
