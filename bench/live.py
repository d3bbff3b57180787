"""Live proctoring benchmark (loopback, one ``eye serve``): N simulated widgets each hold their
session's channel open (server-sent events over HTTP, as the widget streams it) while a
simulated proctor acts and a simulated live page listens. Prints:

- action → widget: from a platform API message sent to a random session until that session's
  stream delivers it (p50/p95);
- flag → live page: from a flag batch stored until a live page's stream said "changed" and its
  grid fetched right after shows the new flag count (p50/p95);
- memory per idle connection: the server's resident memory with N streams open, minus before,
  over N (``/proc/PID/status`` VmRSS); and the same for the second half of them alone, which
  leaves out what any number of streams costs once (threads, buffers).

Goals (issue 24): p95 ≤ 1 s each, ≤ 50 KB per idle connection, with 500 candidates.

Run: ``.venv/bin/python bench/live.py [--candidates 500] [--actions 40] [--flags 20]``.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from eye_testing.servers import EyeServer, eye_command  # noqa: E402
from tests.conftest import BROWSER_ONLY, moment  # noqa: E402

ORIGIN = "http://localhost:5000"
PASSWORD = "live bench password"
ENV = {"EYE_RATE_LIMITS": "key_address=5000 per 30 seconds,key=5000 per 10 seconds,secret_key=5000 per 10 seconds,"
                          "events=500 per 4 seconds"}


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


class Widget:
    """One simulated candidate: its session and the messages its stream delivered, with when."""

    def __init__(self, session_id: str, token: str):
        self.session_id, self.token = session_id, token
        self.arrived: dict[str, float] = {}
        self.connected = asyncio.Event()

    async def listen(self, client: httpx.AsyncClient, url: str) -> None:
        headers = {"Origin": ORIGIN, "Authorization": f"Bearer {self.token}", "Accept": "text/event-stream"}
        async with client.stream("GET", f"{url}api/v1/sessions/{self.session_id}/channel?after=0", headers=headers) as r:
            async for chunk in r.aiter_text():
                self.connected.set()
                for ident in re.findall(r"^id: (\d+)$", chunk, re.M):
                    self.arrived.setdefault(ident, time.perf_counter())


async def run(args: argparse.Namespace, eye: EyeServer, api_key: str, secret: str) -> None:
    limits = httpx.Limits(max_connections=args.candidates + 50, max_keepalive_connections=args.candidates + 50)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client, httpx.AsyncClient(timeout=60) as desk:
        widgets = []
        for i in range(args.candidates):
            r = await client.post(f"{eye.url}api/v1/sessions", headers={"Origin": ORIGIN},
                                  json={"apiKey": api_key, "config": {**BROWSER_ONLY, "candidateId": f"live-{i}"}})
            r.raise_for_status()
            widgets.append(Widget(r.json()["sessionId"], r.json()["token"]))
        before = rss_kb(eye.proc.pid)
        half = len(widgets) // 2
        tasks = [asyncio.ensure_future(w.listen(client, eye.url)) for w in widgets[:half]]
        await asyncio.wait_for(asyncio.gather(*(w.connected.wait() for w in widgets[:half])), 120)
        await asyncio.sleep(3.0)  # settle
        halfway = rss_kb(eye.proc.pid)
        tasks += [asyncio.ensure_future(w.listen(client, eye.url)) for w in widgets[half:]]
        await asyncio.wait_for(asyncio.gather(*(w.connected.wait() for w in widgets)), 120)
        await asyncio.sleep(3.0)
        during = rss_kb(eye.proc.pid)

        # action → widget
        action_ms = []
        for _ in range(args.actions):
            w = random.choice(widgets)
            sent_at = time.perf_counter()
            r = await desk.post(f"{eye.url}api/v1/sessions/{w.session_id}/messages", json={"text": "Please face the camera."},
                                headers={"Authorization": f"Bearer {secret}"})
            r.raise_for_status()
            ident = r.json()["messageId"]
            deadline = time.perf_counter() + 15
            while ident not in w.arrived and time.perf_counter() < deadline:
                await asyncio.sleep(0.005)
            if ident in w.arrived:
                action_ms.append((w.arrived[ident] - sent_at) * 1000)
            await asyncio.sleep(0.05)

        # flag → live page (a signed-in reviewer's live stream and grid)
        page = await desk.get(f"{eye.url}dashboard/login")
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]  # the login page has one
        await desk.post(f"{eye.url}dashboard/login", data={"email": "live@bench.edu", "password": PASSWORD, "csrf": csrf})
        changed = asyncio.Event()

        async def live_page() -> None:
            async with desk.stream("GET", f"{eye.url}dashboard/live/stream") as r:
                async for chunk in r.aiter_text():
                    if "changed" in chunk:
                        changed.set()

        page_task = asyncio.ensure_future(live_page())
        await asyncio.sleep(1.0)
        flag_ms = []
        for n in range(args.flags):
            w = random.choice(widgets)
            grid = await desk.get(f"{eye.url}dashboard/live/grid")
            count = _flags(grid.text, w.session_id)
            changed.clear()
            sent_at = time.perf_counter()
            r = await client.post(f"{eye.url}api/v1/sessions/{w.session_id}/events",
                                  headers={"Origin": ORIGIN, "Authorization": f"Bearer {w.token}"},
                                  json={"events": [{"id": f"flag-{n}-{w.session_id[:8]}", "type": "TAB_NOT_FOCUS",
                                                    "createdAt": moment(), "payload": {"description": "left the tab"}}]})
            r.raise_for_status()
            try:
                await asyncio.wait_for(changed.wait(), 15)
            except asyncio.TimeoutError:
                continue
            grid = await desk.get(f"{eye.url}dashboard/live/grid")
            if _flags(grid.text, w.session_id) > count:
                flag_ms.append((time.perf_counter() - sent_at) * 1000)
            await asyncio.sleep(0.2)
        page_task.cancel()
        for t in tasks:
            t.cancel()

    print(f"candidates: {args.candidates} simulated widgets, each streaming its channel from one eye serve (SQLite, loopback)")
    print(f"action → widget:   p50 {statistics.median(action_ms):6.1f} ms  p95 {percentile(action_ms, 95):6.1f} ms  "
          f"({len(action_ms)}/{args.actions} delivered; goal p95 ≤ 1000 ms)")
    if flag_ms:
        print(f"flag → live page:  p50 {statistics.median(flag_ms):6.1f} ms  p95 {percentile(flag_ms, 95):6.1f} ms  "
              f"({len(flag_ms)}/{args.flags} shown; goal p95 ≤ 1000 ms)")
    else:
        print("flag → live page:  none shown")
    print(f"memory per idle connection: {(during - before) / args.candidates:.1f} KB "
          f"(server RSS {before / 1024:.1f} → {during / 1024:.1f} MB; goal ≤ 50 KB); "
          f"the second {len(widgets) - half} alone: {(during - halfway) / (len(widgets) - half):.1f} KB each "
          "(without what the first ones started: threads, buffers)")


def _flags(grid: str, session_id: str) -> int:
    found = re.search(rf'data-session="{session_id}".*?data-flags="(\d+)"', grid, re.S)
    return int(found.group(1)) if found else -1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--candidates", type=int, default=500)
    parser.add_argument("--actions", type=int, default=40)
    parser.add_argument("--flags", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        eye = EyeServer(Path(tmp), env=ENV)
        try:
            key = eye.create_key("localhost:5000")
            secret = eye.create_secret_key()
            subprocess.run(eye_command("users", "create", "--institution", "Test University", "--email", "live@bench.edu",
                                       "--role", "reviewer", "--password-stdin", "--database-url", eye.db_url),
                           input=PASSWORD + "\n", text=True, check=True, capture_output=True, cwd=tmp)
            asyncio.run(run(args, eye, key, secret))
        finally:
            eye.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
