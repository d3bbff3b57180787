"""The setup check in Debian's Chromium (issue 23): Eye's /check/ page run by keyboard alone with a
real face and voice (axe clean, every check passed, a support code that reads back); checkSystem()
on an exam site, after which the exam page boots from the start-up snapshot; and each problem a
candidate meets — a blocked camera, a silent microphone, a window instead of the screen, a slow
upload (CDP network throttling) — as a failed check with its fix."""

from __future__ import annotations

import numpy as np
import pytest

from eye_testing import media as fx
from widget.checkup import FIXES, decode
from widget.language import words

from .conftest import PW
from .test_accessibility import serious
from .test_screen_in_chromium import A_WINDOW

pytestmark = pytest.mark.e2e
NO_FACES = {"aiProctoring": False, "facialRecognition": False}


@pytest.fixture(scope="session")
def check_clips(tmp_path_factory):
    d = tmp_path_factory.mktemp("check-media")
    return {
        "face": fx.write_y4m(d / "face.y4m", fx.scene([fx.astronaut()])),
        "voice": fx.write_wav(d / "voice.wav", np.concatenate([fx.speechlike(8)] * 8)),
        "silence": fx.write_wav(d / "silence.wav", fx.silence(60)),
    }


@pytest.fixture
def launch(playwright_instance):
    opened = []

    def make(**kwargs):
        opened.append(PW["launch"](playwright_instance, **kwargs))
        return opened[-1]

    yield make
    for b in opened:
        b.close()


def exam_site(browser, exam_page, init_script=None):
    page = browser.new_context().new_page()
    if init_script:
        page.add_init_script(init_script)
    page.goto(exam_page.url)
    page.wait_for_function("typeof window.LoadProctormeWidget === 'function'")
    assert page.evaluate("() => window.boot([], [])") == "loaded"
    return page


def check(page, options, consent=True):
    """checkSystem(options) on the exam page; ``consent``: press Allow on the device notice."""
    page.evaluate("(o) => { window.checked = window.widget.checkSystem(o).then("
                  "(r) => ({results: Array.from(r), code: r.code}), (e) => ({error: e.message, code: e.code})); }", options)
    if consent and (options.get("camera", True) or options.get("microphone", True) or options.get("screen", False)):
        page.click("#eye-consent-accept", timeout=60000)
    answer = page.evaluate("window.checked")
    assert "error" not in answer, answer
    return {r["name"]: r for r in answer["results"]}, answer["code"]


def test_the_check_page_by_keyboard_passes_everything_in_spanish(launch, eye, check_clips):
    browser = launch(video=str(check_clips["face"]), audio=str(check_clips["voice"]))
    page = browser.new_context(bypass_csp=True).new_page()
    page.goto(f"{eye.url}check/?lang=es")
    assert page.get_attribute("html", "lang") == "es"
    page.wait_for_selector("#start:not([disabled])", timeout=90000)
    assert serious(page) == []
    for _ in range(30):  # keyboard only: Tab to the button, Enter
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "start":
            break
    assert page.evaluate("document.activeElement.id") == "start"
    page.keyboard.press("Enter")
    page.wait_for_selector("#eye-consent", timeout=30000)
    assert page.evaluate("document.activeElement.id") == "eye-consent-accept"  # the notice takes the focus
    assert "Esta comprobación prueba tu ordenador" in page.inner_text("#eye-consent")
    page.keyboard.press("Enter")
    page.wait_for_selector("#results:not([hidden])", timeout=180000)
    statuses = page.evaluate("Object.fromEntries([...document.querySelectorAll('#list li')].map(li => [li.dataset.check, li.dataset.status]))")
    assert statuses == {"browser": "success", "network": "success", "camera": "success", "microphone": "success",
                        "screen": "default", "download": "success"}, page.inner_text("#results")
    assert page.evaluate("document.activeElement.id") == "results-title"  # results announced to the keyboard user
    assert "Todo está listo para tu examen." in page.inner_text("#summary")
    assert "Cámara" in page.inner_text("#list") and "✓ Correcto" in page.inner_text("#list")
    code = page.inner_text("#code")
    assert {n: c["status"] for n, c in decode(code)["checks"].items()} == statuses
    assert serious(page) == []
    assert page.locator("#eye-overlay").count() == 0  # the device notice and preview are gone


def test_a_check_on_the_exam_site_makes_the_exam_a_repeat_visit(launch, exam_page):
    browser = launch()
    page = exam_site(browser, exam_page)
    results, _ = check(page, {"camera": False, "microphone": False})
    assert results["download"]["status"] == "success"
    assert "start-up snapshot stored" in results["download"]["detail"], results["download"]
    page.reload()  # exam day: the same site, the same browser
    page.wait_for_function("typeof window.LoadProctormeWidget === 'function'")
    assert page.evaluate("() => window.boot([], [])") == "loaded"
    assert page.evaluate("window.widget.diagnostics().boot") == "snapshot"


def test_a_blocked_camera_fails_with_how_to_allow_it(launch, exam_page, check_clips):
    browser = launch(video=str(check_clips["face"]), audio=str(check_clips["voice"]), grant_media=False)
    page = exam_site(browser, exam_page)
    results, code = check(page, {"language": "fr", "features": NO_FACES, "microphone": True})
    for name in ("camera", "microphone"):
        assert results[name]["status"] == "failed", results[name]
        assert results[name]["fix"] == words("fr")(FIXES["blocked"])
    assert decode(code)["checks"]["camera"]["reason"] == "blocked"


def test_a_silent_microphone_fails_with_how_to_unmute_it(launch, exam_page, check_clips):
    browser = launch(video=str(check_clips["face"]), audio=str(check_clips["silence"]))
    page = exam_site(browser, exam_page)
    results, _ = check(page, {"features": NO_FACES, "microphone": True})
    assert results["camera"]["status"] == "success"
    assert results["microphone"]["status"] == "failed" and results["microphone"]["fix"] == FIXES["silent"]


def test_a_window_instead_of_the_screen_fails(launch, exam_page):
    browser = launch()
    page = exam_site(browser, exam_page, init_script=A_WINDOW)
    results, _ = check(page, {"screen": True, "camera": False, "microphone": False})
    assert results["screen"]["status"] == "failed" and results["screen"]["fix"] == FIXES["not-entire-screen"]


def test_a_slow_upload_fails_with_what_to_do(launch, exam_page):
    browser = launch()
    page = exam_site(browser, exam_page)
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 40, "downloadThroughput": 1_250_000,
                                                   "uploadThroughput": 16_000})  # 128 kbit/s up
    results, code = check(page, {"camera": False, "microphone": False})
    assert results["network"]["status"] == "failed" and results["network"]["fix"] == FIXES["slow-upload"]
    assert decode(code)["uploadKbps"] < 200
