"""The widget from Python: the PyScript example page (shipped with the demo) in Chromium, on
another origin than the Eye server, with Python listeners, a Python dict and WidgetError."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest

from eye_testing.servers import PageServer
from server.demo import python_page
from tests.conftest import BROWSER_ONLY

from .conftest import ROOT
from .test_widget_in_chromium import blur

pytestmark = pytest.mark.e2e


@pytest.fixture
def python_site(eye):
    site = PageServer({})
    yield site
    site.stop()


def open_page(browser, eye, site, key):
    manifest = json.loads((ROOT / "static" / "manifest.json").read_text())
    site.add("/exam.html", python_page(eye.url, key, manifest, BROWSER_ONLY["features"]))
    context = browser.new_context()
    page = context.new_page()
    page.requested = []
    context.on("request", lambda r: page.requested.append(r.url))
    page.console = []
    page.on("console", lambda m: page.console.append(m.text))
    page.goto(f"{site.origin}/exam.html")
    page.wait_for_selector("li[data-event=READY]", timeout=60000)
    return page


def logged(page, name):
    return page.locator(f"li[data-event={name}]").all_inner_texts()


def test_pyscript_page_proctors_from_python(browser, eye, python_site):
    key = eye.create_key(python_site.domain)
    page = open_page(browser, eye, python_site, key)
    page.click("#start")
    page.wait_for_selector("li[data-event=INIT_OK]", timeout=30000)
    session_id = logged(page, "INIT_OK")[0].split()[-1]
    assert logged(page, "STARTED") == [f"STARTED {session_id}"]  # the sync Python listener ran
    blur(page, False)
    page.wait_for_selector("li[data-event=TAB_NOT_FOCUS]")
    blur(page, True)
    page.click("#end")
    page.wait_for_selector("li[data-event=END_PROCTORING]")  # the async def listener ran
    assert logged(page, "END_PROCTORING") == ["END_PROCTORING manual"]
    assert eye.query("select end_reason from sessions where id = :s", s=session_id) == [("manual",)]
    hosts = {urlsplit(u).netloc for u in page.requested if not u.startswith(("data:", "blob:"))}
    assert hosts <= {f"127.0.0.1:{eye.port}", python_site.domain}, hosts


def test_pyscript_page_gets_widget_error_codes(browser, eye, python_site):
    page = open_page(browser, eye, python_site, "eye_not-a-key")
    page.click("#start")
    page.wait_for_selector("li[data-event=INIT_FAILED]", timeout=30000)
    assert logged(page, "INIT_FAILED")[0].startswith("INIT_FAILED INVALID_API_KEY")
