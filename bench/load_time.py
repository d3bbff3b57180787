"""Load benchmark: ``LoadEyeWidget()`` vs a bare ``loadPyodide()`` of the same runtime, on a first
(cold) visit and on a repeat visit; and Eye on exam day after the candidate ran the setup check
(``checkSystem()``) on the exam's site the day before.

Each run is a fresh persistent Chromium profile opening a page on another origin than the Eye
server twice (cold, then repeat with the HTTP cache and Cache Storage kept, as a candidate's
browser keeps them; for Eye the repeat waits until the first visit stored its snapshot). Times are ``performance.now()`` when the promise resolved (so they include fetching the
page and, for Eye, loader.js). Prints medians of N runs of each, their ratios, and the bytes the
Eye server sent during each visit (its access log's ``bytes``: response bodies as on the wire,
compressed where they were; a request the HTTP cache answered never reaches it). The page's own
CDP session would not do: Eye's first visit downloads the runtime in a worker.

Every visit goes over an emulated home connection (CDP ``Network.emulateNetworkConditions``:
10 Mbps down, 5 Mbps up, 40 ms round trip; ``--link none`` for loopback speed). Both pages load
from the same ``eye serve``, which sends brotli to Chromium for both alike.

"Checked the day before": a fresh profile opens a page of the exam's site that runs
``checkSystem()`` (no devices: they change nothing cached), the browser is closed (a day passes:
nothing stays in memory), reopened on the same profile, and the exam page is timed.

Run: ``.venv/bin/python bench/load_time.py [--runs 3] [--link none]`` (after ``python build.py``).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from eye_testing.chromium import chromium_path, launch_args  # noqa: E402
from eye_testing.servers import EyeServer, PageServer  # noqa: E402

EYE_PAGE = """<!doctype html><meta charset="utf-8"><title>eye</title>
<script src="__EYE__loader.js"></script>
<script>
window.done = LoadProctormeWidget().then((w) => ({ ms: performance.now(), state: w.state, boot: w.diagnostics().boot }));
</script>"""

BARE_PAGE = """<!doctype html><meta charset="utf-8"><title>bare</title>
<script type="module">
window.done = import("__RUNTIME__pyodide.mjs")
  .then((m) => m.loadPyodide({ indexURL: "__RUNTIME__" }))
  .then((py) => ({ ms: performance.now(), state: String(py.runPython("1+1")) }));
</script>"""


CHECK_PAGE = """<!doctype html><meta charset="utf-8"><title>check</title>
<script src="__EYE__loader.js"></script>
<script>
window.done = LoadProctormeWidget().then((w) => w.checkSystem({ camera: false, microphone: false }))
  .then((r) => ({ ms: performance.now(), download: r.find((c) => c.name === "download").detail }));
