"""What a fresh trial of the dashboard tripped over (issue 25), each as a test that would have
caught it: markup in a page's title or as its first text, a report's median of an even count,
a report that opens empty, the favicon, a key that cannot get another domain, an unknown key's
error that did not say where keys come from."""

from __future__ import annotations

import html
import re

import pytest

from server.access.users import create_user
from server.outcomes import reports
from server.store import ExamSession
from tests.conftest import VALID_CONFIG
from tests.unit.test_dashboard import PASSWORD, exam, login

PAGES = ["/dashboard/", "/dashboard/review", "/dashboard/sessions", "/dashboard/keys", "/dashboard/settings",
         "/dashboard/report", "/dashboard/users", "/dashboard/audit", "/dashboard/lms"]


@pytest.fixture
def admin(client, api_key):
    with client.app.state.db.session() as s:
        create_user(s, "Test University", "rev@test.edu", PASSWORD)
    exam(client, api_key, flags=("MULTIPLE_FACE", "FACE_ABSENCE"))
    assert login(client).status_code in (302, 303)
    with client.app.state.db.session() as s:
        return s.query(ExamSession).one().id


def first_text(page: str) -> str:
    """The first text a browser paints in the body (tags, scripts and styles left out)."""
    body = page.split("<body", 1)[1].split(">", 1)[1]
    body = re.sub(r"<(script|style)\b.*?</\1>", "", body, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", body)).split()[0]


def test_every_dashboard_page_has_a_clean_title_and_starts_with_words(client, admin):
    for path in [*PAGES, f"/dashboard/sessions/{admin}", "/dashboard/login"]:
        page = client.get(path)
        assert page.status_code == 200, (path, page.status_code)
        title = re.search(r"<title>(.*?)</title>", page.text, re.S).group(1)
        assert "<" not in title and ">" not in title and title.endswith("· Eye reviewer"), (path, title)
        assert first_text(page.text)[0].isalnum(), (path, first_text(page.text))


def test_the_median_of_an_even_count_is_the_mean_of_the_middle_two(client, admin, api_key):
    exam(client, api_key, flags=(), candidate="cand-8")  # a clean session next to the flagged one
    with client.app.state.db.reading() as s:
        first = s.query(ExamSession).first()
        report = reports.assessment_report(s, first.institution_id, first.assessment_id)
        scores = sorted(r.score for r in reports.session_rows(s, list(s.query(ExamSession))))
    assert len(scores) == 2 and scores[0] < scores[1] == 100
    assert report.median_score == (scores[0] + scores[1]) / 2


def test_the_report_opens_on_an_assessment(client, admin):
    page = client.get("/dashboard/report")
    assert page.status_code == 200 and "median integrity score" in page.text


def test_every_page_names_a_favicon_that_exists(client, admin):
    from server.lti.pages import page

    assert 'href="/dashboard/favicon.svg"' in page("t", "x").body.decode()  # the LMS's pages
    for path in ("/dashboard/", "/dashboard/login"):
        icon = re.search(r'<link rel="icon"[^>]*href="([^"]+)"', client.get(path).text).group(1)
        answer = client.get(icon)
        assert answer.status_code == 200 and answer.headers["content-type"].startswith("image/svg+xml")


def test_an_admin_adds_and_removes_a_keys_domain_on_the_keys_page(client, admin, api_key):
    from tests.unit.test_dashboard import csrf_of

    page = client.get("/dashboard/keys").text
    key_id = re.search(r'action="/dashboard/keys/(\d+)/domains"', page).group(1)
    token = csrf_of(client, "/dashboard/keys")
    added = client.post(f"/dashboard/keys/{key_id}/domains", data={"domain": "Quiz.Test.edu", "action": "add", "csrf": token})
    assert added.status_code == 200 and "quiz.test.edu" in added.text
    api = client.post("/api/v1/sessions/preflight", headers={"Origin": "https://quiz.test.edu"},
                      json={"apiKey": api_key, "config": VALID_CONFIG})
    assert api.status_code == 200, api.text  # the new origin may start sessions now
    removed = client.post(f"/dashboard/keys/{key_id}/domains", data={"domain": "localhost:5000", "action": "remove", "csrf": token})
    assert removed.status_code == 200 and "localhost:5000" not in removed.text.split('id="keys"')[1]
    last = client.post(f"/dashboard/keys/{key_id}/domains", data={"domain": "quiz.test.edu", "action": "remove", "csrf": token})
    assert last.status_code == 422 and "at least one domain" in last.text


def test_an_unknown_key_says_where_keys_come_from(client):
    answer = client.post("/api/v1/sessions/preflight", headers={"Origin": "http://localhost:5000"},
                         json={"apiKey": "eye_not-a-real-key", "config": VALID_CONFIG})
    assert answer.status_code == 401
    message = answer.json()["message"]
    assert "Keys page" in message and "eye keys create" in message


def test_the_sessions_list_says_flags_and_reasons_in_words(client, admin):
    page = client.get("/dashboard/sessions").text
    table = page.split("<table", 1)[1]
    assert "FACE_ABSENCE" not in table and "MULTIPLE_FACE" not in table
    assert "No face in view 1" in table and "More than one face 1" in table
    assert "<th>Ended</th>" in table and "<th>Review</th>" in table and "<th>Reason</th>" not in table
    assert "ended by the candidate" in table  # end reason "manual", in words


def test_times_are_in_words_and_in_the_users_time_zone(client, admin):
    page = client.get(f"/dashboard/sessions/{admin}").text
    started = re.search(r"started ([^·]+?) ·", page).group(1)
    assert re.fullmatch(r"\d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2} UTC", started), started  # no ISO, no ms
    from tests.unit.test_dashboard import csrf_of

    saved = client.post("/dashboard/account", data={"time_zone": "Europe/Berlin", "csrf": csrf_of(client, "/dashboard/account")})
    assert saved.status_code in (200, 303)
    page = client.get(f"/dashboard/sessions/{admin}").text
    assert re.search(r"started \d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2} CET ·", page), page[:2000]
    bad = client.post("/dashboard/account", data={"time_zone": "Mars/Olympus", "csrf": csrf_of(client, "/dashboard/account")})
    assert bad.status_code == 422 and "time_zone" in bad.text


def test_a_keyboard_verdict_answers_with_the_new_breakdown_and_who_decided(client, admin):
    from tests.unit.test_dashboard import csrf_of

    page = client.get(f"/dashboard/sessions/{admin}").text
    action = re.search(r'<form class="verdict" method="post" action="([^"]+)"', page).group(1)
    answer = client.post(action, data={"verdict": "dismiss", "csrf": csrf_of(client, f"/dashboard/sessions/{admin}")},
                         headers={"Accept": "application/json"}).json()
    assert "by rev@test.edu" in answer["decidedHtml"] and "UTC" in answer["decidedHtml"]
    assert 'id="score-section"' in answer["scoreHtml"]
    fresh = client.get(f"/dashboard/sessions/{admin}").text
    section = re.search(r'<section aria-label="Integrity score" id="score-section">.*?</section>', fresh, re.S).group(0)
    assert answer["scoreHtml"].strip() == section.strip()  # what the page shows after a reload


def test_after_clearing_the_next_page_says_what_was_decided(client, admin, api_key):
    from tests.unit.test_dashboard import csrf_of

    exam(client, api_key, flags=("FACE_ABSENCE",), candidate="cand-9")  # a second session waiting
    token = csrf_of(client, f"/dashboard/sessions/{admin}")
    page = client.post(f"/dashboard/sessions/{admin}/review", data={"state": "cleared", "csrf": token})
    other = page.url.path.rsplit("/", 1)[1]
    assert page.status_code == 200 and page.url.path.startswith("/dashboard/sessions/") and other != admin
    assert "Ada Lovelace (Algebra I): cleared. This is the next session to review." in html.unescape(page.text)
    token = csrf_of(client, f"/dashboard/sessions/{other}")
    last = client.post(f"/dashboard/sessions/{other}/review", data={"state": "escalated", "note": "two faces", "csrf": token})
    assert last.url.path == "/dashboard/review"
    assert "escalated." in last.text and "Nothing else is waiting" in last.text


def test_the_demo_page_uses_the_name_the_docs_teach():
    from pathlib import Path

    import server

    source = (Path(server.__file__).parent / "demo" / "exam.html").read_text()
    assert "LoadEyeWidget(" in source and "LoadProctormeWidget(" not in source
