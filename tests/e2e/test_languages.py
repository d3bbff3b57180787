"""The candidate's language in Debian's Chromium (issue 23): Arabic right to left, Spanish, German
from the browser's own languages, an unknown language falling back to English with a warning,
every language's consent card at 390 px without overflowing or clipped text, and axe clean in
Arabic and English."""

from __future__ import annotations

import pytest

from tests.conftest import BROWSER_ONLY
from widget.language import LANGUAGES

from .test_accessibility import serious

pytestmark = pytest.mark.e2e
NAMES = ["SYSTEM_CHECK_COMPLETED", "STARTED"]
#: The longest notice a camera-less test can show: the camera (snapshots), the shared screen, every
#: browser signal, retention and a policy link. Consent comes before any device opens.
LONG = {**BROWSER_ONLY, "privacyUrl": "https://test.example.edu/privacy",
        "features": {"aiProctoring": False, "facialRecognition": False, "periodicSnapshots": True, "screenMonitoring": True}}
#: Browser signals only would show no notice; the screen needs one (and no camera is opened).
SCREEN_ONLY = {**BROWSER_ONLY, "features": {**BROWSER_ONLY["features"], "screenMonitoring": True}}


def open_exam(browser, exam_page, **context):
    page = browser.new_context(**context).new_page()
    page.console = []
    page.on("console", lambda m: page.console.append((m.type, m.text)))
    page.goto(exam_page.url)
    page.wait_for_function("typeof window.LoadProctormeWidget === 'function'")
    assert page.evaluate("([n]) => window.boot(n, [])", [NAMES]) == "loaded"
    return page


def ask(page, config):
    page.evaluate("(c) => { window.pending = window.startExam(c); }", config)
    page.wait_for_selector("#eye-consent", timeout=60000)
    return page.locator("#eye-consent")


def test_arabic_reads_right_to_left_and_passes_axe(browser, exam_page, api_key):
    page = open_exam(browser, exam_page)
    card = ask(page, {**SCREEN_ONLY, "apiKey": api_key, "language": "ar"})
    overlay = page.locator("#eye-overlay")
    assert overlay.get_attribute("lang") == "ar" and overlay.get_attribute("dir") == "rtl"
    assert page.evaluate("getComputedStyle(document.getElementById('eye-overlay')).direction") == "rtl"
    assert card.locator("h2").inner_text() == "مراقبة الاختبار"
    assert "تراقب Test University هذا الاختبار باستخدام Eye." in card.inner_text()
    assert page.locator("#eye-consent-accept").inner_text() == "السماح والبدء"
    # mirrored: the fixed panel sits at the inline end, which is the left in a right-to-left language
    box = overlay.bounding_box()
    assert box["x"] < 40, box
    # the buttons run right to left: the primary (first) one is the rightmost
    accept, decline = (page.locator(f"#eye-consent-{b}").bounding_box() for b in ("accept", "decline"))
    assert accept["x"] > decline["x"]
    assert serious(page) == []
    page.click("#eye-consent-decline")
    assert page.evaluate("window.pending")["code"] == "PERMISSION_DENIED"
    assert page.inner_text("#eye-status").startswith("لقد رفضت المراقبة")


def test_english_consent_passes_axe_and_sits_at_the_right(browser, exam_page, api_key):
    page = open_exam(browser, exam_page)
    ask(page, {**SCREEN_ONLY, "apiKey": api_key})
    overlay = page.locator("#eye-overlay")
    assert overlay.get_attribute("lang") == "en" and overlay.get_attribute("dir") == "ltr"
    box, width = overlay.bounding_box(), page.viewport_size["width"]
    assert box["x"] + box["width"] > width - 40, box
    assert serious(page) == []


def test_spanish_from_the_config_all_the_way_to_the_active_status(browser, exam_page, api_key):
    page = open_exam(browser, exam_page)
    card = ask(page, {**SCREEN_ONLY, "apiKey": api_key, "language": "es"})
    assert card.inner_text().startswith("Supervisión del examen")
    assert "Test University supervisa este examen con Eye." in card.inner_text()
    assert "Test University lo conserva 30 días y después lo borra." in card.inner_text()  # the server's setting
    page.click("#eye-consent-accept")
    result = page.evaluate("window.pending")
    assert result["ok"], result
    assert page.inner_text("#eye-status") == "La supervisión Eye está activa (pantalla compartida)" or \
        page.inner_text("#eye-status") == "La supervisión Eye está activa"
    # reviewers read English: the event payloads are not translated
    check = next(e for e in page.evaluate("window.received") if e["name"] == "SYSTEM_CHECK_COMPLETED")
    assert "entire screen" in check["data"]["data"][3]["detail"]


