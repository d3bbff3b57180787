/*
 * The worker the widget's Python runs in (started by page.js): it boots the interpreter — from the
 * start-up snapshot in Cache Storage when there is a good one, else afresh, then snapshots it with
 * the widget's modules imported and stores that (hashed) for the next visit — installs the widget
 * wheel and hands the page's messages to widget/browser/worker.py's serve(). The runtime's and the
 * wheel's downloads are reported to the page by bytes ({ type: "progress", loaded }).
 */

const realFetch = self.fetch.bind(self);
let loaded = 0, told = 0;
let handle = null;
const early = [];

/** The runtime's and the wheel's responses counted as they stream in. */
function counting(prefixes, step) {
  self.fetch = async (input, init) => {
    const response = await realFetch(input, init);
    const url = typeof input === "string" ? input : (input && input.url) || String(input);
    if (!response.ok || !response.body || !prefixes.some((p) => url.startsWith(p))) return response;
    const reader = response.body.getReader();
    const stream = new ReadableStream({
      async pull(controller) {
        const part = await reader.read();
        if (part.done) { controller.close(); return; }
        loaded += part.value.byteLength;
        if (loaded - told >= step) { told = loaded; self.postMessage({ type: "progress", loaded }); }
        controller.enqueue(part.value);
      },
      cancel(reason) { return reader.cancel(reason); },
    });
    return new Response(stream, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
}

function hex(buffer) {
  return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Pyodide 0.27's snapshot layout: a header (magic number, its size, ...) then whole wasm pages. */
function looksLikeSnapshot(bytes) {
  if (bytes.byteLength < 1 << 20 || bytes.byteOffset % 4) return false;
  const head = new Uint32Array(bytes.buffer, bytes.byteOffset, 4);
  return head[0] === 1886286592 && head[1] > 48 && head[1] < bytes.byteLength && (bytes.byteLength - head[1]) % 65536 === 0;
}

/** The stored snapshot for this runtime and widget, if its bytes match their recorded hash. */
async function storedSnapshot(cacheName, key) {
  try {
    if (!self.caches || !self.crypto || !crypto.subtle) return null;
    const cache = await caches.open(cacheName);
    const hit = await cache.match(key);
    if (!hit) return null;
    const bytes = new Uint8Array(await hit.arrayBuffer());
    let why = null;
    if (hex(await crypto.subtle.digest("SHA-256", bytes)) !== hit.headers.get("X-Eye-Sha256")) why = "is damaged";
    else if (!looksLikeSnapshot(bytes)) why = "is not one";  // a runtime given a non-snapshot can hang instead of failing
    if (!why) return bytes;
    self.postMessage({ type: "request", id: 0, method: "log", args: ["warn", "Eye: the stored start-up snapshot " + why + "; starting normally"] });
    await cache.delete(key);
  } catch (e) { /* no Cache Storage here (e.g. an insecure context): the normal boot */ }
  return null;
}

async function store(cacheName, key, snapshot) {
  if (!self.caches || !self.crypto || !crypto.subtle) throw new Error("this page has no Cache Storage");
  const digest = hex(await crypto.subtle.digest("SHA-256", snapshot));
  const cache = await caches.open(cacheName);
  for (const old of await cache.keys()) if (old.url !== key) await cache.delete(old);  // other versions
  await cache.put(key, new Response(snapshot, { headers: { "Content-Type": "application/octet-stream", "X-Eye-Sha256": digest } }));
}

/**
 * While it makes a snapshot, Pyodide's ``js`` module is a recording proxy of the global scope, on
 * which a getter with a brand check (``navigator``, ``indexedDB``) throws "Illegal invocation".
 * Once the snapshot is made, ``js`` — and every imported module's name for it — is the worker's
 * global scope itself (a restored snapshot has that already).
 */
function realGlobals(py) {
  py.registerJsModule("_eye_globals", globalThis);
  py.runPython([
    "import sys, _eye_globals",
    "recording = sys.modules['js']",
    "for module in list(sys.modules.values()):",
    "    if getattr(module, 'js', None) is recording:",
    "        module.js = _eye_globals",
    "sys.modules['js'] = _eye_globals",
    "del sys.modules['_eye_globals']",
  ].join("\n"));
  py.unregisterJsModule("_eye_globals");
}

async function start(d) {
  counting([d.runtime, d.wheel], d.step);
  let stage = "network: loading the Python runtime";
  try {
    const { cache, key, imports } = d.snapshot;
    let saved = storedSnapshot(cache, key);  // looked up while the runtime's module loads
    const { loadPyodide } = await import(d.runtime + "pyodide.mjs");
    const wheel = realFetch(d.wheel, { credentials: "omit" }).then((r) => {
      if (!r.ok) throw new Error("expected HTTP 200 for " + d.wheel + ", received " + r.status);
      return r.arrayBuffer();
    });
    wheel.catch(() => {});  // reported below
    stage = "starting the Python runtime";
    saved = await saved;
    let py = null, how = "worker";
    let stored;
    if (saved) {
      try {
        py = await loadPyodide({ indexURL: d.runtime, fullStdLib: false, _loadSnapshot: saved });
        how = "snapshot";
        stored = Promise.resolve(null);
      } catch (e) {  // a snapshot this runtime cannot restore: forget it, start afresh
        self.postMessage({ type: "request", id: 0, method: "log", args: ["warn", "Eye: the start-up snapshot could not be restored (" + e + "); starting normally"] });
        await caches.open(cache).then((c) => c.delete(key)).catch(() => {});
      }
      saved = null;
    }
    if (!py) py = await loadPyodide({ indexURL: d.runtime, fullStdLib: false, _makeSnapshot: true });
    stage = "network: downloading the widget";
    const archive = await wheel;
    stage = "installing the widget";
    py.unpackArchive(archive, "wheel");
    if (how === "worker") {  // booted afresh: snapshot it with the widget imported, for the next visit
      py.runPython(imports);
      const snapshot = py.makeMemorySnapshot();
      realGlobals(py);
      stored = store(cache, key, snapshot).then(() => null, (e) => "it could not be stored (" + e + ")");
      stored.then((why) => self.postMessage({ type: "stored", why }));
    }
    stage = "starting the widget";
    self.fetch = realFetch;
    self.postMessage({ type: "widget" });
    const serve = py.pyimport("widget.browser.worker").serve;
    handle = serve(d, py, stored, (message, transfer) => self.postMessage(message, transfer), how);
    for (const message of early.splice(0)) handle(message);
  } catch (e) {
    self.fetch = realFetch;
    self.postMessage({ type: "failed", stage, message: e && e.message ? e.message : String(e) });
  }
}

self.onmessage = (event) => {
  const data = event.data;
  if (handle) handle(data);
  else if (data.type === "boot") start(data);
  else early.push(data);
};
