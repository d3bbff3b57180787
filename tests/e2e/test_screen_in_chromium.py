"""Screen and browser signals in Debian's Chromium (its fake screen: a 1280×720 "monitor";
``--screen-info`` presents one or two screens): sharing the entire screen, a tab switch pictured
from the shared screen and stored by the server, the share stopped and shared again, copy and
paste from the keyboard, a window made small, two screens, and a declined or partial share."""

from __future__ import annotations

import base64
import io
import json

import pytest
from PIL import Image

from eye_testing.chromium import chromium_path, launch_args

from .test_widget_in_chromium import blur, received, wait_for

pytestmark = pytest.mark.e2e
SCREEN = {"screenMonitoring": True}
NO_CAMERA = {"aiProctoring": False, "facialRecognition": False, "periodicSnapshots": False}
NAMES = ["SYSTEM_CHECK_COMPLETED", "STARTED", "TAB_NOT_FOCUS", "SCREEN_SHARE_STOPPED", "MULTIPLE_SCREENS", "CLIPBOARD",
         "WINDOW_RESIZED", "EXIT_FULLSCREEN", "SUSPICIOUS_ACTIVITY"]
#: Keeps every screen stream the page is given, as a test's handle on "Stop sharing".
SPY = "window.__screens = []; const real = navigator.mediaDevices.getDisplayMedia.bind(navigator.mediaDevices);" \
      "navigator.mediaDevices.getDisplayMedia = async (c) => { const s = await real(c); window.__screens.push(s); return s; };"


@pytest.fixture
def open_page(playwright_instance, eye, exam_page):
    """``open_page(screens=..., init_script=...)``: the exam page in a Chromium whose window is
    1280×720 on the given screens (``--screen-info``), not emulated, so window and screen sizes
    are the browser's own."""
    browsers = []

    def make(screens: str = "{0,0 1280x720}", init_script: str | None = None):
        browser = playwright_instance.chromium.launch(
            executable_path=chromium_path(), args=[*launch_args(), "--window-size=1280,720", f"--screen-info={screens}"])
        browsers.append(browser)
        page = browser.new_context(no_viewport=True).new_page()
        if init_script:
            page.add_init_script(init_script)
        page.goto(exam_page.url)
        page.wait_for_function("typeof window.LoadProctormeWidget === 'function'")
        assert page.evaluate("([n]) => window.boot(n, [])", [NAMES]) == "loaded"
        return page

    yield make
    for b in browsers:
        b.close()


def begin(page, api_key, features, consent=True):
    """init with ``features`` (camera and microphone off); clicks the consent card."""
    from tests.conftest import BROWSER_ONLY

    config = {**BROWSER_ONLY, "apiKey": api_key, "features": {**NO_CAMERA, **features}}
    page.evaluate("(c) => { window.pending = window.startExam(c); }", config)
    if consent:
        page.click("#eye-consent-accept", timeout=30000)
    return page.evaluate("window.pending")


def flags(page):
    return [e for e in received(page) if e["name"] not in ("SYSTEM_CHECK_COMPLETED", "STARTED")]


def jpeg(page, index):
    return Image.open(io.BytesIO(base64.b64decode(page.evaluate("(i) => window.fileBase64(i)", index))))


def test_a_tab_switch_carries_a_picture_of_the_entire_screen(open_page, api_key, eye):
    page = open_page()
    result = begin(page, api_key, SCREEN)
    assert result["ok"], result
    assert "entire screen" in received(page)[0]["data"]["data"][3].get("detail", "")
    blur(page, False)
    wait_for(page, "TAB_NOT_FOCUS")
    blur(page, True)
    flag = next(e["data"] for e in received(page) if e["name"] == "TAB_NOT_FOCUS")
    assert flag["details"]["evidence"] == "screen" and flag["mediaFile"]["type"] == "image/jpeg"
    picture = jpeg(page, flag["mediaFile"]["index"])
    assert picture.format == "JPEG" and picture.size == (1280, 720)  # the fake screen, at most 1280 wide
    page.evaluate("window.widget.endProctoring()")
    sid = result["started"]["sessionId"]
    page.wait_for_timeout(500)
    rows = eye.query("select m.content_type, m.size, m.path from media m join events e on e.session_id = m.session_id "
                     "and e.client_id = m.event_client_id where e.type = 'TAB_NOT_FOCUS' and m.session_id = :s", s=sid)
    assert [(r[0], r[1]) for r in rows] == [("image/jpeg", flag["mediaFile"]["size"])]
    stored = Image.open(eye.media_dir / rows[0][2])
    assert stored.size == (1280, 720)  # the server kept a decodable picture of the screen


