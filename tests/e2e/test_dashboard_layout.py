"""Every dashboard page at a phone's width (390 px) and a laptop's (1366 px), in Chromium: nothing
wider than the viewport except a table inside a labelled scroll container that says it scrolls,
and the navigation short enough to leave the content on the first screen. Screenshots of each go
to the test's folder (``layout-*.png``) for a person to look at."""

from __future__ import annotations

import subprocess

import pytest

from eye_testing.servers import EyeServer, eye_command
from eye_testing.sessions import ended_session
from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e
PASSWORD = "layout password 42"

#: Elements sticking out of the viewport that are not inside a labelled, focusable scroll
#: container with a visible cue; and the page's own horizontal overflow.
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const bad = [];
  for (const el of document.querySelectorAll("body *")) {
    const box = el.getBoundingClientRect();
    if (!box.width || box.right <= width + 1) continue;
    const scroller = el.closest(".table");
    const ok = scroller && scroller !== el && scroller.getAttribute("role") === "region" && scroller.getAttribute("aria-label")
      && scroller.tabIndex === 0 && scroller.getBoundingClientRect().right <= width + 1
      && getComputedStyle(scroller.querySelector(".scroll-cue") || document.body).display !== "none"
      && scroller.querySelector(".scroll-cue");
    if (!ok && !(scroller && scroller === el)) bad.push(`${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}${el.className && typeof el.className === "string" ? "." + el.className.split(" ")[0] : ""} right=${Math.round(box.right)}`);
  }
  return { pageWidth: document.documentElement.scrollWidth, width, bad: bad.slice(0, 12),
           header: Math.round(document.querySelector("header") ? document.querySelector("header").getBoundingClientRect().height : 0) };
}"""


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory, built):
    tmp = tmp_path_factory.mktemp("layout")
    eye = EyeServer(tmp)
    key = eye.create_key("exam.example.test")
    subprocess.run(eye_command("users", "create", "--institution", "Test University", "--email", "admin@test.edu",
                               "--password-stdin", "--database-url", eye.db_url),
                   input=PASSWORD + "\n", text=True, check=True, capture_output=True, cwd=tmp)
    made = ended_session(eye.url, key, "https://exam.example.test",
                         ["MULTIPLE_FACE", "FACE_ABSENCE", "TAB_NOT_FOCUS", "SOUND_DETECTED"],
                         candidateFirstName="Maximiliana", candidateLastName="Oberhausen-Vandersteen")
    yield eye, made["sessionId"], tmp
    eye.stop()


@pytest.mark.parametrize("width", [390, 1366])
def test_no_dashboard_page_overflows(dashboard, browser, width):
    eye, session_id, tmp = dashboard
    context = browser.new_context(viewport={"width": width, "height": 844})
    page = context.new_page()
    sign_in(page, eye.url, "admin@test.edu", PASSWORD)
    found = {}
    for name in ("", "review", "sessions", f"sessions/{session_id}", "keys", "settings", "report", "users", "audit",
                 "lms", "account", "live"):
        page.goto(f"{eye.url}dashboard/{name}")
        page.screenshot(path=str(tmp / f"layout-{width}-{name.replace('/', '-') or 'assessments'}.png"), full_page=True)
        result = page.evaluate(OVERFLOW)
        if result["bad"] or result["pageWidth"] > result["width"] or (width < 640 and result["header"] > 120):
            found[name or "assessments"] = result
    context.close()
    assert found == {}, "\n".join(f"{k}: {v}" for k, v in found.items())
