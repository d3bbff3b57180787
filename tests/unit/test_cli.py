"""The ``eye`` command, run as a user would (a subprocess), on a fresh SQLite file."""

import datetime as dt
import json
import subprocess
import sys

from sqlalchemy import create_engine, text

from server.access.keys import digest


def eye(tmp_path, *args, stdin=None):
    db = f"sqlite:///{tmp_path / 'eye.db'}"
    result = subprocess.run([sys.executable, "-m", "server.cli", *args, "--database-url", db], input=stdin,
                            capture_output=True, text=True, cwd=tmp_path)
    return result


def test_keys_users_purge_and_candidates(tmp_path):
    created = eye(tmp_path, "keys", "create", "--institution", "U", "--create-institution", "--domain", "exams.u.edu", "--domain", "localhost:5173")
    assert created.returncode == 0, created.stderr
    secret = created.stdout.strip().splitlines()[-1]
    assert secret.startswith("eye_")
    listed = eye(tmp_path, "keys", "list").stdout
    assert secret[:12] in listed and "active" in listed and "exams.u.edu, localhost:5173" in listed and secret not in listed
    rotated = eye(tmp_path, "keys", "rotate", secret[:12])
    new_secret = rotated.stdout.strip().splitlines()[-1]
    assert rotated.returncode == 0 and new_secret != secret
    assert eye(tmp_path, "keys", "revoke", new_secret[:12]).returncode == 0
    engine = create_engine(f"sqlite:///{tmp_path / 'eye.db'}")
    with engine.connect() as c:
        revoked = dict(c.execute(text("select key_hash, revoked_at is not null from api_keys")).all())
    assert revoked == {digest(secret): 1, digest(new_secret): 1}
    assert eye(tmp_path, "keys", "revoke", "eye_nothing").returncode != 0

    user = eye(tmp_path, "users", "create", "--institution", "U", "--email", "r@u.edu", "--password-stdin", stdin="long enough pw\n")
    assert user.returncode == 0, user.stderr
    short = eye(tmp_path, "users", "create", "--institution", "U", "--email", "s@u.edu", "--password-stdin", stdin="short\n")
    typo = eye(tmp_path, "keys", "create", "--institution", "UU", "--domain", "x.u.edu")
    assert typo.returncode == 2 and "no institution is named 'UU'" in typo.stderr and "--create-institution" in typo.stderr
    assert eye(tmp_path, "users", "create", "--institution", "Uu", "--email", "t@u.edu", "--password-stdin",
               stdin="long enough pw\n").returncode == 2
    assert short.returncode == 2 and "at least" in short.stderr

    old = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=40)).isoformat()
    with engine.begin() as c:
        key_id, inst = c.execute(text("select id, institution_id from api_keys limit 1")).one()
        for sid, cand, started in (("s-old", "c1", old), ("s-new", "c2", dt.datetime.now(dt.timezone.utc).isoformat())):
            c.execute(text("insert into sessions (id, api_key_id, institution_id, origin, assessment_id, assessment_title, "
                           "candidate_id, candidate_email, candidate_name, exam_duration, config, started_at) values "
                           "(:id, :k, :i, 'http://x', 'a', 'A', :c, 'e@x.edu', 'N', 60, '{}', :s)"),
                      {"id": sid, "k": key_id, "i": inst, "c": cand, "s": started})
    purged = eye(tmp_path, "purge", "--media-dir", str(tmp_path / "media"))
    assert purged.returncode == 0 and "Purged 1 session" in purged.stdout
    exported = json.loads(eye(tmp_path, "candidates", "export", "--institution", "U", "--candidate", "c2").stdout)
    assert [s["sessionId"] for s in exported["sessions"]] == ["s-new"]
    deleted = eye(tmp_path, "candidates", "delete", "--institution", "U", "--candidate", "c2", "--media-dir", str(tmp_path / "m"))
    assert "Deleted 1 session" in deleted.stdout
    with engine.connect() as c:
        assert c.execute(text("select count(*) from sessions")).scalar() == 0


def test_every_command_says_which_database_it_opened(tmp_path):
    made = eye(tmp_path, "keys", "list")
    assert f"eye: database sqlite:///{tmp_path / 'eye.db'} (new and empty" in made.stderr  # run from the wrong folder
    again = eye(tmp_path, "keys", "list")
    assert f"eye: database sqlite:///{tmp_path / 'eye.db'}\n" in again.stderr  # the same file, now there
    hidden = subprocess.run([sys.executable, "-m", "server.cli", "keys", "list", "--database-url",
                             "postgresql+psycopg://eye:hunter2@127.0.0.1:1/eye"], capture_output=True, text=True)
    assert "eye:***@127.0.0.1:1/eye" in hidden.stderr and "hunter2" not in hidden.stderr


def test_a_key_gets_and_loses_domains(tmp_path):
    secret = eye(tmp_path, "keys", "create", "--institution", "U", "--create-institution", "--domain",
                 "exams.u.edu").stdout.strip().splitlines()[-1]
    added = eye(tmp_path, "keys", "add-domain", secret[:12], "Quiz.U.edu:8443")
    assert added.returncode == 0, added.stderr
    assert "exams.u.edu, quiz.u.edu:8443" in eye(tmp_path, "keys", "list").stdout
    for extra in ("a.u.edu", "b.u.edu", "c.u.edu"):
        assert eye(tmp_path, "keys", "add-domain", secret[:12], extra).returncode == 0
    full = eye(tmp_path, "keys", "add-domain", secret[:12], "d.u.edu")
    assert full.returncode != 0 and "at most 5" in full.stderr
    assert eye(tmp_path, "keys", "remove-domain", secret[:12], "exams.u.edu").returncode == 0
    listed = eye(tmp_path, "keys", "list").stdout
    assert "exams.u.edu" not in listed and "quiz.u.edu:8443" in listed
    for d in ("quiz.u.edu:8443", "a.u.edu", "b.u.edu"):
        eye(tmp_path, "keys", "remove-domain", secret[:12], d)
    last = eye(tmp_path, "keys", "remove-domain", secret[:12], "c.u.edu")
    assert last.returncode != 0 and "at least one" in last.stderr  # revoke it instead
    unknown = eye(tmp_path, "keys", "remove-domain", secret[:12], "nope.u.edu")
    assert unknown.returncode != 0 and "nope.u.edu" in unknown.stderr


def test_a_second_demo_keeps_one_demo_key_and_says_how_to_get_a_password(tmp_path, monkeypatch, capsys):
    from server import cli

    monkeypatch.setattr(cli, "_run", lambda *a, **k: None)
    db = f"sqlite:///{tmp_path / 'demo.db'}"
    args = ["demo", "--database-url", db, "--media-dir", str(tmp_path / "media")]
    cli.main(args)
    first = capsys.readouterr().out
    assert "admin@demo.example  password " in first and "(admin)" in first
    cli.main(args)
    second = capsys.readouterr().out
    assert "eye users password --email admin@demo.example" in second
    engine = create_engine(db)
    with engine.connect() as c:
        assert c.execute(text("select count(*) from api_keys where revoked_at is null")).scalar() == 1
