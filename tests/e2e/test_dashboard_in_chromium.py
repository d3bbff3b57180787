"""A reviewer in Chromium: signs in, finds the session a real widget run made, opens its
timeline, plays its evidence, exports CSV, and revokes a key — after which init fails."""

from __future__ import annotations

import csv
import io
import re
import subprocess

import pytest

from eye_testing.servers import eye_command
from tests.conftest import BROWSER_ONLY
from tests.e2e.conftest import sign_in

from .test_media_in_chromium import (  # noqa: F401
    Exam,  # noqa: F401  (fixtures below come from that module)
    clips,
    exam,
    media_key,
    media_page,
)

pytestmark = pytest.mark.e2e
PASSWORD = "reviewer password 42"


@pytest.fixture(scope="module")
def reviewer(eye):
    subprocess.run(eye_command("users", "create", "--institution", "Test University", "--create-institution", "--email", "rev@test.edu",
                               "--password-stdin", "--database-url", eye.db_url),
                   input=PASSWORD + "\n", text=True, check=True, capture_output=True, cwd=eye.tmp)
    return "rev@test.edu"


def test_reviewer_reviews_a_real_session(exam, clips, media_key, eye, reviewer, browser, tmp_path):  # noqa: F811
    candidate = exam(video=clips["one"], audio=clips["speech"], noloop_audio=True)
    result = candidate.start(media_key, candidateId="cand-dash", candidateFirstName="Dana", candidateLastName="Shore")
    assert result["ok"], result
    candidate.wait_for("SOUND_DETECTED")
    candidate.end()
    session_id = result["started"]["sessionId"]

    page = browser.new_page(viewport={"width": 1200, "height": 900})
    sign_in(page, eye.url, reviewer, PASSWORD)
    page.click("text=Sessions")
    page.click("text=Dana Shore")
    assert page.url.endswith(f"/dashboard/sessions/{session_id}")
    flag_row = page.locator("#timeline tr[data-type=SOUND_DETECTED]")
    assert "flag" in flag_row.get_attribute("class").split()
    audio = flag_row.locator("audio")
    audio.evaluate("a => a.play()")
    page.wait_for_function("a => a.currentTime > 0.2", arg=audio.element_handle(), timeout=10000)
    assert int(page.inner_text("#score")) < 100
    page.screenshot(path=str(tmp_path / "timeline.png"), full_page=True)
    with page.expect_download() as download:
        page.click("text=Export CSV")
    rows = list(csv.reader(io.StringIO(download.value.path().read_text())))
    assert rows[0][:5] == ["sessionId", "candidateId", "assessmentId", "eventId", "type"]
    assert "SOUND_DETECTED" in [r[4] for r in rows[1:]] and all(r[0] == session_id for r in rows[1:])


def test_revoked_key_makes_init_fail_at_once(page, eye, exam_page, reviewer, browser):
    reviewer_page = browser.new_page()
    sign_in(reviewer_page, eye.url, reviewer, PASSWORD)
    reviewer_page.goto(f"{eye.url}dashboard/keys")
    reviewer_page.fill("input[name=domains]", exam_page.domain)
    reviewer_page.click("text=Create key")
    secret = reviewer_page.inner_text("#new-secret").strip()
    config = {**BROWSER_ONLY, "apiKey": secret}
    page.evaluate("(n) => window.boot(n, [])", ["STARTED", "END_PROCTORING"])
    assert page.evaluate("(c) => window.startExam(c)", config)["ok"]
    page.evaluate("window.widget.endProctoring()")
    row = reviewer_page.locator("#keys tr", has_text=secret[:12])
    row.locator("text=Revoke").click()
    reviewer_page.wait_for_selector(f"#keys tr:has-text('{secret[:12]}') >> text=revoked")
    again = page.evaluate("(c) => window.startExam(c)", config)
    assert again["ok"] is False and again["code"] == "INVALID_API_KEY"


def test_no_csrf_no_change_and_other_institution_gets_404(eye, reviewer, browser):
    subprocess.run(eye_command("users", "create", "--institution", "Other College", "--create-institution", "--email", "o@other.edu",
                               "--password-stdin", "--database-url", eye.db_url),
                   input=PASSWORD + "\n", text=True, check=True, capture_output=True, cwd=eye.tmp)
    session_id = eye.query("select id from sessions where candidate_id = 'cand-dash'")[0][0]
    page = browser.new_page()
    sign_in(page, eye.url, "o@other.edu", PASSWORD)
    response = page.goto(f"{eye.url}dashboard/sessions/{session_id}")
    assert response.status == 404 and "Dana" not in page.content()
    forged = page.request.post(f"{eye.url}dashboard/settings", form={"retention_days": "1"})
    assert forged.status == 403
    assert re.search(r'value="30"', page.goto(f"{eye.url}dashboard/settings") and page.content())
