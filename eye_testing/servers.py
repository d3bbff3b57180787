"""Real processes for end-to-end tests, benchmarks and the testing kit: ``eye serve`` on a free port with a fresh
SQLite file, and a static page server on another origin (``localhost`` instead of ``127.0.0.1``)."""

from __future__ import annotations

import http.server
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from sqlalchemy import create_engine, text

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def eye_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "server.cli", *args]


class EyeServer:
    """``eye serve`` in a subprocess; SQLite in ``tmp`` unless ``db_url`` names another database."""

    def __init__(self, tmp: Path, db_url: str | None = None, args: tuple[str, ...] = (), env: dict[str, str] | None = None):
        """``args`` are more ``eye serve`` options (``--public-url``, ...); ``env`` more variables."""
        self.port = free_port()
        self.db_path = tmp / "eye.db"
        self.db_url = db_url or f"sqlite:///{self.db_path}"
        self.media_dir = tmp / "media"
        self.url = f"http://127.0.0.1:{self.port}/"
        self.tmp = tmp
        self.log_path = tmp / "server.log"
        self.log = open(self.log_path, "a")  # a restarted server (same folder) appends
        self.proc = subprocess.Popen(
            eye_command("serve", "--host", "127.0.0.1", "--port", str(self.port), "--database-url", self.db_url,
                        "--media-dir", str(tmp / "media"), *args),
            cwd=tmp, stdout=self.log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})},
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
        out = subprocess.run(eye_command(*args), cwd=self.tmp, capture_output=True, text=True, check=True).stdout
        return out.strip().splitlines()[-1]

    def query(self, sql: str, **params):
        with self.engine.connect() as c:
            return c.execute(text(sql), params).all()

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)
        self.engine.dispose()
        self.log.close()


class PageServer:
    """Serves the exam page from ``localhost:PORT`` — a different origin from the Eye server."""

    def __init__(self, pages: dict[str, "str | tuple[bytes, str]"]):
        """``pages`` maps a path to HTML, or to ``(bytes, content type)``."""
        self.pages: dict[str, tuple[bytes, str]] = {}
        for path, content in pages.items():
            self.add(path, content)
        encoded = self.pages

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                found = encoded.get(self.path.split("?")[0])
                if found is None:
                    self.send_error(404)
                    return
                body, content_type = found
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.origin = f"http://localhost:{self.port}"
        self.domain = f"localhost:{self.port}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def add(self, path: str, content: "str | tuple[bytes, str]") -> None:
        """Serve ``content`` (HTML, or ``(bytes, content type)``) at ``path`` from now on."""
        self.pages[path] = (content.encode(), "text/html; charset=utf-8") if isinstance(content, str) else content

    def stop(self) -> None:
        self.httpd.shutdown()
