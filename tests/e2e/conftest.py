"""End-to-end fixtures: a real ``eye serve`` (fresh SQLite), an exam page on another origin,
and Debian's Chromium driven by Playwright (launch settings from ``playwright.config.py``)."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

from eye_testing.servers import EyeServer, PageServer

ROOT = Path(__file__).resolve().parents[2]
PAGE = Path(__file__).with_name("exam_page.html")
PW = runpy.run_path(str(ROOT / "playwright.config.py"))


#: Every event name the exam page records in benchmarks.
NAMES_FOR_BENCH = ["STARTED", "FACE_ABSENCE", "MULTIPLE_FACE", "FACE_MISMATCH", "FACE_MISALIGNMENT", "SOUND_DETECTED",
                   "END_PROCTORING"]


def exam_page_html(eye_url: str) -> str:
    return PAGE.read_text().replace("__EYE__", eye_url)


@pytest.fixture(scope="session")
def built() -> Path:
    loader = ROOT / "static" / "loader.js"
    if not loader.exists():
        pytest.fail("static/ is not built: run `python build.py` (the README's test command does)")
    return loader


@pytest.fixture(scope="session")
def eye(tmp_path_factory, built):
    server = EyeServer(tmp_path_factory.mktemp("eye"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def exam_page(eye):
    pages = PageServer({"/exam.html": exam_page_html(eye.url)})
    pages.url = f"{pages.origin}/exam.html"
    yield pages
    pages.stop()


@pytest.fixture(scope="session")
def api_key(eye, exam_page) -> str:
    return eye.create_key(exam_page.domain)


@pytest.fixture(scope="session")
def playwright_instance(eye_playwright):
    """The testing kit's Playwright (only one sync Playwright may run in a process)."""
    return eye_playwright


@pytest.fixture
def browser(playwright_instance):
    b = PW["launch"](playwright_instance)
    yield b
    b.close()


@pytest.fixture
def page(browser, eye, exam_page):
    """The exam page, loaded; every request URL it makes is kept in ``page.requested``."""
    context = browser.new_context()
    page = context.new_page()
    page.requested = []
    page.console = []
    context.on("request", lambda r: page.requested.append(r.url))
    page.on("console", lambda m: page.console.append((m.type, m.text)))
    page.goto(exam_page.url)
    page.wait_for_function("typeof window.LoadProctormeWidget === 'function'")
    yield page
    context.close()


def sign_in(page, base: str, email: str, password: str) -> None:
    """Sign in to the dashboard of the Eye server at ``base`` as a reviewer does: its login form
    (opened unless the page is on it already), then the dashboard's home."""
    base = base.rstrip("/")
    if not page.url.startswith(f"{base}/dashboard/login"):
        page.goto(f"{base}/dashboard/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/dashboard/")
