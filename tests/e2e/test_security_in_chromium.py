"""What the dashboard renders, attacked in a real Chromium: a candidate id crafted as a path
(``../candidates/victim-42``) must not turn the "Delete everything about candidate" button
against another candidate, and ids with ``/`` can still be exported and deleted."""

from __future__ import annotations

import json
import subprocess

import httpx
import pytest

from eye_testing.servers import eye_command
from tests.conftest import VALID_CONFIG
from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e
PASSWORD = "security reviewer 42"
EMAIL = "sec@test.edu"


@pytest.fixture(scope="module")
def security_reviewer(eye):
    subprocess.run(eye_command("users", "create", "--institution", "Test University", "--create-institution", "--email", EMAIL,
                               "--password-stdin", "--database-url", eye.db_url),
                   input=PASSWORD + "\n", text=True, check=True, capture_output=True, cwd=eye.tmp)
    return EMAIL


def create_session(eye, key, candidate_id):
    """As an attacker with the page's public key would: a plain client forging the Origin."""
    r = httpx.post(f"{eye.url}api/v1/sessions", headers={"Origin": "http://localhost:5999"},
                   json={"apiKey": key, "config": {**VALID_CONFIG, "assessmentId": "sec-exam", "candidateId": candidate_id}})
    assert r.status_code == 201, r.text
    return r.json()["sessionId"]


def test_a_crafted_candidate_id_deletes_only_itself(eye, browser, security_reviewer):
    key = eye.create_key("localhost:5999")
    victim = create_session(eye, key, "victim-42")
    attacker = create_session(eye, key, "../candidates/victim-42")
    slashed = create_session(eye, key, "a/b")
    page = browser.new_page()
    sign_in(page, eye.url, EMAIL, PASSWORD)

    page.goto(f"{eye.url}dashboard/sessions/{slashed}")
    with page.expect_download() as download:
        page.click("text=Everything about this candidate")
    exported = json.loads(open(download.value.path()).read())
    assert [s["candidateId"] for s in exported["sessions"]] == ["a/b"]

    page.goto(f"{eye.url}dashboard/sessions/{attacker}")
    page.click("text=Delete everything about candidate")
    page.wait_for_url("**/dashboard/sessions?deleted=1")
    rows = {r[0] for r in eye.query("SELECT candidate_id FROM sessions WHERE assessment_id = 'sec-exam'")}
    assert rows == {"victim-42", "a/b"}  # the crafted id removed only its own session
    page.goto(f"{eye.url}dashboard/sessions/{victim}")
    assert "victim-42" in page.inner_text("main")

    page.goto(f"{eye.url}dashboard/sessions/{slashed}")
    page.click("text=Delete everything about candidate")
    page.wait_for_url("**/dashboard/sessions?deleted=1")
    assert {r[0] for r in eye.query("SELECT candidate_id FROM sessions WHERE assessment_id = 'sec-exam'")} == {"victim-42"}
