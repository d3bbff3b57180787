"""Review by a team, through the real app: claims keep two reviewers off one session, keyboard
review's JSON verdicts, the ReviewCompleted webhook, accounts (invite, roles, disable), the audit
trail of every change and export, and the per-assessment report. Institution scoping throughout."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import hmac
import io
import json
import re

from sqlalchemy import select

from server.access.users import create_user
from server.store import AuditEntry, ExamSession, User
from tests.receiver import Receiver
from tests.unit.test_dashboard import PASSWORD, csrf_of, exam, login, reviewer, set_webhook  # noqa: F401  (fixture)
from tests.unit.test_review import decide


def as_json(client, sid, event_id, verdict):
    return client.post(f"/dashboard/sessions/{sid}/flags/{event_id}/verdict", headers={"Accept": "application/json"},
                       data={"verdict": verdict, "csrf": csrf_of(client, "/dashboard/")})


def team(app):
    with app.state.db.session() as s:
        create_user(s, "Test University", "ann@test.edu", PASSWORD, role="reviewer")
        create_user(s, "Test University", "bob@test.edu", PASSWORD, role="reviewer")


def test_a_session_being_reviewed_is_held_for_its_reviewer(app, client, reviewer, api_key):  # noqa: F811
    team(app)
    sid, events = exam(client, api_key, flags=("MULTIPLE_FACE", "TAB_NOT_FOCUS"))
    other, _ = exam(client, api_key, flags=("TAB_NOT_FOCUS",), candidate="cand-8")
    login(client, "ann@test.edu")
    assert 'id="held-by"' not in client.get(f"/dashboard/sessions/{sid}").text  # Ann opens it: hers for 15 min
    client.cookies.clear()
    login(client, "bob@test.edu")
    page = client.get(f"/dashboard/sessions/{sid}").text
    assert "ann@test.edu is reviewing this session until" in page and "/verdict" not in page
    refused = as_json(client, sid, events[0]["id"], "dismiss")
    assert refused.status_code == 409 and "ann@test.edu" in refused.json()["message"]
    assert "ann@test.edu is reviewing" in client.get(decide(client, sid, events[0]["id"], "dismiss").headers["location"]).text
    queue = client.get("/dashboard/review").text
    assert queue.index(other) < queue.index(sid) and "being reviewed by ann@test.edu" in queue  # held ones come last
    assert client.get("/dashboard/review/next", follow_redirects=False).headers["location"] == f"/dashboard/sessions/{other}"
    with app.state.db.session() as s:  # Ann went home: her claim runs out after 15 minutes
        s.get(ExamSession, sid).claimed_until = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=1)
    assert as_json(client, sid, events[0]["id"], "dismiss").status_code == 200
    client.cookies.clear()
    login(client, "ann@test.edu")
    assert "bob@test.edu is reviewing" in client.get(f"/dashboard/sessions/{sid}").text
    # Bob leaves it undecided: it is free at once, and he goes on to the next session
    client.cookies.clear()
    login(client, "bob@test.edu")
    r = client.post(f"/dashboard/sessions/{sid}/release", data={"csrf": csrf_of(client, "/dashboard/")}, follow_redirects=False)
    assert r.headers["location"].startswith("/dashboard/review/next?after=")
    with app.state.db.session() as s:
        assert s.get(ExamSession, sid).claimed_by is None


def test_keyboard_verdicts_answer_json_with_the_new_score(app, client, reviewer, api_key):  # noqa: F811
    sid, events = exam(client, api_key, flags=("MULTIPLE_FACE", "TAB_NOT_FOCUS"))
    login(client)
    page = client.get(f"/dashboard/sessions/{sid}").text
    assert '<script src="/dashboard/review.js"' in page and page.count("data-decide") == 2
    before = int(re.search(r'id="score">(\d+)<', page).group(1))
    answer = as_json(client, sid, events[1]["id"], "dismiss").json()
    assert answer["verdict"] == "dismissed" and answer["score"] == before + 5 and answer["scoreBeforeReview"] == before
    assert answer["reviewState"] == "in review"
    bad = as_json(client, sid, events[1]["id"], "maybe")
    assert bad.status_code == 422 and "expected confirm or dismiss" in bad.json()["message"]
    script = client.get("/dashboard/review.js")
    assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")
    assert "script-src 'self'" in client.get(f"/dashboard/sessions/{sid}").headers["content-security-policy"]


def test_a_completed_review_is_announced_by_a_signed_webhook(app, client, reviewer, api_key):  # noqa: F811
    sid, events = exam(client, api_key, flags=("MULTIPLE_FACE", "TAB_NOT_FOCUS"))
    receiver = Receiver()
    set_webhook(app, receiver.url)
    login(client)
    decide(client, sid, events[0]["id"], "confirm")
    decide(client, sid, events[1]["id"], "dismiss")
    r = client.post(f"/dashboard/sessions/{sid}/review", data={"state": "escalated", "note": "a second face, twice",
                    "csrf": csrf_of(client, f"/dashboard/sessions/{sid}")}, follow_redirects=False)
    assert r.headers["location"] == f"/dashboard/review/next?after={sid}&done=1"
    headers, body, _ = receiver.wait(1)[0]
    expected = "sha256=" + hmac.new(b"s3cret", headers["X-Eye-Timestamp"].encode() + b"." + body, hashlib.sha256).hexdigest()
    assert headers["X-Eye-Signature"] == expected
    got = json.loads(body)
    assert got["event"] == "ReviewCompleted" and headers["X-Eye-Delivery"] == got["deliveryId"]
    assert {k: got[k] for k in ("sessionId", "candidateId", "examId", "state", "note", "reviewer")} == {
        "sessionId": sid, "candidateId": "cand-7", "examId": "exam-42", "state": "escalated",
        "note": "a second face, twice", "reviewer": "rev@test.edu"}
    assert [f["flagId"] for f in got["confirmedFlags"]] == [events[0]["id"]] and got["decidedAt"].endswith("Z")
    page = client.get(f"/dashboard/sessions/{sid}").text
    assert got["score"] == int(re.search(r'id="score">(\d+)<', page).group(1))


def test_admins_invite_change_and_disable_accounts(app, client, reviewer):  # noqa: F811
    login(client)
    page = client.post("/dashboard/users", data={"email": "New@Test.edu", "role": "auditor",
                                                 "csrf": csrf_of(client, "/dashboard/users")}).text
    link = re.search(r'id="invite-link">([^<]+)<', page).group(1)
    path = link[link.index("/dashboard/invite/"):]
    client.cookies.clear()
    assert login(client, "new@test.edu", "").status_code == 401  # no password until the invitation is accepted
    short = client.post(path, data={"password": "short", "password2": "short", "csrf": csrf_of(client, path)})
    assert short.status_code == 422 and "at least 10" in short.text
    ok = client.post(path, data={"password": PASSWORD, "password2": PASSWORD, "csrf": csrf_of(client, path)}, follow_redirects=False)
    assert ok.status_code == 303 and client.get("/dashboard/").status_code == 200  # signed in as the new auditor
    assert "(auditor)" in client.get("/dashboard/").text and client.get("/dashboard/users").status_code == 403
    client.cookies.clear()
    assert client.get(path).status_code == 404  # the link worked once
    # the admin disables the account: its signed-in session ends, and it cannot sign in again
    other = TestClientLike(client.app)
    login(other, "new@test.edu")
    login(client)
    with app.state.db.session() as s:
        new_id, admin_id = (s.scalar(select(User.id).where(User.email == e)) for e in ("new@test.edu", "rev@test.edu"))
    csrf = csrf_of(client, "/dashboard/users")
    client.post(f"/dashboard/users/{new_id}", data={"action": "disable", "csrf": csrf})
    assert other.get("/dashboard/", follow_redirects=False).status_code == 303
    assert login(other, "new@test.edu").status_code == 401
    assert "disabled" in client.get("/dashboard/users").text
    client.post(f"/dashboard/users/{new_id}", data={"action": "role", "role": "reviewer", "csrf": csrf})
    # the last enabled admin cannot demote or disable themselves into a locked institution
    lonely = client.post(f"/dashboard/users/{admin_id}", data={"action": "role", "role": "auditor", "csrf": csrf})
    assert lonely.status_code == 422 and "at least one enabled admin" in lonely.text
    # another institution's accounts are not there
    client.cookies.clear()
    login(client, "other@other.edu")
    assert "new@test.edu" not in client.get("/dashboard/users").text
    assert client.post(f"/dashboard/users/{new_id}", data={"action": "enable", "csrf": csrf_of(client, "/dashboard/users")}).status_code == 404
    with app.state.db.session() as s:
        actions = [a for (a,) in s.execute(select(AuditEntry.action).order_by(AuditEntry.id))]
    assert {"user invited", "invitation accepted", "user disabled", "user role changed"} <= set(actions)


def TestClientLike(app):  # noqa: N802  (a second browser)
    from fastapi.testclient import TestClient
    return TestClient(app, base_url="http://testserver")


def test_every_change_and_export_is_audited_and_the_trail_exports(app, client, reviewer, api_key):  # noqa: F811
    sid, _ = exam(client, api_key)
    with app.state.db.session() as s:
        create_user(s, "Test University", "aud@test.edu", PASSWORD, role="auditor")
        create_user(s, "Test University", "dec@test.edu", PASSWORD, role="reviewer")
    login(client, password="not the password")
    login(client)
    csrf = csrf_of(client, "/dashboard/keys")
    client.post("/dashboard/keys", data={"domains": "exams.test.edu", "csrf": csrf})
    client.post("/dashboard/settings", data={"retention_days": "7", "csrf": csrf})
    client.get(f"/dashboard/sessions/{sid}/export.csv")
    client.get("/dashboard/assessments/export.json", params={"assessment": "exam-42"})
    client.get(f"/dashboard/sessions/{sid}/candidate/export.json")
    client.cookies.clear()
    login(client, "dec@test.edu")
    assert client.get("/dashboard/audit").status_code == 403 and client.get("/dashboard/audit.csv").status_code == 403
    client.cookies.clear()
    login(client, "aud@test.edu")
    rows = list(csv.DictReader(io.StringIO(client.get("/dashboard/audit.csv").text)))
    actions = [r["action"] for r in reversed(rows)]
    assert actions == ["sign-in failed", "sign-in", "key created", "settings changed", "session exported",
                       "assessment exported", "candidate exported", "sign-in", "sign-in", "audit exported"]
    assert rows[-1]["who"] == "system" and rows[-1]["target"] == "user rev@test.edu"
    assert {r["address"] for r in rows} == {"testclient"}
    assert "audit exported" in client.get("/dashboard/audit").text  # the export itself is on the trail, and shown
    client.cookies.clear()
    login(client, "other@other.edu")
    assert "key created" not in client.get("/dashboard/audit").text


def test_the_assessment_report_counts_outcomes_per_flag_type(app, client, reviewer, api_key):  # noqa: F811
    a, ea = exam(client, api_key, flags=("TAB_NOT_FOCUS", "TAB_NOT_FOCUS", "MULTIPLE_FACE"), candidate="a")
    b, eb = exam(client, api_key, flags=("TAB_NOT_FOCUS",), candidate="b")
    exam(client, api_key, flags=(), candidate="c")
    login(client)
    decide(client, a, ea[0]["id"], "dismiss")
    decide(client, a, ea[1]["id"], "dismiss")
    decide(client, a, ea[2]["id"], "confirm")
    decide(client, b, eb[0]["id"], "confirm")
    client.post(f"/dashboard/sessions/{b}/review", data={"state": "cleared", "csrf": csrf_of(client, "/dashboard/")})
    page = client.get("/dashboard/report", params={"assessment": "exam-42"}).text
    table = re.search(r'<table id="flag-types">.*?</table>', page, re.S).group(0)
    cells = {m[0]: re.findall(r"<td>([^<]*)</td>", m[1]) for m in re.findall(r'data-type="(\w+)">(.*?)</tr>', table, re.S)}
    assert cells["TAB_NOT_FOCUS"][1:] == ["3", "1", "2", "0", "67%"] and cells["MULTIPLE_FACE"][1:] == ["1", "1", "0", "0", "0%"]
    states = dict(re.findall(r"<tr><td>([a-z ]+)</td><td>(\d+)</td></tr>", page))
    assert states == {"unreviewed": "1", "in review": "1", "cleared": "1", "escalated": "0"}
    assert page.count('<rect class="bar"') == 10 and "3 session(s)" in page
    client.cookies.clear()
    login(client, "other@other.edu")
    assert client.get("/dashboard/report", params={"assessment": "exam-42"}).status_code == 404