def test_stopping_the_share_is_flagged_and_the_candidate_shares_again(open_page, api_key):
    page = open_page(init_script=SPY)
    assert begin(page, api_key, SCREEN)["ok"]
    # "Stop sharing": the browser stops the track and it fires "ended"
    page.evaluate("() => { const t = window.__screens[0].getVideoTracks()[0]; t.stop(); t.dispatchEvent(new Event('ended')); }")
    wait_for(page, "SCREEN_SHARE_STOPPED")
    assert "share it again" in page.inner_text("#eye-prompt")
    page.click("#eye-prompt-accept")
    page.wait_for_function("document.getElementById('eye-status').textContent.includes('screen shared')")
    assert page.evaluate("window.__screens.length") == 2
    page.keyboard.press("Control+A")
    page.keyboard.press("Control+C")
    wait_for(page, "CLIPBOARD")
    clip = next(e["data"] for e in received(page) if e["name"] == "CLIPBOARD")
    assert clip["details"]["evidence"] == "screen"  # pictured from the new share


def test_copy_and_paste_from_the_keyboard_are_flagged_without_their_content(page, api_key, eye):
    from .test_widget_in_chromium import boot, start

    boot(page)
    page.evaluate("() => { window.widget.on('CLIPBOARD', (d) => { window.received.push({name: 'CLIPBOARD', data: d}); }); }")
    page.evaluate("() => { const a = document.createElement('textarea'); a.id = 'answer'; a.value = 'the secret answer is 42';"
                  " document.body.append(a); const b = document.createElement('textarea'); b.id = 'other'; document.body.append(b); }")
    result = start(page, api_key)
    assert result["ok"], result
    page.focus("#answer")
    page.keyboard.press("Control+A")
    page.keyboard.press("Control+C")
    page.focus("#other")
    page.keyboard.press("Control+V")
    wait_for(page, "CLIPBOARD", 2)
    clips = [e["data"]["details"] for e in received(page) if e["name"] == "CLIPBOARD"]
    assert clips[0] == {"action": "copy", "length": len("the secret answer is 42")}
    assert clips[1]["action"] == "paste" and isinstance(clips[1]["length"], int)
    page.evaluate("window.widget.endProctoring()")
    page.wait_for_timeout(500)
    payloads = eye.query("select payload from events where session_id = :s and type = 'CLIPBOARD'", s=result["started"]["sessionId"])
    assert len(payloads) == 2 and all("secret" not in json.dumps(p[0]) for p in payloads)  # never the content


def test_a_window_made_small_is_flagged(open_page, api_key):
    page = open_page()
    assert begin(page, api_key, {"tabMonitoring": False}, consent=False)["ok"]
    cdp = page.context.new_cdp_session(page)
    window = cdp.send("Browser.getWindowForTarget")["windowId"]
    cdp.send("Browser.setWindowBounds", {"windowId": window, "bounds": {"width": 600, "height": 700}})  # half the screen
    wait_for(page, "WINDOW_RESIZED", timeout=10000)
    flag = next(e["data"] for e in received(page) if e["name"] == "WINDOW_RESIZED")
    assert flag["details"]["share"] == pytest.approx(600 / 1280, abs=0.01) and flag["details"]["seconds"] >= 3


def test_two_screens_are_flagged_at_the_start(open_page, api_key):
    page = open_page(screens="{0,0 1280x720}{1280,0 1280x720}")
    assert page.evaluate("screen.isExtended") is True
    assert begin(page, api_key, {}, consent=False)["ok"]
    wait_for(page, "MULTIPLE_SCREENS")
    flag = next(e["data"] for e in received(page) if e["name"] == "MULTIPLE_SCREENS")
    assert flag["details"]["isExtended"] is True and "screens" not in flag["details"]  # no permission was asked for
    assert [e["name"] for e in flags(page)] == ["MULTIPLE_SCREENS"]


DECLINE = "navigator.mediaDevices.getDisplayMedia = async () => { throw new DOMException('Permission denied', 'NotAllowedError'); };"
A_WINDOW = SPY.replace("window.__screens.push(s); return s;",
                       "window.__screens.push(s); const t = s.getVideoTracks()[0]; const g = t.getSettings.bind(t);"
                       " t.getSettings = () => ({...g(), displaySurface: 'window'}); return s;")


def test_declining_the_screen_rejects_init(open_page, api_key):
    page = open_page(init_script=DECLINE)
    result = begin(page, api_key, SCREEN)
    assert not result["ok"] and result["code"] == "PERMISSION_DENIED" and "declined" in result["message"]
    assert page.evaluate("window.widget.state") == "loaded"


def test_a_window_instead_of_the_screen_is_asked_again_then_refused(open_page, api_key):
    page = open_page(init_script=A_WINDOW)
    config_done = page.evaluate("() => 0")
    from tests.conftest import BROWSER_ONLY

    page.evaluate("(c) => { window.pending = window.startExam(c); }",
                  {**BROWSER_ONLY, "apiKey": api_key, "features": {**NO_CAMERA, **SCREEN}})
    page.click("#eye-consent-accept", timeout=30000)
    for _ in range(2):  # asked again twice, with a button (the picker needs a click)
        page.wait_for_selector("#eye-prompt-accept")
        assert "entire screen" in page.inner_text("#eye-prompt")
        page.click("#eye-prompt-accept")
    result = page.evaluate("window.pending")
    assert not result["ok"] and result["code"] == "PERMISSION_DENIED" and config_done == 0
    assert "not their entire screen" in result["message"]
    assert page.evaluate("window.__screens.every(s => s.getVideoTracks()[0].readyState === 'ended')")  # all released
