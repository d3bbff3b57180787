"""The ``eye`` command, run as a user would (a subprocess), on a fresh SQLite file."""

import datetime as dt
import json
import subprocess
import sys

from sqlalchemy import create_engine, text

from server.keys import digest


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
