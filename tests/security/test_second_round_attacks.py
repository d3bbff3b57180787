"""The second adversarial review (issue 26): key rotation, abandoned sessions, finished reviews,
the last-admin rule, non-ASCII secrets, CORS as a domain oracle, a disabled reviewer's claims,
invitations that probe other institutions, and exam durations a launch token does not bind.
Each test failed on the code before its fix; each runs on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import re
import subprocess
import sys
import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from server.access.keys import enable_launch_tokens, find_key, rotate_key, sign_launch_token
from server.access.users import UserError, create_user, set_role
from server.outcomes import review
from server.store import ApiKey, AuditEntry, Database, ExamSession, Institution, User, WebhookOutbox
from tests.conftest import VALID_CONFIG

from .conftest import ORIGIN, PASSWORD, csrf_of, flag, login, start


@pytest.fixture
def browsers(app):
    """A factory of separate browsers (clients with their own cookies) on the running app."""
    opened: list[TestClient] = []

    def open_one() -> TestClient:
        c = TestClient(app, base_url="http://eye.test").__enter__()
        opened.append(c)
        return c

    yield open_one
    for c in opened:
        c.__exit__(None, None, None)


# --- 1. High: rotating a key turns launch tokens off -------------------------------------------
#: The columns a rotated key is expected to differ in; every other column must be copied, so a
#: property added to ApiKey later cannot be dropped by rotation without this test failing.
ROTATION_CHANGES = {"id", "key_hash", "prefix", "created_at", "revoked_at", "launch_secret"}


def test_a_rotated_key_keeps_every_property_of_the_old_one(app, api_key):
    with app.state.db.session() as s:
        enable_launch_tokens(s, api_key)
        old = find_key(s, api_key)
        assert old is not None
        rotated = rotate_key(s, old)
        new = find_key(s, rotated.secret)
        assert new is not None and old.revoked_at is not None
        columns = [c.key for c in ApiKey.__table__.columns]
        kept = {c for c in columns if c not in ROTATION_CHANGES}
        assert kept, columns
        for column in kept:
            assert getattr(new, column) == getattr(old, column), column
        assert sorted(d.domain for d in new.domains) == sorted(d.domain for d in old.domains)
        # a new launch secret, shown once: the old one may have leaked with the key
        assert rotated.launch_secret and rotated.launch_secret == new.launch_secret != old.launch_secret


def test_after_rotation_on_the_keys_page_the_key_still_requires_a_launch_token(client, api_key, reviewer):
    with client.app.state.db.session() as s:
        enable_launch_tokens(s, api_key)
        key_id = find_key(s, api_key).id
    login(client)
    page = client.post(f"/dashboard/keys/{key_id}/rotate", data={"csrf": csrf_of(client, "/dashboard/keys")})
    new_secret = re.search(r'id="new-secret">([^<]+)<', page.text).group(1)
    launch_secret = re.search(r'id="new-launch-secret">([^<]+)<', page.text).group(1)
    planted = client.post("/api/v1/sessions", json={"apiKey": new_secret, "config": VALID_CONFIG}, headers=ORIGIN)
    assert planted.status_code == 401 and planted.json()["code"] == "INVALID_LAUNCH_TOKEN"
    token = sign_launch_token(launch_secret, "exam-42", "cand-7", int(time.time()) + 600, max_duration=600)
    ok = client.post("/api/v1/sessions", json={"apiKey": new_secret, "config": VALID_CONFIG, "launchToken": token},
                     headers=ORIGIN)
    assert ok.status_code == 201


def test_after_rotation_with_the_cli_the_key_still_requires_a_launch_token(database_url, tmp_path):
    def eye(*args):
        return subprocess.run([sys.executable, "-m", "server.cli", *args, "--database-url", database_url],
                              capture_output=True, text=True, cwd=tmp_path, check=True).stdout

    created = eye("keys", "create", "--institution", "U", "--create-institution", "--domain", "localhost:5000",
                  "--require-launch-token")
    secret = created.strip().splitlines()[-1]
    rotated = eye("keys", "rotate", secret[:12])
    new_secret = rotated.strip().splitlines()[-1]
    launch_secret = re.search(r"launch secret: (eyl_\S+)", rotated).group(1)
    db = Database(database_url)
    try:
        with db.session() as s:
            key = find_key(s, new_secret)
            assert key is not None and key.require_launch_token and key.launch_secret == launch_secret
    finally:
        db.engine.dispose()


# --- 2. Medium: an abandoned session is never reviewed ----------------------------------------
def _backdate(app, session_id: str, seconds: float) -> None:
    with app.state.db.session() as s:
        session = s.get(ExamSession, session_id)
        session.started_at = session.started_at - dt.timedelta(seconds=seconds)


def test_a_session_long_past_its_planned_end_is_ended_by_the_server_and_reviewed(client, api_key, reviewer):
    app = client.app
    with app.state.db.session() as s:
        s.scalar(select(Institution)).webhook_url = "https://hooks.example.edu/eye"
        s.scalar(select(Institution)).webhook_secret = "whsec_test"
    gone = start(client, api_key).json()
    flag(client, gone)
    live = start(client, api_key, candidateId="still-writing").json()
    # the candidate closed the tab: nothing more arrives; the exam (600 s) ended 2 h ago
    _backdate(app, gone["sessionId"], 600 + 2 * 3600)
    with app.state.db.session() as s:
        assert review.end_abandoned(s) == [gone["sessionId"]]
        assert review.end_abandoned(s) == []  # once
        ended = s.get(ExamSession, gone["sessionId"])
        assert ended.end_reason == "abandoned"
        assert ended.ended_at is not None
        assert abs((ended.ended_at.replace(tzinfo=None) - ended.started_at.replace(tzinfo=None)).total_seconds() - 600) < 1
        assert s.get(ExamSession, live["sessionId"]).ended_at is None
    login(client)
    assert gone["sessionId"] in client.get("/dashboard/review").text
    # a reviewer decides it, and the result is announced like any other
    r = client.post(f"/dashboard/sessions/{gone['sessionId']}/review",
                    data={"state": "escalated", "note": "left mid-exam", "csrf": csrf_of(client, "/dashboard/")},
                    follow_redirects=False)
    assert r.status_code == 303
    with app.state.db.session() as s:
        kinds = s.scalars(select(WebhookOutbox.kind).where(WebhookOutbox.session_id == gone["sessionId"])).all()
    assert "review" in kinds


def test_the_delivery_worker_ends_abandoned_sessions_once_with_several_instances(make_app, api_key, app, browsers):
    other = make_app()  # a second instance on the same database
    c = browsers()
    gone = start(c, api_key).json()
    _backdate(app, gone["sessionId"], 600 + 3600)
    ended: list[list[str]] = []

    def sweep(instance):
        with instance.state.db.session() as s:
            ended.append(review.end_abandoned(s))

    import threading

    threads = [threading.Thread(target=sweep, args=(a,)) for a in (app, other, app, other)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(sum(ended, [])) == [gone["sessionId"]]
    # the worker that eye serve and eye worker run does it by itself
    _backdate(app, start(c, api_key, candidateId="second").json()["sessionId"], 600 + 3600)
    app.state.webhooks.sweep_now()
    with app.state.db.session() as s:
        assert s.scalar(select(ExamSession).where(ExamSession.candidate_id == "second")).end_reason == "abandoned"


# --- 3. Medium: verdicts change after a review completed ----------------------------------------
@pytest.fixture
def two_reviewers(app):
    with app.state.db.session() as s:
        create_user(s, "Test University", "rev@test.edu", PASSWORD)
        create_user(s, "Test University", "b@test.edu", PASSWORD, role="reviewer")


def _decided_and_escalated(a, api_key):
    """Reviewer A (in browser ``a``) confirms three flags and escalates; returns the session and flag ids."""
    created = start(a, api_key).json()
    flags = [flag(a, created, kind, event_id=f"f-{i}") for i, kind in enumerate(("MULTIPLE_FACE", "FACE_ABSENCE", "FACE_MISMATCH"))]
    a.post(f"/api/v1/sessions/{created['sessionId']}/end", json={"reason": "manual"},
           headers={**ORIGIN, "Authorization": f"Bearer {created['token']}"})
    login(a)
    sid = created["sessionId"]
    for f in flags:
        a.post(f"/dashboard/sessions/{sid}/flags/{f}/verdict", data={"verdict": "confirm", "csrf": csrf_of(a, f"/dashboard/sessions/{sid}")})
    a.post(f"/dashboard/sessions/{sid}/review", data={"state": "escalated", "note": "three people", "csrf": csrf_of(a, "/dashboard/")})
    return sid, flags


def test_a_completed_review_is_final_unless_reopened(app, api_key, two_reviewers, browsers):
    sid, flags = _decided_and_escalated(browsers(), api_key)
    b = browsers()
    login(b, "b@test.edu")
    page = b.get(f"/dashboard/sessions/{sid}").text
    assert 'value="dismiss"' not in page and 'value="cleared"' not in page and 'id="reopen"' in page
    token = csrf_of(b, f"/dashboard/sessions/{sid}")
    for f in flags:  # crafted posts, as the forms are not offered
        r = b.post(f"/dashboard/sessions/{sid}/flags/{f}/verdict", data={"verdict": "dismiss", "csrf": token},
                   headers={"Accept": "application/json"})
        assert r.status_code == 409 and "reopen" in r.json()["message"]
    r = b.post(f"/dashboard/sessions/{sid}/review", data={"state": "cleared", "csrf": token}, follow_redirects=False)
    assert r.status_code == 303 and "error=" in r.headers["location"]
    with app.state.db.session() as s:
        session = s.get(ExamSession, sid)
        assert session.review_state == "escalated"
        assert [v["verdict"]["verdict"] for v in review.records.timeline(s, session) if v["verdict"]] == ["confirmed"] * 3
    # reopening is explicit, needs a reason, and is audited; the new decision is announced again
    assert b.post(f"/dashboard/sessions/{sid}/reopen", data={"note": "", "csrf": token},
                  follow_redirects=False).headers["location"].count("error=") == 1
    r = b.post(f"/dashboard/sessions/{sid}/reopen", data={"note": "appeal upheld", "csrf": token}, follow_redirects=False)
    assert r.status_code == 303 and "error" not in r.headers["location"]
    with app.state.db.session() as s:
        institution = s.scalar(select(Institution))
        institution.webhook_url, institution.webhook_secret = "https://hooks.example.edu/eye", "whsec_test"
    for f in flags:
        b.post(f"/dashboard/sessions/{sid}/flags/{f}/verdict", data={"verdict": "dismiss", "csrf": token})
    b.post(f"/dashboard/sessions/{sid}/review", data={"state": "cleared", "csrf": token})
    with app.state.db.session() as s:
        session = s.get(ExamSession, sid)
        assert session.review_state == "cleared"
        assert s.scalars(select(WebhookOutbox.kind).where(WebhookOutbox.session_id == sid)).all().count("review") == 1
        actions = [e.action for e in s.scalars(select(AuditEntry).where(AuditEntry.target == f"session {sid}"))]
    assert "session reopened" in actions


def test_a_live_exam_cannot_be_reviewed(client, api_key, reviewer):
    created = start(client, api_key).json()
    event = flag(client, created)
    login(client)
    sid = created["sessionId"]
    token = csrf_of(client, "/dashboard/")
    r = client.post(f"/dashboard/sessions/{sid}/review", data={"state": "cleared", "csrf": token}, follow_redirects=False)
    assert "error=" in r.headers["location"]
    r = client.post(f"/dashboard/sessions/{sid}/flags/{event}/verdict", data={"verdict": "dismiss", "csrf": token},
                    headers={"Accept": "application/json"})
    assert r.status_code == 409
    with client.app.state.db.session() as s:
        assert s.get(ExamSession, sid).review_state == "unreviewed"


# --- 4 and 5. Low: the last-admin rule ---------------------------------------------------------
def test_a_pending_invitation_does_not_count_as_an_admin(client, reviewer):
    login(client)
    token = csrf_of(client, "/dashboard/users")
    client.post("/dashboard/users", data={"email": "never@test.edu", "role": "admin", "csrf": token})
    with client.app.state.db.session() as s:
        me = s.scalar(select(User).where(User.email == "rev@test.edu")).id
    for action in ({"action": "role", "role": "reviewer"}, {"action": "disable"}):
        r = client.post(f"/dashboard/users/{me}", data={**action, "csrf": token})
        assert r.status_code == 422 and "at least one enabled admin" in r.text, action
    with client.app.state.db.session() as s:
        me_now = s.get(User, me)
        assert me_now.role == "admin" and me_now.disabled_at is None


def _demote(url: str, who: str, other: str, barrier, results) -> None:  # runs in its own process
    db = Database(url)
    try:
        for _ in range(ROUNDS):
            barrier.wait()
            try:
                with db.session() as s:
                    user = s.scalar(select(User).where(User.email == other))
                    set_role(s, user, "reviewer")
                results.put((who, True))
            except (UserError, Exception):  # refused, or the database refused the second writer
                results.put((who, False))
            barrier.wait()  # the parent resets both to admin
            barrier.wait()
    finally:
        db.engine.dispose()


ROUNDS = 25


def test_two_admins_demoting_each_other_at_once_leave_one_admin(database_url):
    db = Database(database_url)
    db.migrate()
    with db.session() as s:
        create_user(s, "U", "a@u.edu", PASSWORD)
        create_user(s, "U", "b@u.edu", PASSWORD)
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(3), context.Queue()
    workers = [context.Process(target=_demote, args=(database_url, me, other, barrier, results))
               for me, other in (("a", "b@u.edu"), ("b", "a@u.edu"))]
    for w in workers:
        w.start()
    both = 0
    try:
        for _ in range(ROUNDS):
            barrier.wait()  # go
            barrier.wait()  # both done
            outcomes = [results.get(timeout=30) for _ in workers]
            with db.session() as s:
                admins = s.scalars(select(User.email).where(User.role == "admin")).all()
                both += not admins
                assert sum(ok for _, ok in outcomes) == 2 - len(admins), (outcomes, admins)
                for u in s.scalars(select(User)):
                    u.role = "admin"
            barrier.wait()  # reset
    finally:
        for w in workers:
            w.join(30)
        db.engine.dispose()
    assert both == 0


# --- 6. Low: non-ASCII secrets are a 500 --------------------------------------------------------
def test_non_ascii_launch_tokens_and_csrf_tokens_are_refused_not_a_500(client, api_key):
    with client.app.state.db.session() as s:
        enable_launch_tokens(s, api_key)
    body = {"apiKey": api_key, "config": VALID_CONFIG, "launchToken": "e30.été"}
    for path in ("/api/v1/sessions/preflight", "/api/v1/sessions"):
        r = client.post(path, json=body, headers=ORIGIN)
        assert r.status_code == 401 and r.json()["code"] == "INVALID_LAUNCH_TOKEN", path
    client.get("/dashboard/login")
    r = client.post("/dashboard/login", data={"email": "x@test.edu", "password": "x", "csrf": "été-ünï"},
                    follow_redirects=False)
    assert r.status_code == 403


# --- 7. Low: CORS preflight is a domain oracle --------------------------------------------------
def test_cors_answers_every_origin_alike_on_token_routes(client, api_key):
    created = start(client, api_key).json()
    path = f"/api/v1/sessions/{created['sessionId']}/events"

    def answer(origin, method="OPTIONS"):
        r = client.request(method, path if method == "OPTIONS" else f"/api/v1/sessions/{created['sessionId']}",
                           headers={"Origin": origin, "Access-Control-Request-Method": "POST"})
        shown = {k: v.replace(origin, "ORIGIN") for k, v in r.headers.items() if k.startswith("access-control")}
        return r.status_code, shown

    registered, unregistered = answer("http://localhost:5000"), answer("http://never-registered.example")
    assert registered == unregistered and registered[0] == 204
    assert answer("http://localhost:5000", "GET") == answer("http://never-registered.example", "GET")
    # the token and the session's own origin still decide what is granted
    r = client.get(f"/api/v1/sessions/{created['sessionId']}",
                   headers={"Origin": "http://never-registered.example", "Authorization": f"Bearer {created['token']}"})
    assert r.status_code == 403


# --- Seen in the code -----------------------------------------------------------------------------
def test_a_disabled_reviewers_claims_are_released(app, api_key, two_reviewers, browsers):
    a, b = browsers(), browsers()
    created = start(a, api_key).json()
    flag(a, created)
    a.post(f"/api/v1/sessions/{created['sessionId']}/end", json={"reason": "manual"},
           headers={**ORIGIN, "Authorization": f"Bearer {created['token']}"})
    sid = created["sessionId"]
    login(b, "b@test.edu")
    b.get(f"/dashboard/sessions/{sid}")  # b claims it ...
    login(a)
    assert 'id="held-by"' in a.get(f"/dashboard/sessions/{sid}").text
    with app.state.db.session() as s:
        b_id = s.scalar(select(User.id).where(User.email == "b@test.edu"))
    a.post(f"/dashboard/users/{b_id}", data={"action": "disable", "csrf": csrf_of(a, "/dashboard/users")})
    assert 'id="held-by"' not in a.get(f"/dashboard/sessions/{sid}").text  # ... and lets go when disabled


def test_an_invitation_does_not_reveal_another_institutions_accounts(client, reviewer, browsers):
    with client.app.state.db.session() as s:
        create_user(s, "Other College", "dean@other.edu", PASSWORD)
    login(client)
    token = csrf_of(client, "/dashboard/users")
    known = client.post("/dashboard/users", data={"email": "dean@other.edu", "role": "reviewer", "csrf": token})
    unknown = client.post("/dashboard/users", data={"email": "nobody@other.edu", "role": "reviewer", "csrf": token})
    assert known.status_code == unknown.status_code == 200
    assert "/dashboard/invite/" in known.text and "/dashboard/invite/" in unknown.text
    assert "exists" not in known.text
    # the other institution's account is untouched and still signs in to its own institution
    other = browsers()
    assert login(other, "dean@other.edu").status_code == 303
    assert "Other College" in other.get("/dashboard/").text
    again = client.post("/dashboard/users", data={"email": "dean@other.edu", "role": "reviewer", "csrf": token})
    assert again.status_code == 422 and "already" in again.text  # within one's own institution it may say so


def test_a_launch_token_binds_the_exam_duration(client, api_key):
    with client.app.state.db.session() as s:
        secret = enable_launch_tokens(s, api_key)
    exp = int(time.time()) + 600

    def create(token, duration):
        return client.post("/api/v1/sessions", json={"apiKey": api_key, "launchToken": token,
                                                     "config": {**VALID_CONFIG, "examDuration": duration}}, headers=ORIGIN)

    bound = sign_launch_token(secret, "exam-42", "cand-7", exp, max_duration=3600)
    r = create(bound, 24 * 3600)  # the candidate declares 24 h to dilute the score
    assert r.status_code == 401 and r.json()["code"] == "INVALID_LAUNCH_TOKEN" and "examDuration" in r.json()["message"]
    unbound = sign_launch_token(secret, "exam-42", "cand-7", exp, max_duration=None)
    r = create(unbound, 600)
    assert r.status_code == 401 and "maxDuration" in r.json()["message"]
    assert create(bound, 3600).status_code == 201
