"""A webhook receiver on loopback for the tests: answers the statuses it is given (then 200), or
what ``answer(headers)`` says, optionally with a ``Location``, or never (``hang``); keeps every
request it got as ``(headers, body, monotonic time)``."""

from __future__ import annotations

import http.server
import threading
import time
from typing import Callable


class Receiver:
    def __init__(self, statuses=(), hang: bool = False, location: str | None = None,
                 answer: Callable[[dict[str, str]], int] | None = None):
        self.got: list[tuple[dict[str, str], bytes, float]] = []
        statuses = list(statuses)
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.got.append((dict(self.headers), body, time.monotonic()))
                if hang:
                    time.sleep(30)
                status = answer(dict(self.headers)) if answer else (statuses.pop(0) if statuses else 200)
                self.send_response(status)
                if location:
                    self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *a):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def wait(self, n: int, timeout: float = 15) -> list[tuple[dict[str, str], bytes, float]]:
        deadline = time.monotonic() + timeout
        while len(self.got) < n and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.got
