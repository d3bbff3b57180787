/*
 * Eye loader: defines window.LoadEyeWidget(options?) — also known as LoadProctormeWidget — and
 * nothing else global.
 *
 * It finds its own base URL from its <script src>, boots the Pyodide runtime served beside it,
 * installs the widget wheel and resolves to the widget: a plain JS object (see loader.d.ts) over
 * the Python Widget. Loads at most once: one memoized promise, reset after a failure so a later
 * call retries; a second copy of this script reuses the first (with a warning).
 * build.py replaces the manifest placeholder below with versioned asset paths.
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

  /** Python values (dicts, lists, numpy scalars already made plain by the widget) → plain JS. */
  function plain(value) {
    if (value && typeof value.toJs === "function") {
      var converted = value.toJs({ dict_converter: Object.fromEntries, create_pyproxies: false });
      if (typeof value.destroy === "function") value.destroy();
      return converted;
    }
    return value;
  }

  /** The page's view of the widget: exactly the methods loader.d.ts declares, plain values only. */
  function facade(py, events) {
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
      resetSessionListeners: function () { py.resetSessionListeners(); },
      diagnostics: function () { return plain(py.diagnostics()); },
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
    var pyodide;
    try {
      pyodide = await pyodideModule.loadPyodide({ indexURL: runtimeURL, fullStdLib: false });
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
    try {
      var assets = { scripts: new URL(MANIFEST.scripts, BASE).href, human: new URL(MANIFEST.human, BASE).href };
      var py = pyodide.pyimport("widget.browser.pyodide").create_widget(BASE, pyodide, assets);
      widget = facade(py, plain(pyodide.pyimport("widget.events").EVENTS));
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
