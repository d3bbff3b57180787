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
 * The widget's Python runs in a worker (widget/browser/js/python_worker.js, its page half
 * page.js): no Python turn — the interpreter's boot, numpy, a frame's analysis — ever runs on the
 * exam page's main thread, where one long task freezes the candidate's page. The worker restores
 * the start-up snapshot it stored on an earlier visit (Cache Storage, under this runtime's and
 * widget's version, with its SHA-256), or boots afresh and stores one. A page that allows no
 * worker gets the widget on the page, booted normally.
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
  var SNAPSHOTS = "eye-snapshots";
  /** What the snapshot holds: the widget's modules, imported (numpy is loaded later, after a restore:
   * a snapshot cannot hold a loaded shared library). */
  var SNAPSHOT_IMPORTS = "import widget.api, widget.browser.worker";

  /** Python values (dicts, lists, numpy scalars already made plain by the widget) → plain JS. */
  function plain(value) {
    if (value && typeof value.toJs === "function") {
      var converted = value.toJs({ dict_converter: Object.fromEntries, create_pyproxies: false });
      if (typeof value.destroy === "function") value.destroy();
      return converted;
    }
    return value;
  }

  /** The widget run on this page (no worker): the backend of the facade over the Python Widget. */
  function onThePage(py) {
    return {
      boot: "normal",
      state: function () { return String(py.state); },
      diagnostics: function () { return plain(py.diagnostics()); },
      on: function (event, callback) {
        var pyUnsubscribe = py.on(event, callback);
        if (pyUnsubscribe && typeof pyUnsubscribe.destroy === "function") pyUnsubscribe.destroy();
      },
      off: function (event, callback) { py.off(event, callback); },
      reset: function () { py.resetSessionListeners(); },
      call: function (method, args) {
        return method === "checkSystem" ? py.checkSystem(args[0], null) : py[method].apply(py, args);
      },
    };
  }

  /** The page's view of the widget: exactly the methods loader.d.ts declares, plain values only,
   * over a backend — the widget in its worker (page.js) or on this page (``onThePage``). */
  function facade(backend, events) {
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
      get state() { return backend.state(); },
      on: function (event, callback) {
        checked(event, callback);
        backend.on(event, callback);
        return function unsubscribe() { backend.off(event, callback); };
      },
      off: function (event, callback) {
        checked(event, callback);
        backend.off(event, callback);
      },
      init: function (config) { return backend.call("init", [config]); },
      endProctoring: function () { return backend.call("endProctoring", []); },
      checkSystem: function (options) {
        return backend.call("checkSystem", [options === undefined ? null : options]).then(function (answer) {
          var results = answer.results;
          results.code = answer.code;
          return results;
        });
      },
      resetSessionListeners: function () { backend.reset(); },
      diagnostics: function () { return Object.assign(backend.diagnostics(), { boot: backend.boot }); },
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
   * Progress by bytes: the runtime's and the widget wheel's responses are counted as they stream
   * in (against the total the build recorded) and reported as 0–0.85 of the load. The worker counts
   * its own downloads and tells them (``worker(total so far)``); on this page (``runtimeURL`` given)
   * its ``fetch`` is wrapped until the runtime is up (other requests pass through untouched).
   */
  function countBytes(runtimeURL, wheelURL) {
    var total = MANIFEST.bytes || 0;
    var realFetch = window.fetch;
    var counter = { worker: function () {}, stop: function () {} };
    if (!total || typeof ReadableStream !== "function") return counter;
    var loaded = 0;
    var shown = 0;
    function show() {
      var fraction = Math.min(0.85, 0.85 * loaded / total);
      if (fraction - shown >= 0.01) { shown = fraction; report(fraction, loaded >= total * 0.97 ? "python" : "runtime"); }
    }
    function counted(response) {
      return countedResponse(response, function (bytes) { loaded += bytes; show(); });
    }
    function countingFetch(input, init) {
      var url = urlOf(input);
      var answer = realFetch.apply(this, arguments);
      return url.indexOf(runtimeURL) === 0 || url === wheelURL ? answer.then(counted) : answer;
    }
    if (runtimeURL) window.fetch = countingFetch;
    counter.worker = function (bytes) { loaded = bytes; show(); };
    counter.stop = function () {
      if (window.fetch === countingFetch) window.fetch = realFetch;
      if (shown < 0.85) report(0.85, "python");
    };
    return counter;
  }

  /** ``response`` with its body passed through as it streams in, each chunk's size told to
   * ``onBytes``. */
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

  /** The URL a ``fetch`` is for. */
  function urlOf(input) {
    return typeof input === "string" ? input : (input && input.url) || String(input);
  }

  function snapshotKey(runtimeURL, wheelURL) {
    return new URL("snapshot?runtime=" + encodeURIComponent(runtimeURL) + "&widget=" + encodeURIComponent(wheelURL), BASE).href;
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
    var assets = { scripts: new URL(MANIFEST.scripts, BASE).href, human: new URL(MANIFEST.human, BASE).href };
    var why = typeof Worker === "function" ? null : "this browser has no workers";
    if (!why) {
      var counter = countBytes(null, null);
      try {
        // The worker's own first files, asked for now beside page.js (from the HTTP cache then):
        // otherwise page.js, the worker's script and the runtime's module are round trips in a row.
        [assets.scripts + "python_worker.js", runtimeURL + "pyodide.mjs"].forEach(function (url) {
          fetch(url, { credentials: "omit" }).then(function (r) { return r.arrayBuffer(); }).catch(function () {});
        });
        var half = await import(assets.scripts + "page.js");
        await new Promise(function (resolve) { setTimeout(resolve, 0); });  // the worker's start in a task of its own
        var backend = await half.boot({
          runtime: runtimeURL, wheel: wheelURL, base: BASE, assets: assets,
          snapshot: { cache: SNAPSHOTS, key: snapshotKey(runtimeURL, wheelURL), imports: SNAPSHOT_IMPORTS },
          step: Math.max(1, Math.round((MANIFEST.bytes || 0) / 100)), onBytes: counter.worker,
          onWidget: function () { counter.stop(); report(0.9, "widget"); },
        });
        report(1, "ready");
        return facade(backend, backend.events);
      } catch (e) {
        counter.stop();
        if (!e || !e.noWorker) throw failure(e && e.stage ? e.stage : "starting the widget", null, e);
        why = e.why;
      }
    }
    console.warn("Eye: starting on the page (" + why + ")");
    return loadOnThePage(runtimeURL, wheelURL, assets);
  }

  /** The widget on this page: the interpreter boots here (one long task), for a page without workers. */
  async function loadOnThePage(runtimeURL, wheelURL, assets) {
    var counter = countBytes(runtimeURL, wheelURL);
    // The widget wheel is fetched while the runtime boots, then unpacked without a package index.
    var wheel = fetch(wheelURL, { credentials: "omit" }).then(function (r) {
      if (!r.ok) throw new Error("expected HTTP 200, received " + r.status);
      return r.arrayBuffer();
    });
    wheel.catch(function () {});  // reported below, once the runtime is up
    var pyodide;
    try {
      var pyodideModule = await import(runtimeURL + "pyodide.mjs");
      pyodide = await pyodideModule.loadPyodide({ indexURL: runtimeURL, fullStdLib: false });
    } catch (e) {
      throw failure("starting the Python runtime", runtimeURL, e);
    } finally {
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
      var py = pyodide.pyimport("widget.browser.pyodide").create_widget(BASE, pyodide, assets);
      widget = facade(onThePage(py), plain(pyodide.pyimport("widget.events").EVENTS));
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
