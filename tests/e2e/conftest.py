"""End-to-end fixtures: a real ``eye serve`` (fresh SQLite), an exam page on another origin,
and Debian's Chromium driven by Playwright (launch settings from ``playwright.config.py``)."""

from __future__ import annotations

import http.server
import os
import runpy
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import create_engine

ROOT = Path(__file__).resolve().parents[2]
PAGE = Path(__file__).with_name("exam_page.html")
PW = runpy.run_path(str(ROOT / "playwright.config.py"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def eye_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "server.cli", *args]


class EyeServer:
    def __init__(self, tmp: Path):
        self.port = free_port()
        self.db_path = tmp / "eye.db"
        self.db_url = f"sqlite:///{self.db_path}"
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log = open(tmp / "server.log", "w")
        self.proc = subprocess.Popen(
            eye_command("serve", "--host", "127.0.0.1", "--port", str(self.port), "--database-url", self.db_url),
            cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(self.url + "api/v1/health", timeout=1).read()
                break
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"eye serve did not start; see {tmp / 'server.log'}")
                time.sleep(0.1)
        self.engine = create_engine(self.db_url)

    def create_key(self, *domains: str) -> str:
        args = ["keys", "create", "--institution", "Test University", "--database-url", self.db_url]
        for d in domains:
            args += ["--domain", d]
        out = subprocess.run(eye_command(*args), cwd=ROOT, capture_output=True, text=True, check=True).stdout
        return out.strip().splitlines()[-1]

    def query(self, sql: str, **params):
        from sqlalchemy import text

        with self.engine.connect() as c:
            return c.execute(text(sql), params).all()

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)
        self.engine.dispose()
        self.log.close()


class PageServer:
    """Serves the exam page from ``localhost:PORT`` — a different origin from the Eye server."""

    def __init__(self, eye_url: str):
        body = PAGE.read_text().replace("__EYE__", eye_url).encode()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                if self.path.split("?")[0] != "/exam.html":
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.origin = f"http://localhost:{self.port}"
        self.url = f"{self.origin}/exam.html"
        self.domain = f"localhost:{self.port}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.httpd.shutdown()


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
    pages = PageServer(eye.url)
    yield pages
    pages.stop()


@pytest.fixture(scope="session")
def api_key(eye, exam_page) -> str:
    return eye.create_key(exam_page.domain)


@pytest.fixture(scope="session")
def playwright_instance():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


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
