"""No Python runs on the exam page: the widget's interpreter lives in a worker, and repeat visits
start it from a memory snapshot (a browser profile that keeps its caches, as a candidate's does):
the first visit's worker boots the interpreter and stores a snapshot of it; the next visit's worker
restores the stored one and works; a damaged, undecodable or stale one is passed over (a fresh
boot) and replaced; a page that allows no worker boots on the page."""

from __future__ import annotations

import pytest

from eye_testing.chromium import chromium_path, launch_args

from .test_widget_in_chromium import start

pytestmark = pytest.mark.e2e
STORED = """async () => {
  const cache = await caches.open('eye-snapshots');
  const keys = await cache.keys();
  if (!keys.length) return null;
  const hit = await cache.match(keys[0]);
  if (!hit) return null;  // replaced while we looked: ask again
  return { key: keys[0].url, count: keys.length, size: (await hit.arrayBuffer()).byteLength, sha: hit.headers.get('X-Eye-Sha256') };
}"""


@pytest.fixture
def profile(playwright_instance, tmp_path):
    context = playwright_instance.chromium.launch_persistent_context(
        str(tmp_path / "profile"), executable_path=chromium_path(), args=launch_args(), headless=True)
    yield context
    context.close()


def visit(context, exam_page) -> tuple:
    """Open the exam page, load the widget; (page, how it booted)."""
    page = context.new_page()
    page.goto(exam_page.url)
    page.wait_for_function("typeof window.LoadProctormeWidget === 'function'")
    assert page.evaluate("() => window.boot([], [])") == "loaded"
    return page, page.evaluate("window.widget.diagnostics().boot")


def stored(page, key=None, timeout=60000):
    """The snapshot in Cache Storage, once the background worker has stored it (under ``key``,
    the only entry, when given)."""
    for _ in range(timeout // 500):
        found = page.evaluate(STORED)
        if found and (key is None or (found["key"] == key and found["count"] == 1)):
            return found
        page.wait_for_timeout(500)
    raise AssertionError("no snapshot was stored")


def exam(page, api_key) -> None:
    """A whole (short) exam: the snapshot is made when it ends, never while it starts."""
    entries = "window.caches.open('eye-snapshots').then((c) => c.keys()).then((k) => k.map((r) => r.url).join())"
    before = page.evaluate(entries)
    assert start(page, api_key)["ok"]
    assert page.evaluate(entries) == before  # nothing built while the exam started
    page.evaluate("window.widget.endProctoring()")


#: The interpreter's files this page itself fetched (a worker's fetches are in the worker's timeline;
#: the page only asks early for the worker's first small module, pyodide.mjs).
PAGE_FETCHED_RUNTIME = ("performance.getEntriesByType('resource').map((e) => e.name)"
                        ".filter((n) => /pyodide\\.asm|python_stdlib|\\.whl$/.test(n))")


def test_a_repeat_visit_restores_the_snapshot_and_works(profile, exam_page, api_key):
    first, boot = visit(profile, exam_page)
    assert boot == "worker"
    assert first.evaluate(PAGE_FETCHED_RUNTIME) == []  # the worker fetched the runtime, not the page
    snapshot = stored(first)  # at once: the worker that booted the interpreter stored it
    exam(first, api_key)
    assert snapshot["count"] == 1 and snapshot["size"] > 10_000_000 and len(snapshot["sha"]) == 64
    first.close()
    again, boot = visit(profile, exam_page)
    assert boot == "snapshot"
    result = start(again, api_key)  # the restored interpreter runs a whole exam start
    assert result["ok"], result
    assert again.evaluate(PAGE_FETCHED_RUNTIME) == []
    again.evaluate("window.widget.endProctoring()")


DAMAGE = {
    # flipped bytes: the hash no longer matches
    "bytes": """async (key) => { const c = await caches.open('eye-snapshots'); const r = await c.match(key);
        const b = new Uint8Array(await r.arrayBuffer()); b[1000] ^= 255;
        await c.put(key, new Response(b, { headers: r.headers })); }""",
    # a consistent hash over bytes that are no interpreter
    "undecodable": """async (key) => { const c = await caches.open('eye-snapshots'); const b = new Uint8Array(4096).fill(7);
        const d = Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', b)), x => x.toString(16).padStart(2, '0')).join('');
        await c.put(key, new Response(b, { headers: { 'X-Eye-Sha256': d } })); }""",
    # made for another version of the widget: never used, removed when the new one is stored
    "stale": """async (key) => { const c = await caches.open('eye-snapshots'); const r = await c.match(key);
        await c.put(key.replace('widget=', 'widget=old'), new Response(await r.arrayBuffer(), { headers: r.headers }));
        await c.delete(key); }""",
}


def test_a_bad_snapshot_is_passed_over_and_replaced(profile, exam_page, api_key):
    page, _ = visit(profile, exam_page)
    snapshot = stored(page)
    for damage, script in DAMAGE.items():  # one after another, in the same profile
        page.evaluate(script, snapshot["key"])
        page.close()
        page, boot = visit(profile, exam_page)
        assert boot == "worker", damage  # not the damaged one: a fresh one, made in a worker
        replaced = stored(page, snapshot["key"])
        assert replaced["count"] == 1 and replaced["size"] > 10_000_000 and replaced["sha"] != "", damage
        exam(page, api_key)


def test_a_page_that_allows_no_worker_boots_on_the_page_and_works(profile, eye, api_key):
    """An exam page whose Content-Security-Policy forbids workers (``worker-src 'none'``): the
    loader says why in the console and boots on the page, as before; a browser-only exam starts."""
    from eye_testing.servers import PageServer
    from tests.e2e.conftest import exam_page_html

    html = exam_page_html(eye.url).replace("<head>", """<head><meta http-equiv="Content-Security-Policy" content="worker-src 'none'">""", 1)
    strict = PageServer({"/exam.html": html})
    try:
        page = profile.new_page()
        said = []
        page.on("console", lambda m: said.append(m.text))
        page.goto(f"{strict.origin}/exam.html")
        page.wait_for_function("typeof window.LoadProctormeWidget === 'function'")
        assert page.evaluate("() => window.boot([], [])") == "loaded"
        assert page.evaluate("window.widget.diagnostics().boot") == "normal"
        assert any(name.endswith("pyodide.asm.wasm") for name in page.evaluate(PAGE_FETCHED_RUNTIME))  # on the page
        assert any("Eye: starting on the page" in text for text in said), said
        key = eye.create_key(strict.domain)
        result = start(page, key)
        assert result["ok"], result
        page.evaluate("window.widget.endProctoring()")
    finally:
        strict.stop()
