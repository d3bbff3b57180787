"""The npm package in Chromium, as a bundler user's page runs it: ``loadEye(eyeUrl)`` adds Eye's
loader once however often it is called, resolves the widget, and a wrong URL rejects with an
error that says what was expected, after which a correct call still works."""

from __future__ import annotations

import pytest

from eye_testing.servers import PageServer
from tests.unit.test_npm_package import build

pytestmark = pytest.mark.e2e
PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>bundled exam</title></head><body>
<script type="module">
  import { loadEye } from "/eye-js/index.js";
  window.loadEye = loadEye;
  window.ready = true;
</script></body></html>"""


@pytest.fixture(scope="module")
def bundled(eye):
    dist = build()
    pages = PageServer({"/exam.html": PAGE, "/eye-js/index.js": ((dist / "index.js").read_bytes(), "text/javascript")})
    yield pages
    pages.stop()


def test_load_eye_adds_the_loader_once_and_resolves_the_widget(bundled, eye, browser):
    page = browser.new_page()
    page.goto(f"{bundled.origin}/exam.html")
    page.wait_for_function("window.ready === true")
    wrong = page.evaluate("(u) => window.loadEye(u).then(() => 'loaded', e => e.message)", "http://127.0.0.1:9/")
    assert "expected Eye's loader at http://127.0.0.1:9/loader.js" in wrong
    result = page.evaluate("""async (url) => {
        const [a, b] = await Promise.all([window.loadEye(url), window.loadEye(url)]);
        const c = await window.loadEye(url);
        return { same: a === b && b === c, state: a.state, scripts: document.querySelectorAll('script[src$="loader.js"]').length,
                 global: typeof window.LoadEyeWidget, facade: Object.isFrozen(a) };
    }""", eye.url)
    assert result == {"same": True, "state": "loaded", "scripts": 1, "global": "function", "facade": True}
