"""Cold load benchmark: ``LoadProctormeWidget()`` vs a bare ``loadPyodide()`` of the same runtime.

Each measurement is a fresh Chromium (empty cache) opening a page on another origin than the Eye
server. Times are ``performance.now()`` when the promise resolved (so they include fetching the
page and, for Eye, loader.js). Prints the median of N runs of each, their ratio, and the bytes
transferred for a first load (CDP ``Network.loadingFinished`` ``encodedDataLength``).

Run: ``.venv/bin/python bench/load_time.py [--runs 3]`` (after ``python build.py``).
"""

from __future__ import annotations

import argparse
import json
import runpy
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from eye_testing.servers import EyeServer, PageServer  # noqa: E402

EYE_PAGE = """<!doctype html><meta charset="utf-8"><title>eye</title>
<script src="__EYE__loader.js"></script>
<script>
window.done = LoadProctormeWidget().then((w) => ({ ms: performance.now(), state: w.state }));
</script>"""

BARE_PAGE = """<!doctype html><meta charset="utf-8"><title>bare</title>
<script type="module">
window.done = import("__RUNTIME__pyodide.mjs")
  .then((m) => m.loadPyodide({ indexURL: "__RUNTIME__" }))
  .then((py) => ({ ms: performance.now(), state: String(py.runPython("1+1")) }));
</script>"""


def measure(playwright, launch, url: str) -> tuple[float, int]:
    browser = launch(playwright)
    try:
        page = browser.new_page()
        cdp = page.context.new_cdp_session(page)
        cdp.send("Network.enable")
        sizes: list[int] = []
        cdp.on("Network.loadingFinished", lambda e: sizes.append(int(e["encodedDataLength"])))
        page.goto(url)
        page.wait_for_function("window.done !== undefined")
        result = page.evaluate("window.done")
        page.wait_for_timeout(200)
        return float(result["ms"]), sum(sizes)
    finally:
        browser.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    launch = runpy.run_path(str(ROOT / "playwright.config.py"))["launch"]
    manifest = json.loads((ROOT / "static" / "manifest.json").read_text())
    with tempfile.TemporaryDirectory() as tmp:
        eye = EyeServer(Path(tmp))
        runtime = eye.url + manifest["pyodide"]
        pages = PageServer(
            {"/eye.html": EYE_PAGE.replace("__EYE__", eye.url), "/bare.html": BARE_PAGE.replace("__RUNTIME__", runtime)}
        )
        results: dict[str, list[tuple[float, int]]] = {"bare": [], "eye": []}
        try:
            with sync_playwright() as p:
                for _ in range(args.runs):  # interleaved, so drift affects both alike
                    for name in ("bare", "eye"):
                        results[name].append(measure(p, launch, f"{pages.origin}/{name}.html"))
        finally:
            pages.stop()
            eye.stop()
    bare_ms = statistics.median(ms for ms, _ in results["bare"])
    eye_ms = statistics.median(ms for ms, _ in results["eye"])
    print(f"runs: {args.runs} fresh Chromium each, page on another origin than the Eye server")
    print(f"bare loadPyodide():        median {bare_ms:7.0f} ms  (runs: {', '.join(f'{m:.0f}' for m, _ in results['bare'])})")
    print(f"LoadProctormeWidget():     median {eye_ms:7.0f} ms  (runs: {', '.join(f'{m:.0f}' for m, _ in results['eye'])})")
    print(f"ratio eye / bare:          {eye_ms / bare_ms:.3f}  (goal ≤ 1.10)")
    print(f"first-load bytes, bare:    {statistics.median(b for _, b in results['bare']):,.0f}")
    print(f"first-load bytes, eye:     {statistics.median(b for _, b in results['eye']):,.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
