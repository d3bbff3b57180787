"""The testing kit as an exam platform uses it: its own exam page, a throwaway Eye server, a
Chromium whose camera shows two people — and the assertion that its handler got MULTIPLE_FACE.
Only the kit's fixtures and public helpers are used here (pytest plugin ``eye``)."""

import pytest

from eye_testing import astronaut, grace_hopper, silence

pytestmark = pytest.mark.e2e

MY_EXAM_PAGE = """<!doctype html>
<html><body>
  <button id="start">Start exam</button>
  <ul id="alerts"></ul>
  <script src="EYE_URLloader.js"></script>
  <script>
    window.alerts = [];
    document.getElementById("start").onclick = async () => {
      const widget = await LoadProctormeWidget();
      widget.on("MULTIPLE_FACE", (flag) => {            // the platform's own handler
        window.alerts.push(flag.type);
        document.getElementById("alerts").append(Object.assign(document.createElement("li"), { textContent: flag.description }));
      });
      await widget.init({ apiKey: "API_KEY", assessmentId: "final-101", assessmentTitle: "Final", candidateId: "c-9",
        candidateEmail: "c9@example.edu", candidateFirstName: "Cee", candidateLastName: "Nine",
        institutionName: "Example College", examDuration: 600 });
    };
  </script>
</body></html>"""


def test_two_faces_reach_my_multiple_face_handler(eye_server, eye_page_server, eye_browser):
    site = eye_page_server({})  # the platform's pages, on http://localhost:PORT
    key = eye_server.create_key(site.domain)
    site.add("/exam.html", MY_EXAM_PAGE.replace("EYE_URL", eye_server.url).replace("API_KEY", key))
    page = eye_browser(camera=[astronaut(), grace_hopper()], microphone=silence(30)).new_page()
    page.goto(f"{site.origin}/exam.html")
    page.click("#start")
    page.click("#eye-consent-accept", timeout=30000)
    page.wait_for_function("window.alerts.includes('MULTIPLE_FACE')", timeout=30000)
    assert page.locator("#alerts li").count() >= 1
