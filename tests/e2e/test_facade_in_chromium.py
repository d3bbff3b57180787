"""The widget a page gets from loader.js is a plain JS object that behaves as loader.d.ts says:
TypeError for unknown events, unsubscribe functions, plain payloads and diagnostics, one runtime
however often the script is included, and both loader names."""

from __future__ import annotations

import json

import pytest

from eye_testing.servers import PageServer

from .test_widget_in_chromium import boot, start

pytestmark = pytest.mark.e2e


def test_unknown_events_and_non_functions_throw_type_errors(page):
    boot(page)
    outcome = page.evaluate("""() => {
        const caught = (f) => { try { f(); return null; } catch (e) { return [e instanceof TypeError, e.message]; } };
        return {
            unknown: caught(() => window.widget.on("TAB_BLUR", () => {})),
            notAFunction: caught(() => window.widget.on("STARTED", "nope")),
            unsubscribe: typeof window.widget.on("STARTED", () => {}),
            names: window.LoadEyeWidget === window.LoadProctormeWidget,
            frozen: Object.isFrozen(window.widget),
        };
    }""")
    assert outcome["unknown"][0] is True and "valid events:" in outcome["unknown"][1] and "TAB_NOT_FOCUS" in outcome["unknown"][1]
    assert "PythonError" not in outcome["unknown"][1] and "Traceback" not in outcome["unknown"][1]
    assert outcome["notAFunction"][0] is True
    assert outcome["unsubscribe"] == "function" and outcome["names"] is True and outcome["frozen"] is True


def test_payloads_and_diagnostics_are_plain_objects_and_unsubscribe_works(page, api_key):
    boot(page)
    page.evaluate("""() => {
        window.plainStarted = null;
        window.calls = 0;
        window.widget.on("STARTED", (d) => { window.plainStarted = Object.getPrototypeOf(d) === Object.prototype; });
        const off = window.widget.on("SET_CONFIG", () => { window.calls += 1; });
        off();
    }""")
    assert start(page, api_key)["ok"]
    assert page.evaluate("window.plainStarted") is True and page.evaluate("window.calls") == 0
    diagnostics = page.evaluate("""() => {
        const d = window.widget.diagnostics();
        return {plain: Object.getPrototypeOf(d) === Object.prototype, state: d.state, monitors: Array.isArray(d.monitors)};
    }""")
    assert diagnostics == {"plain": True, "state": "active", "monitors": True}
    page.evaluate("window.widget.endProctoring()")


def test_including_the_loader_twice_boots_one_runtime(browser, eye, built):
    html = f"""<!doctype html><html><head><meta charset="utf-8"><title>twice</title></head><body>
      <script src="{eye.url}loader.js"></script>
      <script src="{eye.url}loader.js"></script>
      <script>
        window.result = (async () => {{
          const progress = [];
          const a = LoadEyeWidget();
          const b = LoadProctormeWidget({{ onProgress: (f, stage) => progress.push(stage) }});
          const [wa, wb] = await Promise.all([a, b]);
          return {{ same: wa === wb, state: wa.state, progress }};
        }})();
      </script></body></html>"""
    pages = PageServer({"/twice.html": html})
    context = browser.new_context()
    page = context.new_page()
    workers, warnings = [], []
    page.on("worker", lambda w: workers.append(w.url))
    page.on("console", lambda m: warnings.append(m.text) if m.type == "warning" else None)
    logged = eye.log_path.stat().st_size
    try:
        page.goto(f"{pages.origin}/twice.html")
        result = page.evaluate("window.result")
        assert result["same"] is True and result["state"] == "loaded"
        assert result["progress"][-1] == "ready"  # the second caller's onProgress was honoured
        # one runtime: one worker booted it, and its wasm crossed the network once (the page's
        # restore read it from the HTTP cache)
        assert len(workers) == 1, workers
        with eye.log_path.open() as log:
            log.seek(logged)
            lines = [json.loads(line) for line in log if line.startswith("{")]
        fetched = [line for line in lines if str(line.get("path", "")).endswith("/pyodide.asm.wasm")]
        assert len(fetched) == 1, fetched
        assert any("included more than once" in w for w in warnings), warnings
    finally:
        context.close()
        pages.stop()
