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
 * The page never boots Python itself (a boot is one long task: ~2 s on a laptop, ~10 s on a slow
 * one, with the page frozen). It restores a memory snapshot of the interpreter with the widget's
 * modules imported (Pyodide's _makeSnapshot/_loadSnapshot): a repeat visit's from Cache Storage
 * (stored under this runtime's and widget's version, with its SHA-256); a first visit's made just
 * now by a worker, which boots the interpreter off the page's main thread, hands the page a copy
 * and stores it. A stale, damaged or failing snapshot, or a page that allows no worker, means the
 * normal boot on the page.
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
  /** What the snapshot holds: the widget's modules, imported (numpy is loaded later, after a restore:
   * a snapshot cannot hold a loaded shared library). */
  var SNAPSHOT_IMPORTS = "import widget.api, widget.browser.pyodide";

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
   * 0–0.85 of the load. The page's ``fetch`` is wrapped only until the runtime is up (other
   * requests pass through untouched); while a worker downloads the runtime, it reports its own
   * bytes (``worker(total)``) and the page counts only the wheel (``runtimeToo = false``).
   */
  function countBytes(runtimeURL, wheelURL) {
    var total = MANIFEST.bytes || 0;
    var realFetch = window.fetch;
    var counter = { runtimeToo: true, worker: function () {}, stop: function () {} };
    if (!total || typeof ReadableStream !== "function") return counter;
    var loaded = 0;
    var fromWorker = 0;
    var shown = 0;
    function show() {
      var sum = loaded + fromWorker;
      var fraction = Math.min(0.85, 0.85 * sum / total);
      if (fraction - shown >= 0.01) { shown = fraction; report(fraction, sum >= total * 0.97 ? "python" : "runtime"); }
    }
    function counted(response) {
      return countedResponse(response, function (bytes) { loaded += bytes; show(); });
    }
    function countingFetch(input, init) {
      var url = urlOf(input);
      var answer = realFetch.apply(this, arguments);
      return (counter.runtimeToo && url.indexOf(runtimeURL) === 0) || url === wheelURL ? answer.then(counted) : answer;
    }
    window.fetch = countingFetch;
    counter.worker = function (bytes) { fromWorker = bytes; show(); };
    counter.stop = function () {
      if (window.fetch === countingFetch) window.fetch = realFetch;
      if (shown < 0.85) report(0.85, "python");
    };
    return counter;
  }

  /** ``response`` with its body passed through as it streams in, each chunk's size told to
   * ``onBytes``. Self-contained: the snapshot worker's source includes it too. */
  function countedResponse(response, onBytes) {
    if (!response.ok || !response.body) return response;
    var reader = response.body.getReader();
    var stream = new ReadableStream({
      pull: function (controller) {
        return reader.read().then(function (part) {
          if (part.done) { controller.close(); return; }
          onBytes(part.value.byteLength);
          controller.enqueue(part.value);
        });
      },
      cancel: function (reason) { return reader.cancel(reason); },
    });
    return new Response(stream, { status: response.status, statusText: response.statusText, headers: response.headers });
  }

  /** The URL a ``fetch`` is for. Self-contained, as above. */
  function urlOf(input) {
    return typeof input === "string" ? input : (input && input.url) || String(input);
  }

  /** Self-contained, as above. */
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

  /** A first visit: a worker boots the interpreter, imports the widget and snapshots it, posts the
   * page a copy at once, then stores it (hashed, in Cache Storage: the page's, in a worker made from
   * a blob). Resolves to { bytes, stored } — ``stored`` the promise of null once it is stored, else
   * of why not — or to { error } (never rejects). The worker's downloads are counted by
   * ``onBytes(total so far)``; ``onBooted()`` says its runtime is up (its files are cached). */
  function makeSnapshot(key, runtimeURL, wheelURL, onBytes, onBooted) {
    if (typeof Worker !== "function") return Promise.resolve({ error: "this page has no workers" });
    var source = [
      String(countedResponse), String(urlOf), String(hex),
      "const realFetch = self.fetch.bind(self);",
      "let loaded = 0, told = 0;",
      "function counting(runtime, step) {  // the runtime's downloads; the page counts the wheel's",
      "  self.fetch = async (input, init) => {",
      "    const response = await realFetch(input, init);",
      "    if (!urlOf(input).startsWith(runtime)) return response;",
      "    return countedResponse(response, (bytes) => {",
      "      loaded += bytes;",
      "      if (loaded - told >= step) { told = loaded; self.postMessage({ loaded }); }",
      "    });",
      "  };",
      "}",
      "self.onmessage = async (e) => {",
      "  const d = e.data;",
      "  counting(d.runtime, d.step);",
      "  let snapshot;",
      "  try {",
      "    const { loadPyodide } = await import(d.runtime + 'pyodide.mjs');",
      "    const wheel = new Uint8Array(await (await self.fetch(d.wheel, { credentials: 'omit' })).arrayBuffer());",
      "    const py = await loadPyodide({ indexURL: d.runtime, fullStdLib: false, _makeSnapshot: true });",
      "    self.postMessage({ booted: true });  // the runtime's files are in the HTTP cache now",
      "    py.unpackArchive(wheel, 'wheel');",
      "    py.runPython(d.imports);",
      "    snapshot = py.makeMemorySnapshot();",
      "  } catch (err) { self.postMessage({ error: String(err) }); return; }",
      "  const copy = snapshot.slice();",
      "  self.postMessage({ snapshot: copy }, [copy.buffer]);",
      "  try {",
      "    if (!self.caches || !self.crypto || !crypto.subtle) throw new Error('this page has no Cache Storage');",
      "    const digest = hex(await crypto.subtle.digest('SHA-256', snapshot));",
      "    const cache = await caches.open(d.cache);",
      "    for (const old of await cache.keys()) if (old.url !== d.key) await cache.delete(old);  // other versions",
      "    await cache.put(d.key, new Response(snapshot, { headers: { 'Content-Type': 'application/octet-stream', 'X-Eye-Sha256': digest } }));",
      "    self.postMessage({ stored: null });",
      "  } catch (err) { self.postMessage({ stored: 'it could not be stored (' + err + ')' }); }",
      "};",
    ].join("\n");
    var url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
    var worker;
    try {
      worker = new Worker(url, { type: "module" });
    } catch (e) {
      URL.revokeObjectURL(url);
      return Promise.resolve({ error: "no worker (" + e + ")" });
    }
    var settleMade, settleStored;
    var made = new Promise(function (resolve) { settleMade = resolve; });
    var stored = new Promise(function (resolve) { settleStored = resolve; });
    function close() {
      worker.terminate();
      URL.revokeObjectURL(url);
    }
    function end(why) {
      close();
      settleMade({ error: why });
      settleStored(why);
    }
    worker.onmessage = function (event) {
      var data = event.data;
      if (typeof data.loaded === "number") {
        onBytes(data.loaded);
      } else if (data.booted) {
        onBooted();
      } else if (data.snapshot) {
        settleMade({ bytes: data.snapshot, stored: stored });
      } else if ("stored" in data) {
        close();
        if (data.stored) console.warn("Eye: the start-up snapshot " + data.stored);
        settleStored(data.stored);
      } else {
        end(String(data.error));
      }
    };
    worker.onerror = function (e) { e.preventDefault(); end("the worker failed (" + (e.message || e) + ")"); };
    worker.postMessage({ runtime: runtimeURL, wheel: wheelURL, imports: SNAPSHOT_IMPORTS, cache: SNAPSHOTS, key: key,
                         step: Math.max(1, Math.round((MANIFEST.bytes || 0) / 100)) });
    return made;
  }

  /**
   * The runtime's wasm compiled on this page while the worker imports the widget and snapshots it
   * (its bytes are in the HTTP cache by then), so that the restore does not wait for a compile:
   * Pyodide's one ``WebAssembly.instantiateStreaming`` of that URL gets the compiled module (any
   * other call, or a failed compile, goes to the browser's own). ``done()`` puts the original back.
   */
  function precompiled(wasmURL) {
    var real = WebAssembly.instantiateStreaming;
    if (typeof real !== "function" || typeof WebAssembly.compileStreaming !== "function") return { done: function () {} };
    var compiled = WebAssembly.compileStreaming(fetch(wasmURL));
    compiled.catch(function () {});  // then the browser's own instantiation
    function instantiateStreaming(source, imports) {
      return Promise.resolve(source).then(function (response) {
        if (!response || response.url !== wasmURL) return real.call(WebAssembly, response, imports);
        done();
        return compiled.then(function (module) {
          if (response.body) response.body.cancel().catch(function () {});
          return WebAssembly.instantiate(module, imports).then(function (instance) {
            return { instance: instance, module: module };
          });
        }, function () { return real.call(WebAssembly, response, imports); });
      });
    }
    function done() {
      if (WebAssembly.instantiateStreaming === instantiateStreaming) WebAssembly.instantiateStreaming = real;
    }
    WebAssembly.instantiateStreaming = instantiateStreaming;
    return { done: done };
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
    var counter = countBytes(runtimeURL, wheelURL);
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
      counter.stop();
      throw failure("network: loading the Python runtime", runtimeURL + "pyodide.mjs", e);
    }
    var pyodide = null;
    var key = snapshotKey(runtimeURL, wheelURL);
    var snapshot = await storedSnapshot(key);
    var source = snapshot ? "snapshot" : "worker";
    var made = false;  // a first visit's worker did make one
    /** The promise of the start-up snapshot in Cache Storage: null once it is there, else why not. */
    var stored = Promise.resolve(null);
    var wasm = null;  // the page's compile of the runtime's wasm, on a first visit
    if (!snapshot) {
      // A first visit: the interpreter boots in a worker, not on this page.
      counter.runtimeToo = false;
      var making = makeSnapshot(key, runtimeURL, wheelURL, counter.worker, function () {
        wasm = precompiled(runtimeURL + "pyodide.asm.wasm");
      });
      stored = making.then(function (m) { return m.bytes ? m.stored : m.error; });
      snapshot = making.then(function (m) {
        if (!m.bytes) throw new Error(m.error);
        made = true;
        return m.bytes;
      });
      snapshot.catch(function () {});  // handled below
      await making;  // only then the page's own runtime files: from the HTTP cache, not downloaded twice
    }
    try {
      try {
        pyodide = await pyodideModule.loadPyodide({ indexURL: runtimeURL, fullStdLib: false, _loadSnapshot: snapshot });
        bootedFrom = source;
      } catch (e) {
        counter.runtimeToo = true;
        if (source === "worker" && !made) {  // no worker here, or it failed
          console.warn("Eye: starting on the page (" + (e && e.message ? e.message : e) + ")");
        } else {  // a snapshot this runtime cannot restore: forget it, start normally
          console.warn("Eye: the start-up snapshot could not be restored (" + e + "); starting normally");
          stored.then(function () { return caches.open(SNAPSHOTS); }).then(function (c) { return c.delete(key); }).catch(function () {});
          stored = Promise.resolve("it could not be restored (" + e + ")");
        }
      }
      if (!pyodide) pyodide = await pyodideModule.loadPyodide({ indexURL: runtimeURL, fullStdLib: false });
    } catch (e) {
      throw failure("starting the Python runtime", runtimeURL, e);
    } finally {
      snapshot = null;
      if (wasm) wasm.done();
      counter.stop();
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
    try {
      var assets = { scripts: new URL(MANIFEST.scripts, BASE).href, human: new URL(MANIFEST.human, BASE).href };
      var py = pyodide.pyimport("widget.browser.pyodide").create_widget(BASE, pyodide, assets);
      widget = facade(py, plain(pyodide.pyimport("widget.events").EVENTS), function () { return stored; });
    } catch (e) {
      throw failure("starting the widget", null, e);
    }
    report(1, "ready");
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