</script>"""

SNAPSHOT_STORED = """async () => { const c = await caches.open('eye-snapshots'); const k = await c.keys();
  return k.length > 0 && (await (await c.match(k[0])).arrayBuffer()).byteLength > 1000000; }"""


BOOTS: list[str] = []
CHECKS: list[str] = []
#: The emulated link (bytes per second, ms): a candidate's home connection.
LINKS = {"home": {"offline": False, "latency": 40, "downloadThroughput": 10e6 / 8, "uploadThroughput": 5e6 / 8},
         "none": None}
LINK: dict | None = LINKS["home"]


#: The Eye server's log, whose access lines say how many bytes each answer carried.
SERVER_LOG: Path | None = None


def served_since(offset: int) -> int:
    """Body bytes the Eye server sent after ``offset`` in its log."""
    assert SERVER_LOG is not None
    with SERVER_LOG.open("rb") as log:
        log.seek(offset)
        lines = log.read().decode(errors="replace").splitlines()
    total = 0
    for line in lines:
        try:
            total += int(json.loads(line).get("bytes", 0))
        except (ValueError, AttributeError):
            continue  # not an access line
    return total


def visit(context, url: str) -> tuple[float, int]:
    """One page load in ``context``: ms until the promise resolved, bytes the Eye server sent."""
    assert SERVER_LOG is not None
    before = SERVER_LOG.stat().st_size
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    if LINK is not None:
        cdp.send("Network.emulateNetworkConditions", LINK)
    page.goto(url)
    page.wait_for_function("window.done !== undefined")
    result = page.evaluate("window.done")
    if "download" in result:
        CHECKS.append(result["download"])
    if "boot" in result:
        BOOTS.append(result["boot"])
    page.wait_for_timeout(200)
    if "eye.html" in url:  # a candidate's first visit stores the start-up snapshot in the background
        for _ in range(120):
            if page.evaluate(SNAPSHOT_STORED):
                break
            page.wait_for_timeout(500)
    page.close()
    return float(result["ms"]), served_since(before)


def measure(playwright, url: str, profile: Path) -> tuple[tuple[float, int], tuple[float, int]]:
    """A cold visit then a repeat visit in one persistent profile (its HTTP cache and Cache
    Storage behave as a candidate's browser does; incognito would drop the wasm from the cache)."""
    context = playwright.chromium.launch_persistent_context(str(profile), executable_path=chromium_path(),
                                                            args=launch_args(), headless=True)
    try:
        return visit(context, url), visit(context, url)
    finally:
        context.close()


def measure_checked(playwright, origin: str, profile: Path) -> tuple[float, int]:
    """The setup check on the exam's site, the browser closed and reopened, then the exam page."""
    def opened():  # type: ignore[no-untyped-def]
        return playwright.chromium.launch_persistent_context(str(profile), executable_path=chromium_path(),
                                                             args=launch_args(), headless=True)

    context = opened()
    try:
        visit(context, f"{origin}/check.html")
    finally:
        context.close()
    context = opened()
    try:
        return visit(context, f"{origin}/eye.html")
    finally:
        context.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--link", choices=sorted(LINKS), default="home", help="the emulated connection (default home)")
    args = parser.parse_args()
    global LINK, SERVER_LOG
    LINK = LINKS[args.link]
    from playwright.sync_api import sync_playwright

    manifest = json.loads((ROOT / "static" / "manifest.json").read_text())
    with tempfile.TemporaryDirectory() as tmp:
        eye = EyeServer(Path(tmp))
        SERVER_LOG = eye.log_path
        runtime = eye.url + manifest["pyodide"]
        pages = PageServer(
            {"/eye.html": EYE_PAGE.replace("__EYE__", eye.url), "/bare.html": BARE_PAGE.replace("__RUNTIME__", runtime),
             "/check.html": CHECK_PAGE.replace("__EYE__", eye.url)}
        )
        checked: list[tuple[float, int]] = []
        cold: dict[str, list[tuple[float, int]]] = {"bare": [], "eye": []}
        repeat: dict[str, list[tuple[float, int]]] = {"bare": [], "eye": []}
        try:
            with sync_playwright() as p:
                for run in range(args.runs):  # interleaved, so drift affects both alike
                    for name in ("bare", "eye"):
                        first, again = measure(p, f"{pages.origin}/{name}.html", Path(tmp) / f"{name}-{run}")
                        cold[name].append(first)
                        repeat[name].append(again)
                    checked.append(measure_checked(p, pages.origin, Path(tmp) / f"checked-{run}"))
        finally:
            pages.stop()
            eye.stop()

    def median(rows: list[tuple[float, int]]) -> float:
        return statistics.median(ms for ms, _ in rows)

    def runs(rows: list[tuple[float, int]]) -> str:
        return ", ".join(f"{ms:.0f}" for ms, _ in rows)

    print(f"runs: {args.runs} fresh persistent profiles each, page on another origin than the Eye server, link: "
          + (f"{LINK['downloadThroughput'] * 8 / 1e6:.0f} Mbps down, {LINK['latency']} ms RTT" if LINK else "loopback"))
    for label, data, goal in (("cold", cold, "≤ 1.05"), ("repeat", repeat, "≤ 0.5")):
        bare_ms, eye_ms = median(data["bare"]), median(data["eye"])
        print(f"{label:6} bare loadPyodide():     median {bare_ms:6.0f} ms  (runs: {runs(data['bare'])})")
        print(f"{label:6} LoadEyeWidget():        median {eye_ms:6.0f} ms  (runs: {runs(data['eye'])})")
        print(f"{label:6} ratio eye / bare:       {eye_ms / bare_ms:.3f}  (goal {goal})")
    checked_ms = median(checked)
    print(f"checked the day before: LoadEyeWidget() median {checked_ms:6.0f} ms  (runs: {runs(checked)})")
    print(f"checked / cold Eye:     {checked_ms / median(cold['eye']):.3f}  (goal ≤ 0.5)")
    print(f"Eye booted from: {', '.join(BOOTS)} (cold, repeat, checked per run)")
    print(f"the setup check's download check said: {CHECKS[0] if CHECKS else '(no check ran)'}")
    print(f"first-load bytes the Eye server sent, bare / eye:  {statistics.median(b for _, b in cold['bare']):,.0f} / "
          f"{statistics.median(b for _, b in cold['eye']):,.0f}; repeat: "
          f"{statistics.median(b for _, b in repeat['bare']):,.0f} / {statistics.median(b for _, b in repeat['eye']):,.0f}"
          f" (goal: Eye's first load ≤ 6,500,000)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
