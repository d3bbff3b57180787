/*
 * Eye loader: defines window.LoadEyeWidget(options?) — also known as LoadProctormeWidget — and
 * nothing else global.
 *
 * It finds its own base URL from its <script src>, boots the Pyodide runtime served beside it,
 * installs the widget wheel and resolves to the widget: a plain JS object (see loader.d.ts) over
 * the Python Widget. Loads at most once: one memoized promise, reset after a failure so a later
 * call retries; a second copy of this script reuses the first (with a warning).
 * build.py replaces the manifest placeholder below with versioned asset paths.
 *
 * Repeat visits start from a memory snapshot of the interpreter with the widget's modules
 * already imported (Pyodide's _makeSnapshot/_loadSnapshot): during a first visit — never while an
 * exam starts — a worker boots a second interpreter, imports the widget and snapshots it; the bytes go
 * to Cache Storage under this runtime's and widget's version, with their SHA-256. A missing,
 * stale, damaged or failing snapshot means the normal boot (and a fresh snapshot afterwards).
 */
(function () {
  "use strict";
  if (typeof window.LoadProctormeWidget === "function" && window.LoadProctormeWidget.eyeLoader) {
    console.warn("Eye: loader.js is included more than once; the first copy's runtime is used.");
    return;
  }
  var MANIFEST = /*EYE_MANIFEST*/null;
  var script = document.currentScript;
  var BASE = new URL(".", script && script.src ? script.src : window.location.href).href;
  var pending = null;
  var progressListeners = [];
  var lastProgress = null;
  var bootedFrom = "normal";
  var SNAPSHOTS = "eye-snapshots";
  /** What the snapshot holds: the widget's modules, imported (numpy is loaded later, after a restore). */
  var SNAPSHOT_IMPORTS = "import widget.api, widget.browser.pyodide";
  /** When the snapshot is made: never while an exam starts. At the end of an exam, or once one has
   * run for a while, or after a quiet spell of a page that loaded the widget but started nothing. */
  var SNAPSHOT_AFTER_START_MS = 10000;
  var SNAPSHOT_IDLE_MS = 20000;

  /** Python values (dicts, lists, numpy scalars already made plain by the widget) → plain JS. */
  function plain(value) {
    if (value && typeof value.toJs === "function") {
      var converted = value.toJs({ dict_converter: Object.fromEntries, create_pyproxies: false });
      if (typeof value.destroy === "function") value.destroy();
      return converted;
    }
    return value;
  }

  /** The page's view of the widget: exactly the methods loader.d.ts declares, plain values only.
   * ``snapshot()`` is the promise of a stored start-up snapshot (null, or why there is none). */
  function facade(py, events, snapshot) {
    var known = new Set(events);
    function checked(event, callback) {
      if (!known.has(event)) {
        throw new TypeError("Eye: unknown event " + JSON.stringify(event) + "; valid events: " + events.join(", "));
      }
      if (typeof callback !== "function") {
        throw new TypeError("Eye: the listener for " + event + " must be a function, received " + typeof callback);
      }
    }
    return Object.freeze({
      get state() { return String(py.state); },
      on: function (event, callback) {
        checked(event, callback);
        var pyUnsubscribe = py.on(event, callback);
        if (pyUnsubscribe && typeof pyUnsubscribe.destroy === "function") pyUnsubscribe.destroy();
        return function unsubscribe() { py.off(event, callback); };
      },
      off: function (event, callback) {
        checked(event, callback);
        py.off(event, callback);
      },
      init: function (config) { return py.init(config); },
      endProctoring: function () { return py.endProctoring(); },
      checkSystem: function (options) {
        // the setup check also stores the start-up snapshot now, so that the exam is a repeat visit
        return py.checkSystem(options === undefined ? null : options, snapshot()).then(function (answer) {
          var results = answer.results;
          results.code = answer.code;
          return results;
        });
      },
      resetSessionListeners: function () { py.resetSessionListeners(); },
      diagnostics: function () { return Object.assign(plain(py.diagnostics()), { boot: bootedFrom }); },
    });
  }

  function failure(stage, url, cause) {
    var detail = cause && cause.message ? cause.message : String(cause);
    var err = new Error("Eye: " + stage + " failed" + (url ? " (" + url + ")" : "") + ": " + detail);
    err.stage = stage;
    err.cause = cause;
    return err;
  }

  function report(fraction, stage) {
    lastProgress = [fraction, stage];
    progressListeners.forEach(function (listener) {
      try { listener(fraction, stage); } catch (e) { console.error("Eye: onProgress threw", e); }
    });
  }

  /**
   * Progress by bytes: while the runtime boots, responses from the runtime folder and the widget
   * wheel are counted as they stream in (against the total the build recorded), and reported as
   * 0–0.85 of the load. ``fetch`` is wrapped only until the runtime is up; other requests pass
   * through untouched. Returns the function that stops counting.
   */
  function countBytes(runtimeURL, wheelURL) {
    var total = MANIFEST.bytes || 0;
    var realFetch = window.fetch;
    if (!total || typeof ReadableStream !== "function") return function () {};
    var loaded = 0;
    var shown = 0;
    function counted(response) {
      if (!response.ok || !response.body) return response;
      var reader = response.body.getReader();
      var stream = new ReadableStream({
        pull: function (controller) {
          return reader.read().then(function (part) {
            if (part.done) { controller.close(); return; }
            loaded += part.value.byteLength;
            var fraction = Math.min(0.85, 0.85 * loaded / total);
            if (fraction - shown >= 0.01) { shown = fraction; report(fraction, loaded >= total * 0.97 ? "python" : "runtime"); }
            controller.enqueue(part.value);
          });
        },
        cancel: function (reason) { return reader.cancel(reason); },
      });
      return new Response(stream, { status: response.status, statusText: response.statusText, headers: response.headers });
    }
    function countingFetch(input, init) {
      var url = typeof input === "string" ? input : (input && input.url) || String(input);
      var answer = realFetch.apply(this, arguments);
      return url.indexOf(runtimeURL) === 0 || url === wheelURL ? answer.then(counted) : answer;
    }
    window.fetch = countingFetch;
    return function stop() {
      if (window.fetch === countingFetch) window.fetch = realFetch;
      if (shown < 0.85) report(0.85, "python");
    };
  }

  function hex(buffer) {
    return Array.from(new Uint8Array(buffer), function (b) { return b.toString(16).padStart(2, "0"); }).join("");
  }

  function snapshotKey(runtimeURL, wheelURL) {
    return new URL("snapshot?runtime=" + encodeURIComponent(runtimeURL) + "&widget=" + encodeURIComponent(wheelURL), BASE).href;
  }

  /** Pyodide 0.27's snapshot layout: a header (magic number, its size, ...) then whole wasm pages. */
  function looksLikeSnapshot(bytes) {
    if (bytes.byteLength < 1 << 20 || bytes.byteOffset % 4) return false;
    var head = new Uint32Array(bytes.buffer, bytes.byteOffset, 4);
    return head[0] === 1886286592 && head[1] > 48 && head[1] < bytes.byteLength && (bytes.byteLength - head[1]) % 65536 === 0;
  }

  /** The stored snapshot for this runtime and widget, if its bytes match their recorded hash. */
  async function storedSnapshot(key) {
    try {
      if (!window.caches || !window.crypto || !crypto.subtle) return null;
      var cache = await caches.open(SNAPSHOTS);
      var hit = await cache.match(key);
      if (!hit) return null;
      var bytes = new Uint8Array(await hit.arrayBuffer());
      if (hex(await crypto.subtle.digest("SHA-256", bytes)) !== hit.headers.get("X-Eye-Sha256")) {
        console.warn("Eye: the stored start-up snapshot is damaged; starting normally");
        await cache.delete(key);
        return null;
      }
      if (!looksLikeSnapshot(bytes)) {  // a runtime given a non-snapshot can hang instead of failing
        console.warn("Eye: the stored start-up snapshot is not one; starting normally");
        await cache.delete(key);
        return null;
      }
      return bytes;
    } catch (e) {
      return null;  // no Cache Storage here (e.g. an insecure context): the normal boot
    }
  }

  /** After a normal boot: make the snapshot in a worker and store it there (off this page's main thread).
   * Resolves to null once it is stored, else to why not (it never rejects). */
  function buildSnapshot(key, runtimeURL, wheelURL) {
    if (!window.caches || !window.crypto || !crypto.subtle || typeof Worker !== "function") {
      return Promise.resolve("this page has no Cache Storage or workers");
    }
    var settle;
    var done = new Promise(function (resolve) { settle = resolve; });
    // The worker also hashes and stores the snapshot (Cache Storage is the page's in a worker made
    // from a blob): its ~21 MB are never copied on this page's main thread, mid-exam.
    var source = [
      "const hex = (b) => Array.from(new Uint8Array(b), (x) => x.toString(16).padStart(2, '0')).join('');",
      "self.onmessage = async (e) => {",
      "  let snapshot;",
      "  try {",
      "    const { loadPyodide } = await import(e.data.runtime + 'pyodide.mjs');",
      "    const wheel = new Uint8Array(await (await fetch(e.data.wheel, { credentials: 'omit' })).arrayBuffer());",
      "    const py = await loadPyodide({ indexURL: e.data.runtime, fullStdLib: false, _makeSnapshot: true });",
      "    py.unpackArchive(wheel, 'wheel');",
      "    py.runPython(e.data.imports);",
      "    snapshot = py.makeMemorySnapshot();",
      "  } catch (err) { self.postMessage({ error: String(err) }); return; }",
      "  try {",
      "    const digest = hex(await crypto.subtle.digest('SHA-256', snapshot));",
      "    const cache = await caches.open(e.data.cache);",
      "    for (const old of await cache.keys()) if (old.url !== e.data.key) await cache.delete(old);  // other versions",
      "    await cache.put(e.data.key, new Response(snapshot, { headers: { 'Content-Type': 'application/octet-stream', 'X-Eye-Sha256': digest } }));",
      "    self.postMessage({ stored: true });",
      "  } catch (err) { self.postMessage({ unstored: String(err) }); }",
      "};",
    ].join("\n");
    var url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
    var worker;
    try {
      worker = new Worker(url, { type: "module" });
    } catch (e) {
      URL.revokeObjectURL(url);
      return Promise.resolve("no worker (" + e + ")");
    }
    worker.onmessage = function (event) {
      worker.terminate();
      URL.revokeObjectURL(url);
      if (event.data.error) {
        console.warn("Eye: no start-up snapshot this time (" + event.data.error + ")");
        settle(String(event.data.error));
      } else if (event.data.unstored) {
        console.warn("Eye: the start-up snapshot could not be stored (" + event.data.unstored + ")");
        settle("it could not be stored (" + event.data.unstored + ")");
      } else {
        settle(null);
      }
    };
    worker.onerror = function (e) { worker.terminate(); URL.revokeObjectURL(url); settle("the worker failed (" + (e.message || e) + ")"); };
    worker.postMessage({ runtime: runtimeURL, wheel: wheelURL, imports: SNAPSHOT_IMPORTS, cache: SNAPSHOTS, key: key });
    return done;
  }

  function scheduleSnapshot(py, build) {
    var done = false;
    var timer = null;
    function go() { if (!done) { done = true; clearTimeout(timer); build(); } }
    function later(ms) { clearTimeout(timer); timer = setTimeout(go, ms); }
    later(SNAPSHOT_IDLE_MS);
    try {
      [["STARTED", SNAPSHOT_AFTER_START_MS], ["END_PROCTORING", 0]].forEach(function (pair) {
        var off = py.on(pair[0], function () { later(pair[1]); });
        if (off && typeof off.destroy === "function") off.destroy();
      });
    } catch (e) { /* the timer alone, then */ }
  }

  async function load() {
    if (!MANIFEST) {
      throw failure("setup", null, new Error("expected a built loader.js (run `python build.py`), received the unbuilt source"));
    }
    if (typeof WebAssembly !== "object" || typeof Promise === "undefined" || typeof fetch !== "function") {
      throw failure("browser check", null,
        new Error("unsupported browser: expected WebAssembly, Promise and fetch, received " + navigator.userAgent));
    }
    report(0, "runtime");
    var runtimeURL = new URL(MANIFEST.pyodide, BASE).href;
    var wheelURL = new URL(MANIFEST.widget, BASE).href;
    var stopCounting = countBytes(runtimeURL, wheelURL);
    // The widget wheel is fetched while the runtime boots, then unpacked without a package index.
    var wheel = fetch(wheelURL, { credentials: "omit" }).then(function (r) {
      if (!r.ok) throw new Error("expected HTTP 200, received " + r.status);
      return r.arrayBuffer();
    });
    wheel.catch(function () {});  // reported below, once the runtime is up
    var pyodideModule;
    try {
      pyodideModule = await import(runtimeURL + "pyodide.mjs");
    } catch (e) {
      throw failure("network: loading the Python runtime", runtimeURL + "pyodide.mjs", e);
    }
    var pyodide = null;
    var key = snapshotKey(runtimeURL, wheelURL);
    var snapshot = await storedSnapshot(key);
    try {
      if (snapshot) {
        try {
          pyodide = await pyodideModule.loadPyodide({ indexURL: runtimeURL, fullStdLib: false, _loadSnapshot: snapshot });
          bootedFrom = "snapshot";
        } catch (e) {  // a snapshot this runtime cannot restore: forget it, start normally
          console.warn("Eye: the start-up snapshot could not be restored (" + e + "); starting normally");
          caches.open(SNAPSHOTS).then(function (c) { return c.delete(key); }).catch(function () {});
          snapshot = null;
        }
      }
      if (!pyodide) pyodide = await pyodideModule.loadPyodide({ indexURL: runtimeURL, fullStdLib: false });
    } catch (e) {
      throw failure("starting the Python runtime", runtimeURL, e);
    } finally {
      stopCounting();
    }
    report(0.9, "widget");
    var archive;
    try {
      archive = await wheel;
    } catch (e) {
      throw failure("network: downloading the widget", wheelURL, e);
    }
    try {
      pyodide.unpackArchive(archive, "wheel");
    } catch (e) {
      throw failure("installing the widget", wheelURL, e);
    }
    var widget;
    // One snapshot build at most: when the schedule below says, or at once for a setup check.
    var snapshotting = snapshot ? Promise.resolve(null) : null;
    function snapshotOnce() {
      if (!snapshotting) snapshotting = buildSnapshot(key, runtimeURL, wheelURL);
      return snapshotting;
    }
    try {
      var assets = { scripts: new URL(MANIFEST.scripts, BASE).href, human: new URL(MANIFEST.human, BASE).href };
      var py = pyodide.pyimport("widget.browser.pyodide").create_widget(BASE, pyodide, assets);
      widget = facade(py, plain(pyodide.pyimport("widget.events").EVENTS), snapshotOnce);
    } catch (e) {
      throw failure("starting the widget", null, e);
    }
    report(1, "ready");
    if (!snapshot) scheduleSnapshot(py, snapshotOnce);
    return widget;
  }

  function LoadEyeWidget(options) {
    var onProgress = options && options.onProgress;
    if (onProgress !== undefined && typeof onProgress !== "function") {
      throw new TypeError("Eye: options.onProgress must be a function, received " + typeof onProgress);
    }
    if (onProgress && progressListeners.indexOf(onProgress) < 0) {
      progressListeners.push(onProgress);  // a later call's listener is honoured too ...
      if (pending && lastProgress) {
        try { onProgress(lastProgress[0], lastProgress[1]); } catch (e) { console.error("Eye: onProgress threw", e); }
      }
    }
    if (!pending) {
      pending = load().catch(function (e) {
        pending = null;
        throw e;
      });
    }
    return pending;
  }
  LoadEyeWidget.eyeLoader = true;
  window.LoadEyeWidget = LoadEyeWidget;
  window.LoadProctormeWidget = LoadEyeWidget;  // the name older vendor pages use
})();
