"""The README's first command, as a new user meets it: `eye demo`, the demo exam page in Chromium
(fake camera and microphone), then the demo reviewer sees the session in the dashboard."""

from __future__ import annotations

import re
import subprocess
import time
import urllib.request

import pytest

from eye_testing.servers import eye_command, free_port
from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e


@pytest.fixture
def demo(tmp_path):
    port = free_port()
    log = open(tmp_path / "demo.log", "w+")
    proc = subprocess.Popen(eye_command("demo", "--port", str(port), "--database-url", f"sqlite:///{tmp_path / 'demo.db'}",
                                        "--media-dir", str(tmp_path / "media")), cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"{base}/api/v1/health", timeout=1).read()
            break
        except OSError:
            assert proc.poll() is None and time.monotonic() < deadline, (tmp_path / "demo.log").read_text()
            time.sleep(0.1)
    yield base, (tmp_path / "demo.log")
    proc.terminate()
    proc.wait(10)
    log.close()


def test_demo_exam_then_its_session_in_the_dashboard(demo, browser):
    base, log = demo
    page = browser.new_page()
    page.goto(f"{base}/demo/")
    page.wait_for_function("document.getElementById('status').textContent === 'Ready'", timeout=60000)
    page.click("#start")
    page.click("#eye-consent-accept", timeout=30000)
    page.wait_for_function("document.getElementById('status').textContent === 'Proctoring active'", timeout=30000)
    page.click("#end")
    page.wait_for_function("document.getElementById('status').textContent.startsWith('Exam ended')")
    assert "END_PROCTORING" in page.inner_text("#log")
    # every event in words, with its details, nothing wider than the page
    started = page.locator("#log li[data-event=STARTED]")
    assert started.locator(".name").inner_text() == "Proctoring started" and "sessionId" in started.inner_text()
    check = page.locator("#log li[data-event=SYSTEM_CHECK_COMPLETED]").inner_text()
    assert "webcam" in check and "microphone" in check
    assert page.evaluate("document.getElementById('log').scrollWidth <= document.getElementById('log').clientWidth")

    email, password = re.search(r"email (\S+)  password (\S+)", log.read_text()).groups()
    sign_in(page, base, email, password)
    page.click("text=Sessions")
    page.click("text=Ada Lovelace")
    assert "Integrity score" in page.inner_text("main") and page.locator("#timeline tr[data-type=STARTED]").count() == 1
