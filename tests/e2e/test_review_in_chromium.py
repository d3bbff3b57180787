"""A reviewer in Chromium, by keyboard: signs in, opens the review queue, walks a session's flags
with j/k, dismisses one and confirms one, clears the session; the score changes, the queue no
longer lists it, and the audit trail and the signed ReviewCompleted webhook show the decision."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import subprocess

import pytest

from eye_testing.servers import EyeServer, eye_command
from eye_testing.sessions import ended_session
from tests.e2e.conftest import sign_in
from tests.receiver import Receiver

pytestmark = pytest.mark.e2e
PASSWORD = "reviewer password 42"
ORIGIN = "http://localhost:5000"


@pytest.fixture(scope="module")
def eye(tmp_path_factory, built):
    """Its own server: webhooks may go to the loopback receiver, as EYE_WEBHOOK_ALLOW_HOSTS allows."""
    server = EyeServer(tmp_path_factory.mktemp("review"), env={"EYE_WEBHOOK_ALLOW_HOSTS": "127.0.0.1"})
    server.key = server.create_key("localhost:5000")
    subprocess.run(eye_command("users", "create", "--institution", "Test University", "--email", "admin@test.edu",
                               "--password-stdin", "--database-url", server.db_url),
                   input=PASSWORD + "\n", text=True, check=True, capture_output=True, cwd=server.tmp)
    yield server
    server.stop()


def test_a_reviewer_clears_a_session_by_keyboard(eye, browser):
    receiver = Receiver()
    worst = ended_session(eye.url, eye.key, ORIGIN, ["MULTIPLE_FACE", "TAB_NOT_FOCUS", "FACE_ABSENCE"],
                          candidateId="cand-worst", candidateFirstName="Wes", candidateLastName="Worst")
    mild = ended_session(eye.url, eye.key, ORIGIN, ["TAB_NOT_FOCUS"], candidateId="cand-mild",
                         candidateFirstName="Mia", candidateLastName="Mild")
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    sign_in(page, eye.url, "admin@test.edu", PASSWORD)
    page.click("text=Settings")  # the admin points the webhook at the institution's receiver
    page.fill("input[name=webhook_url]", receiver.url)
    page.click("text=Save")
    page.wait_for_selector("#new-secret, .secret")
    secret = re.search(r"whsec_[\w-]+", page.inner_text("main")).group(0)

    page.click("header a[href='/dashboard/review']")
    page.wait_for_selector("#queue tbody tr")
    rows = page.locator("#queue tbody tr")
    assert [rows.nth(i).get_attribute("data-session") for i in range(rows.count())] == [worst["sessionId"], mild["sessionId"]]
    page.click("#start-review")  # the most urgent session first
    page.wait_for_url(f"**/dashboard/sessions/{worst['sessionId']}")
    page.wait_for_selector("tr.flag.current")
    before = int(page.inner_text("#score"))
    multiple, tab, absence = worst["flagIds"]
    assert page.get_attribute("tr.current", "id") == f"flag-{multiple}"
    page.keyboard.press("j")
    assert page.get_attribute("tr.current", "id") == f"flag-{tab}"
    page.keyboard.press("d")  # dismiss the tab switch …
    page.wait_for_selector(f"tr[id='flag-{tab}'][data-verdict=dismissed]")
    assert page.get_attribute("tr.current", "id") == f"flag-{absence}"  # … and on to the next undecided flag
    assert int(page.inner_text("#score")) == before + 5  # TAB_NOT_FOCUS weighs 5
    # the breakdown says the same as the score, and who decided, without a reload (issue 25)
    breakdown = page.inner_text("#breakdown")
    assert "TAB_NOT_FOCUS" not in breakdown, breakdown
    assert "by admin@test.edu" in page.inner_text(f"tr[id='flag-{tab}'] .decided")
    page.keyboard.press("k")
    page.keyboard.press("k")
    assert page.get_attribute("tr.current", "id") == f"flag-{multiple}"
    page.keyboard.press("c")  # confirm the second face
    page.wait_for_selector(f"tr[id='flag-{multiple}'][data-verdict=confirmed]")
    assert "Confirmed. Score" in page.inner_text("#review-status")
    assert "in review" == page.inner_text("#review-state")
    page.keyboard.press("x")  # clear the session: on to the next one in the queue, which says so
    page.wait_for_url(f"**/dashboard/sessions/{mild['sessionId']}?reviewed={worst['sessionId']}")
    assert ": cleared. This is the next session to review." in page.inner_text("#reviewed")

    page.goto(f"{eye.url}dashboard/review")
    assert worst["sessionId"] not in page.content() and mild["sessionId"] in page.content()
    page.goto(f"{eye.url}dashboard/sessions/{worst['sessionId']}")
    assert page.inner_text("#review-state") == "cleared" and int(page.inner_text("#score")) == before + 5
    assert "admin@test.edu" in page.inner_text(f"tr[id='flag-{multiple}'] .decided")
    page.click("header a[href='/dashboard/audit']")
    page.wait_for_selector("#audit")
    audit = page.inner_text("#audit")
    for action in ("flag dismissed", "flag confirmed", "session cleared"):
        assert action in audit

    got = receiver.wait(1, timeout=20)  # the flags came before the webhook was set: only the review is announced
    assert len(got) == 1
    headers, body, _ = got[0]
    signed = hmac.new(secret.encode(), headers["X-Eye-Timestamp"].encode() + b"." + body, hashlib.sha256).hexdigest()
    assert headers["X-Eye-Signature"] == f"sha256={signed}"
    completed = [json.loads(body)]
    assert completed[0]["event"] == "ReviewCompleted"
    assert completed[0]["sessionId"] == worst["sessionId"] and completed[0]["state"] == "cleared"
    assert [f["flagId"] for f in completed[0]["confirmedFlags"]] == [multiple]
    assert completed[0]["score"] == before + 5 and completed[0]["reviewer"] == "admin@test.edu"
