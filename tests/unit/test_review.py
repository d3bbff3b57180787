"""Human review through the real app: the queue, a verdict on every flag (dismissed flags leave
the score), clearing or escalating a session, the audit trail, exports, institution scoping."""

from __future__ import annotations

import csv
import io
import re

from sqlalchemy import select

from server.access.users import create_user
from server.store import ApiKey, AuditEntry, ExamSession, User
from tests.unit.test_dashboard import csrf_of, exam, login, reviewer  # noqa: F401  (fixture)


def decide(client, sid, event_id, verdict, note=""):
    return client.post(f"/dashboard/sessions/{sid}/flags/{event_id}/verdict",
                       data={"verdict": verdict, "note": note, "csrf": csrf_of(client, "/dashboard/")},
                       follow_redirects=False)


def score(page):
    return int(re.search(r'id="score">(\d+)<', page).group(1))


def test_a_reviewer_dismisses_confirms_and_clears_a_session(app, client, reviewer, api_key):  # noqa: F811
    sid, events = exam(client, api_key, flags=("MULTIPLE_FACE", "TAB_NOT_FOCUS"))
    open_sid, _ = exam(client, api_key, flags=("TAB_NOT_FOCUS",), candidate="still-writing", end=False)
    login(client)
    queue = client.get("/dashboard/review").text
    assert sid in queue and open_sid not in queue  # only ended sessions wait for a decision
    page = client.get(f"/dashboard/sessions/{sid}").text
    before = score(page)
    multiple, tab = events[0]["id"], events[1]["id"]
    assert decide(client, sid, tab, "dismiss", "the candidate's own notes tab, allowed").status_code == 303
    assert decide(client, sid, multiple, "confirm").status_code == 303
    page = client.get(f"/dashboard/sessions/{sid}").text
    assert score(page) == before + 5 and f"(before review: {before})" in page  # TAB_NOT_FOCUS weighs 5
    assert 'data-verdict="dismissed"' in page and 'data-verdict="confirmed"' in page
    assert 'id="review-state">in review<' in page
    # escalating needs a note; clearing takes the session out of the queue
    r = client.post(f"/dashboard/sessions/{sid}/review", data={"state": "escalated", "note": "",
                    "csrf": csrf_of(client, f"/dashboard/sessions/{sid}")}, follow_redirects=True)
    assert "escalating needs a note" in r.text
    client.post(f"/dashboard/sessions/{sid}/review", data={"state": "cleared", "note": "ok",
                "csrf": csrf_of(client, f"/dashboard/sessions/{sid}")})
    assert sid not in client.get("/dashboard/review").text
    rows = list(csv.DictReader(io.StringIO(client.get(f"/dashboard/sessions/{sid}/export.csv").text)))
    assert {r["eventId"]: r["verdict"] for r in rows if r["flag"]} == {multiple: "confirmed", tab: "dismissed"}
    assert {r["reviewState"] for r in rows} == {"cleared"}
    exported = client.get(f"/dashboard/sessions/{sid}/export.json").json()[0]
    assert exported["integrityScore"] == before + 5 and exported["integrityScoreBeforeReview"] == before
    with app.state.db.session() as s:
        actions = [a.action for a in s.scalars(select(AuditEntry).order_by(AuditEntry.id))]
        assert s.get(ExamSession, sid).review_state == "cleared"
    assert actions == ["sign-in", "flag dismissed", "flag confirmed", "session cleared", "session exported", "session exported"]
    assert "session cleared" in client.get("/dashboard/audit").text


def test_review_is_scoped_to_the_institution_and_checked(app, client, reviewer, api_key):  # noqa: F811
    sid, events = exam(client, api_key, flags=("MULTIPLE_FACE",))
    login(client, "other@other.edu")
    assert sid not in client.get("/dashboard/review").text
    assert decide(client, sid, events[0]["id"], "dismiss").status_code == 404
    assert client.post(f"/dashboard/sessions/{sid}/review", data={"state": "cleared", "csrf": csrf_of(client, "/dashboard/")}).status_code == 404
    assert client.post(f"/dashboard/sessions/{sid}/release", data={"csrf": csrf_of(client, "/dashboard/")}).status_code == 404
    assert client.get("/dashboard/review/next", follow_redirects=False).headers["location"] == "/dashboard/review?"
    assert client.get("/dashboard/report", params={"assessment": "exam-42"}).status_code == 404
    client.cookies.clear()
    login(client)
    assert "no such flag" in client.get(decide(client, sid, "not-a-flag", "dismiss").headers["location"]).text
    assert "expected confirm or dismiss" in client.get(decide(client, sid, events[0]["id"], "shrug").headers["location"]).text
    forged = client.post(f"/dashboard/sessions/{sid}/flags/{events[0]['id']}/verdict", data={"verdict": "dismiss", "csrf": "x"})
    assert forged.status_code == 403


def test_roles_are_enforced_on_every_form(app, client, reviewer, api_key):  # noqa: F811
    """An auditor reads only; a reviewer decides but does not manage keys, settings, users or deletions."""
    sid, events = exam(client, api_key, flags=("MULTIPLE_FACE",))
    with app.state.db.session() as s:
        create_user(s, "Test University", "aud@test.edu", "correct horse battery", role="auditor")
        create_user(s, "Test University", "dec@test.edu", "correct horse battery", role="reviewer")
        key_id = s.scalar(select(ApiKey.id))
        account_id = s.scalar(select(User.id).where(User.email == "aud@test.edu"))
    flag = events[0]["id"]
    forms = {
        "decide": [(f"/dashboard/sessions/{sid}/flags/{flag}/verdict", {"verdict": "dismiss"}),
                   (f"/dashboard/sessions/{sid}/review", {"state": "in review"}),
                   (f"/dashboard/sessions/{sid}/release", {})],
        "manage": [("/dashboard/keys", {"domains": "x.test.edu"}), (f"/dashboard/keys/{key_id}/rotate", {}),
                   (f"/dashboard/keys/{key_id}/revoke", {}), ("/dashboard/settings", {"retention_days": "5"}),
                   ("/dashboard/settings/webhook-secret", {}), ("/dashboard/settings/deliveries/1/redeliver", {}),
                   ("/dashboard/users", {"email": "x@test.edu", "role": "admin"}),
                   (f"/dashboard/users/{account_id}", {"action": "role", "role": "admin"}),
                   (f"/dashboard/sessions/{sid}/candidate/delete", {})],
    }
    for email, allowed in [("aud@test.edu", set()), ("dec@test.edu", {"decide"})]:
        client.cookies.clear()
        login(client, email)
        assert client.get(f"/dashboard/sessions/{sid}").status_code == 200  # every role reads
        page = client.get(f"/dashboard/sessions/{sid}").text
        assert ("/verdict" in page) == ("decide" in allowed) and "/candidate/delete" not in page
        for action, posts in forms.items():
            for path, form in posts:
                status = client.post(path, data={**form, "csrf": csrf_of(client, "/dashboard/")}, follow_redirects=False).status_code
                assert (status == 403) == (action not in allowed), (email, path, status)
    with app.state.db.session() as s:
        assert s.get(ExamSession, sid) is not None  # nobody without the right deleted anything
