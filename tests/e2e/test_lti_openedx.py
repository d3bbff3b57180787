"""Eye inside an LMS, end to end: Open edX's own LTI platform code (lti-consumer-xblock's Django
app on SQLite, in its own virtualenv, started by scripts/openedx.sh) against a real ``eye serve``,
and a real Chromium candidate: LMS launch → Eye's login → consent and checks on Eye's proctoring
page → the platform's ``start_proctoring_assessment`` view accepts Eye's ``LtiStartAssessment``
(its signal fires) → flags recorded while the assessment is open → ``LtiEndAssessment`` ends the
session. An instructor's launch lands in the dashboard."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from eye_testing.servers import EyeServer, eye_command, free_port

ROOT = Path(__file__).resolve().parents[2]
LMS = ROOT / "tests" / "openedx" / "lms.py"


def _wait(url: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the Open edX LMS did not start; see {log}:\n{log.read_text()[-3000:]}") from None
            time.sleep(0.2)


@pytest.fixture(scope="module")
def openedx(tmp_path_factory, built):
    """Eye and Open edX's platform, registered with each other as an institution would."""
    python = subprocess.run([str(ROOT / "scripts" / "openedx.sh")], capture_output=True, text=True, check=True)
    python = python.stdout.strip().splitlines()[-1]
    tmp = tmp_path_factory.mktemp("lti")
    (tmp / "eye").mkdir()
    eye = EyeServer(tmp / "eye")
    eye.create_key("exam.example.test")  # makes the institution "Test University"
    lms_url = f"http://127.0.0.1:{free_port()}"
    common = ["--data", str(tmp / "lms"), "--lms", lms_url, "--eye", eye.url]
    setup = subprocess.run([python, str(LMS), "setup", *common], capture_output=True, text=True, check=True)
    registration = json.loads(setup.stdout.strip().splitlines()[-1])
    added = subprocess.run(eye_command(
        "lti", "add-platform", "--institution", "Test University", "--issuer", registration["issuer"],
        "--client-id", registration["client_id"], "--deployment-id", registration["deployment_id"],
        "--auth-url", registration["auth_url"], "--jwks-url", registration["jwks_url"],
        "--database-url", eye.db_url), cwd=tmp, capture_output=True, text=True)
    assert added.returncode == 0, added.stderr
    log = tmp / "lms.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([python, str(LMS), "serve", *common], stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait(lms_url + "/harness/started", proc, log)
        yield eye, lms_url
    finally:
        proc.terminate()
        proc.wait(10)
        eye.stop()


def _started(lms_url: str) -> list[dict]:
    return json.loads(urllib.request.urlopen(lms_url + "/harness/started", timeout=5).read())["started"]


def _poll(what, timeout: float = 90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = what()
        if found:
            return found
        time.sleep(0.5)
    raise AssertionError("timed out waiting")


def _proctored(page, eye, lms: str, user: str | None, attempt: int = 1) -> None:
    """``user`` (signed in to the LMS first, unless None) starts ``attempt`` from the LMS, consents
    on Eye's proctoring page and waits until proctoring is active."""
    if user is not None:
        page.goto(f"{lms}/harness/login?user={user}")
    page.goto(f"{lms}/harness/launch?message=LtiStartProctoring&attempt={attempt}")
    # LMS → Eye's /lti/login → the LMS's launch gate → Eye's /lti/launch → Eye's proctoring page
    page.wait_for_url(f"{eye.url}lti/attempts/*", timeout=30000)
    page.click("#eye-consent-accept", timeout=120000)
    page.wait_for_selector("#open:not([hidden])", timeout=180000)


def test_a_candidate_takes_a_proctored_open_edx_attempt(openedx, browser):
    eye, lms = openedx
    context = browser.new_context()
    page = context.new_page()
    _proctored(page, eye, lms, "ada")
    session_id, attempt_number, reason = eye.query("SELECT id, attempt_number, end_reason FROM sessions")[0]
    assert attempt_number == 1 and reason is None
    with context.expect_page() as opened:
        page.click("#open")
    assessment = opened.value
    assessment.wait_for_load_state()
    # Open edX checked Eye's LtiStartAssessment and let the candidate in: its signal fired
    started = _poll(lambda: _started(lms))
    assert started[0]["attempt_number"] == 1 and started[0]["resource_link"]["id"].startswith("block-v1:EyeX")
    assert "error" not in assessment.url
    # the candidate is in the LMS's assessment while Eye watches: the fake camera shows no face
    _poll(lambda: eye.query("SELECT 1 FROM events WHERE session_id = :s AND type = 'FACE_ABSENCE'", s=session_id))
    # the LMS ends the attempt (LtiEndAssessment), as it does when the assessment is submitted
    assessment.goto(f"{lms}/harness/launch?message=LtiEndAssessment&attempt=1")
    assessment.wait_for_selector("text=Attempt finished", timeout=30000)
    ended, reason = eye.query("SELECT ended_at, end_reason FROM sessions WHERE id = :s", s=session_id)[0]
    assert ended is not None and reason == "assessment_ended"
    # Eye's window learns it from the server and says so
    page.wait_for_function("document.getElementById('status').textContent.includes('ended')", timeout=60000)
    context.close()


def test_a_closed_proctoring_window_is_recorded_and_a_relaunch_resumes_the_session(openedx, browser):
    eye, lms = openedx
    context = browser.new_context()
    page = context.new_page()
    _proctored(page, eye, lms, "kim")
    [(attempt_id, session_id)] = eye.query("SELECT id, session_id FROM lti_attempts WHERE subject = :s", s="openedx-kim")
    page.close()  # mid-attempt: the page's beacon tells Eye
    _poll(lambda: eye.query("SELECT 1 FROM lti_attempts WHERE id = :a AND window_closed_at IS NOT NULL", a=attempt_id))
    # the candidate starts the same attempt again from the LMS: the same session goes on
    page = context.new_page()
    _proctored(page, eye, lms, None)
    assert page.url == f"{eye.url}lti/attempts/{attempt_id}"
    assert eye.query("SELECT session_id FROM lti_attempts WHERE id = :a", a=attempt_id)[0][0] == session_id
    assert eye.query("SELECT count(*) FROM sessions WHERE candidate_id = 'openedx-kim'")[0][0] == 1
    context.close()


def test_an_instructor_launch_lands_in_the_dashboard(openedx, browser):
    eye, lms = openedx
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{lms}/harness/login?user=grace")
    page.goto(f"{lms}/harness/launch?message=LtiResourceLinkRequest&role=instructor")
    page.wait_for_url(f"{eye.url}dashboard/**", timeout=30000)
    assert "grace@openedx.test" in page.content()
    role = eye.query("SELECT role FROM users WHERE email = 'grace@openedx.test'")[0][0]
    assert role == "admin"  # Open edX's course "instructor" carries the Administrator role
    page.click("text=LMS")  # an admin finds the URLs the LMS needs, and the LMS registered
    assert f"{eye.url}lti/launch" in page.text_content("#tool-urls")
    assert lms in page.text_content("#platforms")
    context.close()


def test_a_learners_plain_launch_has_nothing_to_do(openedx, browser):
    eye, lms = openedx
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{lms}/harness/login?user=lin")
    page.goto(f"{lms}/harness/launch?message=LtiResourceLinkRequest&role=student")
    page.wait_for_selector("text=Nothing to do here", timeout=30000)
    assert eye.query("SELECT count(*) FROM users WHERE email = 'lin@openedx.test'")[0][0] == 0
    context.close()

