"""CPU floor benchmark: what Eye's monitoring costs against the detector's own cost on the same frames.

The floor page runs nothing of Eye but its face worker (``face_worker.js``: the same Human
version, tfjs wasm backend and models, loaded from the same Eye server) in a bare module worker,
fed the same fake camera (one face, 640×480) the same way — a transferred ``ImageBitmap`` every
0.5 s, one frame in flight at a time, embeddings every 9 s (Eye's rate for a steady, matching
face). The Eye page is the exam page with ``aiProctoring`` and ``facialRecognition`` on (the
microphone's sound analysis included, as a candidate has it). Both run ``--seconds`` after a
settling time, alternated ``--runs`` times in fresh browsers; the renderer's CPU is CDP
``Performance.getMetrics`` ``ProcessTime`` (page and workers). Prints frames/s and share of one
core of each, and Eye/floor (goal ≤ 1.5).

Run: ``.venv/bin/python bench/cpu_floor.py [--seconds 40] [--runs 2]`` (after ``python build.py``).
"""

from __future__ import annotations

import argparse
import json
import runpy
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from eye_testing import media as fx  # noqa: E402
from eye_testing.servers import EyeServer, PageServer  # noqa: E402
from tests.conftest import VALID_CONFIG  # noqa: E402
from tests.e2e.conftest import NAMES_FOR_BENCH, exam_page_html  # noqa: E402

FLOOR_PAGE = """<!doctype html><meta charset="utf-8"><title>floor</title>
<video id="v" autoplay muted playsinline></video>
<script type="module">
const worker = new Worker(URL.createObjectURL(new Blob(['import "__SCRIPTS__face_worker.js";'], { type: "text/javascript" })), { type: "module" });
const reply = () => new Promise((resolve) => { worker.onmessage = (e) => resolve(e.data); });
window.frames_done = 0;
window.floor = (async () => {
  const stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 } });
  const video = document.getElementById("v");
  video.srcObject = stream;
  await video.play();
  const ready = reply();
  worker.postMessage({ type: "init", human: "__HUMAN__human.esm.js", models: "__HUMAN__models/", wasm: "__HUMAN__wasm/",
                       objects: false, gaze: false, liveness: false });
  const answer = await ready;
  if (answer.type !== "ready") throw new Error(answer.message);
  let id = 0, lastEmbed = -1e9;
  const step = async () => {
    const started = performance.now();
    const bitmap = await createImageBitmap(video);
    const embed = started - lastEmbed >= 9000;
    if (embed) lastEmbed = started;
    const result = reply();
    worker.postMessage({ type: "detect", id: ++id, bitmap, embed, objects: false }, [bitmap]);
    await result;
    window.frames_done += 1;
    setTimeout(step, Math.max(0, 500 - (performance.now() - started)));
  };
  step();
  return "running";
})();
</script>"""


def metric(cdp, name: str) -> float:
    return next(m["value"] for m in cdp.send("Performance.getMetrics")["metrics"] if m["name"] == name)


def measure(playwright, launch, url: str, video: Path, audio: Path, seconds: float, start) -> tuple[float, float]:
    """(frames/s, share of one core) of the page at ``url`` once ``start(page)`` has it running."""
    browser = launch(playwright, video=str(video), audio=str(audio))
    try:
        page = browser.new_page()
        page.goto(url)
        frames = start(page)
        cdp = page.context.new_cdp_session(page)
        cdp.send("Performance.enable")
        page.wait_for_timeout(15000)  # settle: models warm, Eye's start-up snapshot made and stored
        n0, cpu0, t0 = frames(page), metric(cdp, "ProcessTime"), time.monotonic()
        page.wait_for_timeout(seconds * 1000)
        n1, cpu1, t1 = frames(page), metric(cdp, "ProcessTime"), time.monotonic()
        return (n1 - n0) / (t1 - t0), (cpu1 - cpu0) / (t1 - t0)
    finally:
        browser.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=40)
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    launch = runpy.run_path(str(ROOT / "playwright.config.py"))["launch"]
    manifest = json.loads((ROOT / "static" / "manifest.json").read_text())
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        video = fx.write_y4m(d / "one.y4m", fx.scene([fx.astronaut()]))
        audio = fx.write_wav(d / "quiet.wav", fx.silence(30))
        eye = EyeServer(d)
        floor_html = (FLOOR_PAGE.replace("__SCRIPTS__", eye.url + manifest["scripts"])
                      .replace("__HUMAN__", eye.url + manifest["human"]))
        pages = PageServer({"/exam.html": exam_page_html(eye.url), "/floor.html": floor_html})
        key = eye.create_key(pages.domain)
        config = {**VALID_CONFIG, "apiKey": key, "examDuration": 3600}

        def start_floor(page):
            assert page.evaluate("window.floor") == "running"
            return lambda p: p.evaluate("window.frames_done")

        def start_eye(page):
            page.wait_for_function("typeof window.LoadProctormeWidget === 'function'")
            page.evaluate("(n) => window.boot(n, [])", NAMES_FOR_BENCH)
            page.evaluate("(c) => { window.pending = window.startExam(c); }", config)
            page.click("#eye-consent-accept", timeout=120000)
            assert page.evaluate("window.pending")["ok"]
            return lambda p: p.evaluate("window.widget.diagnostics().framesAnalysed")

        results: dict[str, list[tuple[float, float]]] = {"floor": [], "eye": []}
        try:
            with sync_playwright() as p:
                for _ in range(args.runs):  # alternated, so drift affects both alike
                    results["floor"].append(measure(p, launch, f"{pages.origin}/floor.html", video, audio, args.seconds,
                                                    start_floor))
                    results["eye"].append(measure(p, launch, f"{pages.origin}/exam.html", video, audio, args.seconds,
                                                  start_eye))
        finally:
            pages.stop()
            eye.stop()
    fps = {k: statistics.median(r[0] for r in v) for k, v in results.items()}
    cpu = {k: statistics.median(r[1] for r in v) for k, v in results.items()}
    print(f"{args.runs} alternated runs of {args.seconds:.0f} s each, one-face camera 640x480")
    print(f"floor (face worker alone):  {fps['floor']:.2f} frames/s, {cpu['floor']:.1%} of one core  "
          f"(runs: {', '.join(f'{c:.1%}' for _, c in results['floor'])})")
    print(f"Eye (aiProctoring + facialRecognition): {fps['eye']:.2f} frames/s, {cpu['eye']:.1%} of one core  "
          f"(runs: {', '.join(f'{c:.1%}' for _, c in results['eye'])})")
    print(f"Eye / floor CPU: {cpu['eye'] / max(cpu['floor'], 1e-9):.2f}  (goal ≤ 1.5)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