def test_the_browsers_languages_choose_german_with_no_config(browser, exam_page, api_key):
    page = open_exam(browser, exam_page, locale="de-AT", extra_http_headers={"Accept-Language": "de-AT,en;q=0.8"})
    assert page.evaluate("navigator.languages")[0] == "de-AT"
    card = ask(page, {**SCREEN_ONLY, "apiKey": api_key})
    assert "Test University beaufsichtigt diese Prüfung mit Eye." in card.inner_text()
    assert page.locator("#eye-overlay").get_attribute("lang") == "de"


def test_an_unknown_language_falls_back_to_english_with_a_console_warning(browser, exam_page, api_key):
    page = open_exam(browser, exam_page)
    card = ask(page, {**SCREEN_ONLY, "apiKey": api_key, "language": "tlh"})
    assert "Test University proctors this exam with Eye." in card.inner_text()
    assert any(kind == "warning" and "no catalog for config.language 'tlh'" in text for kind, text in page.console), page.console
    assert not any(kind == "error" and "Failed to load resource" not in text for kind, text in page.console), page.console
    page.click("#eye-consent-accept")
    assert page.evaluate("window.pending")["ok"]


def test_every_languages_consent_card_fits_a_390_px_phone(browser, exam_page, api_key, request):
    """Each language's longest notice at 390×844: inside the viewport, no line wider than its box,
    and everything reachable (the card scrolls inside itself when it is taller than the window)."""
    folder = request.config.rootpath / "test-results" / "languages"
    folder.mkdir(parents=True, exist_ok=True)
    page = open_exam(browser, exam_page, viewport={"width": 390, "height": 844})
    problems = {}
    for code in LANGUAGES:
        ask(page, {**LONG, "apiKey": api_key, "language": code})
        page.screenshot(path=str(folder / f"consent-{code}-390.png"))
        found = page.evaluate("""() => {
          const root = document.getElementById('eye-overlay');
          const box = root.getBoundingClientRect();
          const out = [];
          if (box.left < 0 || box.right > innerWidth || box.top < 0 || box.bottom > innerHeight)
            out.push('panel outside the viewport ' + JSON.stringify(box));
          const style = getComputedStyle(root);
          if (root.scrollHeight > root.clientHeight + 1 && !['auto', 'scroll'].includes(style.overflowY))
            out.push('taller than its box and not scrollable');
          for (const el of root.querySelectorAll('h2, p, li, a, button, #eye-status')) {
            if (el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).display !== 'inline')
              out.push(el.tagName + ' overflows: ' + el.textContent.slice(0, 40));
            const r = el.getBoundingClientRect();
            if (r.width && (r.left < box.left - 1 || r.right > box.right + 1))
              out.push(el.tagName + ' sticks out of the panel: ' + el.textContent.slice(0, 40));
          }
          if (!document.getElementById('eye-consent-text').textContent.includes('Test University'))
            out.push('the notice lost the institution name');
          return out;
        }""")
        page.locator("#eye-consent-decline").scroll_into_view_if_needed()
        assert page.locator("#eye-consent-decline").is_visible()
        if found:
            problems[code] = found
        page.click("#eye-consent-decline")
        assert page.evaluate("window.pending")["code"] == "PERMISSION_DENIED"
    assert problems == {}


def test_an_exam_without_devices_shows_what_it_records_without_holding_the_page(browser, exam_page, api_key):
    page = open_exam(browser, exam_page)
    page.focus("#fullscreen")  # the candidate is on the exam page
    result = page.evaluate("(c) => window.startExam(c)", {**BROWSER_ONLY, "apiKey": api_key, "language": "tr"})
    assert result["ok"], result  # nobody clicked: the notice does not wait
    notice = page.locator("#eye-notice")
    assert "Bu sayfa şunları kaydeder:" in notice.inner_text() and notice.get_attribute("role") == "dialog"
    assert page.evaluate("document.activeElement.id") == "fullscreen"  # the focus stays where the candidate is
    assert serious(page) == []
    page.click("#eye-notice-ok")
    page.wait_for_selector("#eye-notice", state="detached", timeout=10000)  # Python removes it on its next turn
    assert page.inner_text("#eye-status") == "Eye gözetimi etkin"
    page.evaluate("window.widget.endProctoring()")
