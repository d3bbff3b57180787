/*
 * Eye loader: defines window.LoadProctormeWidget(options?) and nothing else global.
 *
 * It finds its own base URL from its <script src>, boots the Pyodide runtime served beside it,
 * installs the widget wheel and resolves to the Python Widget object (a Pyodide proxy).
 * Loads at most once: one memoized promise, reset after a failure so a later call retries.
 * build.py replaces the manifest placeholder below with versioned asset paths.
 */
(function () {
  "use strict";
  var MANIFEST = /*EYE_MANIFEST*/null;
  var script = document.currentScript;
  var BASE = new URL(".", script && script.src ? script.src : window.location.href).href;
  var pending = null;

  function failure(stage, url, cause) {
    var detail = cause && cause.message ? cause.message : String(cause);
    var err = new Error("Eye: " + stage + " failed" + (url ? " (" + url + ")" : "") + ": " + detail);
    err.stage = stage;
    err.cause = cause;
    return err;
  }

  async function load(options) {
    var progress = typeof options.onProgress === "function" ? options.onProgress : function () {};
    function report(fraction, stage) {
      try { progress(fraction, stage); } catch (e) { console.error("Eye: onProgress threw", e); }
    }
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
    report(0.1, "python");
    var pyodide;
    try {
      pyodide = await pyodideModule.loadPyodide({ indexURL: runtimeURL, fullStdLib: false });
    } catch (e) {
      throw failure("starting the Python runtime", runtimeURL, e);
    }
    report(0.8, "widget");
    try {
      pyodide.unpackArchive(await wheel, "wheel");
    } catch (e) {
      throw failure("network: installing the widget", wheelURL, e);
    }
    var widget;
    try {
      var assets = { scripts: new URL(MANIFEST.scripts, BASE).href, human: new URL(MANIFEST.human, BASE).href };
      widget = pyodide.pyimport("widget.browser.pyodide").create_widget(BASE, pyodide, assets);
    } catch (e) {
      throw failure("starting the widget", null, e);
    }
    report(1, "ready");
    return widget;
  }

  window.LoadProctormeWidget = function (options) {
    if (!pending) {
      pending = load(options || {}).catch(function (e) {
        pending = null;
        throw e;
      });
    }
    return pending;
  };
})();
