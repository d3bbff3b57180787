/*
 * The page's half of the widget when its Python runs in a worker (widget/browser/worker.py; the
 * worker itself starts in python_worker.js). Nothing here decides anything: it does what only a
 * page can do when the worker asks — the panel, the camera, microphone and screen, the page's
 * events, sessionStorage — and hands the page's listeners the widget's events. Every message to the
 * worker carries the page's state (visible, focused, fullscreen, window share, extended screen),
 * so that a handler there reads the state its event left.
 *
 * boot(options) → a backend for the loader's facade: { state(), diagnostics(), on, off, reset,
 * call(method, args) }, or rejects with { noWorker: true } when this page starts no worker.
 */

const SESSION_PREFIX = "eye:";

/** The page's state, as the widget's monitors read it. */
function pageState() {
  const w = window, screen = w.screen;
  const width = w.outerWidth || w.innerWidth, height = w.outerHeight || w.innerHeight;
  const availW = screen.availWidth || screen.width, availH = screen.availHeight || screen.height;
  const share = availW > 0 && availH > 0 ? Math.min(1, width / availW, height / availH) : 1;
  return {
    visible: document.visibilityState === "visible",
    focused: document.hasFocus(),
    fullscreen: document.fullscreenElement != null,
    share,
    extended: typeof screen.isExtended === "boolean" ? screen.isExtended : null,
  };
}

function capabilities() {
  const devices = navigator.mediaDevices;
  return {
    fetch: typeof window.fetch === "function",
    Promise: typeof Promise === "function",
    WebAssembly: typeof WebAssembly === "object",
    visibilityState: "visibilityState" in document,
    getDisplayMedia: !!devices && typeof devices.getDisplayMedia === "function",
  };
}

/** The tab's sessionStorage entries of Eye's keys (a reload resumes a session from them). */
function savedSessions() {
  const found = {};
  try {
    for (let i = 0; i < sessionStorage.length; i++) {
      const key = sessionStorage.key(i);
      if (key && key.startsWith(SESSION_PREFIX)) found[key] = sessionStorage.getItem(key);
    }
  } catch (e) { /* storage disabled: nothing to resume */ }
  return found;
}

/** How many characters a copy, cut or paste moved (the text itself is not kept). */
function clipboardLength(event) {
  try {
    if (event.type === "paste") return event.clipboardData ? event.clipboardData.getData("text/plain").length : 0;
    const target = document.activeElement;
    if (target && typeof target.selectionStart === "number" && typeof target.selectionEnd === "number") {
      return Math.max(0, target.selectionEnd - target.selectionStart);
    }
    return String(document.getSelection()).length;
  } catch (e) {
    return 0;
  }
}

function element(tag, id, attributes) {
  const node = document.createElement(tag);
  if (id) node.id = id;
  for (const [name, value] of Object.entries(attributes || {})) node.setAttribute(name, value);
  return node;
}

/** Run each of ``steps`` in a task of its own, ``root`` laid out after each (a step's layout is
 * paid in its task, not all together in the next frame's). */
function stepByStep(root, steps) {
  let done = 0;
  function next() {
    steps[done++]();
    void root.offsetHeight;
    if (done < steps.length) setTimeout(next, 0);
  }
  next();
}

/** The widget's panel (the DOM widget/browser/media.py's Overlay draws on a page-run widget). */
class Panel {
  constructor(containerId, words) {
    this.words = words;
    this.styles = words.styles;
    this.asking = [];  // answers of the questions on screen, each called with -1 when the panel goes
    this.messages = null;
    this.cover = null;
    const root = this.root = element("div", "eye-overlay", { role: "region", "aria-label": words.label });
    root.lang = words.code;
    root.dir = words.direction;
    const fixed = "position:fixed;inset-inline-end:12px;inset-block-end:12px;z-index:2147483647;";
    root.style.cssText = this.styles.panel + (containerId ? "" : fixed);
    const video = this.video = document.createElement("video");
    video.muted = true;
    video.autoplay = true;
    video.setAttribute("playsinline", "");
    video.style.cssText = "width:100%;border-radius:4px;background:#222;display:none;";
    const style = document.createElement("style");
    style.textContent = this.styles.focus;
    this.statusLine = element("div", "eye-status", { role: "status" });
    root.append(style, video, this.statusLine);
    const parent = containerId ? document.getElementById(containerId) : null;
    (parent || document.body).append(root);
  }

  status(text) { this.statusLine.textContent = text; }

  notice(notice, id) {
    const body = element("div", id);
    for (const block of notice.blocks) {
      let node;
      if (typeof block === "string") {
        node = document.createElement("p");
        node.textContent = block;
        node.style.cssText = "margin-block:0 8px;";
      } else {
        node = document.createElement("ul");
        for (const item of block) {
          const li = document.createElement("li");
          li.textContent = item;
          node.append(li);
        }
      }
      body.append(node);
    }
    if (notice.link) {
      const para = document.createElement("p");
      para.style.cssText = "margin-block:0 8px;";
      const link = document.createElement("a");
      [link.textContent, link.href] = notice.link;
      link.target = "_blank";
      link.rel = "noopener";
      para.append(link);
      body.append(para);
    }
    return body;
  }

  /** A labelled, non-modal dialog; resolves to the index of the button pressed (-1: the panel went). */
  ask(panelId, notice, buttons, focus, title) {
    const panel = element("div", null, { role: "dialog", "aria-labelledby": panelId + "-title", "aria-describedby": panelId + "-text" });
    const heading = element("h2", null);
    heading.textContent = title;
    heading.style.cssText = "font-size:14px;margin-block:0 4px;";
    panel.append(heading, this.notice(notice, null));
    return new Promise((resolve) => {
      const answer = (index) => {
        const at = this.asking.indexOf(answer);
        if (at < 0) return;
        this.asking.splice(at, 1);
        panel.remove();
        this.root.style.inlineSize = "200px";
        resolve(index);
      };
      this.asking.push(answer);
      const wired = buttons.map(([, label], index) => {
        const button = element("button", null);
        button.textContent = label;
        button.type = "button";
        button.style.cssText = this.styles.buttons[index === 0 ? 0 : 1];
        button.addEventListener("click", () => answer(index));
        return button;
      });
      const parts = Array.from(panel.children);
      const notice = parts[1];
      const blocks = Array.from(notice.children);
      notice.replaceChildren();
      panel.replaceChildren(parts[0], notice);
      this.root.style.inlineSize = this.styles.asking;
      // Step by step, each part laid out in a task of its own (the first text in a face — the
      // title's, the notice's, a button's — costs a font lookup, and all of them in one task is a
      // long one on a slow machine). The ids come last: once #eye-consent is there, it is whole.
      function named() {
        panel.id = panelId;
        heading.id = panelId + "-title";
        notice.id = panelId + "-text";
        wired.forEach((button, index) => { button.id = buttons[index][0]; });
        if (focus && panel.isConnected) wired[0].focus();
      }
      stepByStep(panel, [() => this.root.append(panel), ...blocks.map((b) => () => notice.append(b)),
        ...wired.map((b) => () => panel.append(b)), named]);
    });
  }

  /** A live proctor's message: text only, announced, the focus left where the candidate is. */
  message(head, text, label, reply, send) {
    if (!this.messages) {
      this.messages = element("div", "eye-messages", { role: "log", "aria-live": "assertive", "aria-label": this.words.messages });
      this.root.insertBefore(this.messages, this.statusLine);
    }
    this.root.style.inlineSize = this.styles.asking;
    const item = element("div", null);
    item.className = "eye-message";
    item.style.cssText = "border-inline-start:4px solid #0b57d0;padding-inline-start:8px;margin-block:0 8px;";
    const title = document.createElement("p");
    title.style.cssText = "margin:0;font-weight:600;";
    title.textContent = head;
    const body = document.createElement("p");
    body.style.cssText = "margin-block:2px 6px;white-space:pre-wrap;";
    body.textContent = text;
    item.append(title, body);
    if (reply) {
      const form = document.createElement("form");
      form.className = "eye-reply";
      const field = element("input", null, { "aria-label": reply.field });
      field.type = "text";
      field.maxLength = reply.max;
      field.placeholder = reply.field;
      field.style.cssText = "font:inherit;inline-size:100%;box-sizing:border-box;margin-block:0 4px;padding:4px;";
      const submit = document.createElement("button");
      submit.type = "submit";
      submit.textContent = reply.send;
      submit.style.cssText = this.styles.buttons[0];
      form.append(field, submit);
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        const words = field.value.trim();
        if (!words) return;
        send(reply.id, [words]);
        const sent = document.createElement("p");
        sent.style.cssText = "margin:0 0 6px;";
        sent.textContent = reply.sent;
        form.replaceWith(sent);
      });
      item.append(form);
    }
    const dismiss = document.createElement("button");
    dismiss.type = "button";
    dismiss.textContent = label;
    dismiss.style.cssText = this.styles.buttons[1];
    dismiss.addEventListener("click", () => {
      item.remove();
      if (!this.messages.children.length) this.root.style.inlineSize = "200px";
    }, { once: true });
    item.append(dismiss);
    this.messages.append(item);
  }

  /** Cover the whole page until resume(). */
  pause(title, text) {
    if (!this.cover) {
      this.cover = element("div", "eye-paused", { role: "alertdialog", "aria-modal": "true", "aria-labelledby": "eye-paused-title" });
      this.cover.lang = this.words.code;
      this.cover.dir = this.words.direction;
      this.cover.tabIndex = -1;
      this.cover.style.cssText = "position:fixed;inset:0;z-index:2147483646;background:rgba(27,31,36,.92);color:#fff;" +
        "display:flex;flex-direction:column;align-items:center;justify-content:center;" +
        "padding:24px;text-align:center;font:18px/1.5 system-ui,sans-serif;";
      document.body.append(this.cover);
    }
    const heading = element("h2", "eye-paused-title");
    heading.textContent = title;
    heading.style.cssText = "font-size:24px;margin:0 0 12px;";
    const para = document.createElement("p");
    para.textContent = text;
    para.style.cssText = "max-inline-size:36rem;margin:0;white-space:pre-wrap;";
    this.cover.replaceChildren(heading, para);
    this.cover.focus();
  }

  resume() {
    if (this.cover) this.cover.remove();
    this.cover = null;
  }

  show(stream) {
    this.video.srcObject = stream;
    this.video.style.display = "block";
  }

  declined(text) {
    this.video.srcObject = null;
    this.video.style.display = "none";
    this.root.style.inlineSize = this.styles.asking;
    this.statusLine.textContent = text;
  }

  remove() {
    this.video.srcObject = null;
    this.resume();
    for (const answer of this.asking.slice()) answer(-1);
    this.root.remove();
  }
}

function failed(name, message) {
  const e = new Error(message);
  e.name = name;
  return e;
}

/** What the worker may ask of this page, by name; ``this`` is the page's side of one worker. */
const REQUESTS = {
  overlay(containerId, words) { return this.keep(new Panel(containerId, words)); },
  status(h, text) { this.held(h).status(text); },
  ask(h, id, notice, buttons, focus, title) { return this.held(h).ask(id, notice, buttons, focus, title); },
  message(h, head, text, label, reply) { this.held(h).message(head, text, label, reply, this.callBack); },
  pause(h, title, text) { this.held(h).pause(title, text); },
  resume(h) { this.held(h).resume(); },
  declined(h, text) { this.held(h).declined(text); },
  remove(h) { this.held(h).remove(); this.drop(h); },

  async media(overlay, video, audio) {
    const devices = navigator.mediaDevices;
    if (!devices) throw failed("Unsupported", "mediaDevices is missing; HTTPS needed");
    const stream = await devices.getUserMedia({
      video: video ? { width: { ideal: 640 }, height: { ideal: 480 }, frameRate: { ideal: 15 } } : false,
      audio: audio ? { echoCancellation: false, noiseSuppression: false, autoGainControl: false, channelCount: 1 } : false,
    });
    const panel = this.held(overlay);
    const held = { stream, video: panel.video, context: null, node: null };
    if (video) {
      panel.show(stream);
      try { await panel.video.play(); } catch (e) { /* a muted inline video may autoplay; frames flow anyway */ }
    }
    const track = stream.getAudioTracks()[0];
    return { handle: this.keep(held), microphone: track ? { state: track.readyState, muted: track.muted } : null };
  },
  async cameraOk(h) {
    const { stream, video } = this.held(h);
    const track = stream.getVideoTracks()[0];
    if (!track || track.readyState !== "live") return [false, "no live video track"];
    const deadline = performance.now() + 5000;
    while (video.readyState < 2 || video.videoWidth === 0) {
      if (performance.now() > deadline) return [false, "no frames arrived"];
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const canvas = new OffscreenCanvas(64, 48);
    const ctx = canvas.getContext("2d", { willReadFrequently: true });  // read back on the CPU, not from the GPU
    ctx.drawImage(video, 0, 0, 64, 48);
    const pixels = ctx.getImageData(0, 0, 64, 48).data;
    let sum = 0;
    for (let i = 0; i < pixels.length; i += 4) sum += pixels[i] + pixels[i + 1] + pixels[i + 2];
    const mean = sum / (3 * 64 * 48);
    return [mean > 8, "mean brightness " + Math.round(mean) + "/255"];
  },
  frame(h) { return createImageBitmap(this.held(h).video); },
  async audio(h, worklet) {
    const held = this.held(h);
    const context = held.context = new AudioContext();
    await context.audioWorklet.addModule(worklet);
    const source = context.createMediaStreamSource(held.stream);
    const node = held.node = new AudioWorkletNode(context, "eye-pcm");
    const mute = context.createGain();
    mute.gain.value = 0;
    source.connect(node);
    node.connect(mute);
    mute.connect(context.destination);
    if (context.state !== "running") await context.resume();
    return { rate: context.sampleRate, port: node.port };  // the port is handed over: its chunks skip this page
  },
  mediaEnded(h, callback) {
    for (const track of this.held(h).stream.getTracks()) {
      const kind = track.kind === "video" ? "camera" : "microphone";
      track.addEventListener("ended", () => this.callBack(callback, [kind]));
    }
  },
  closeMedia(h) {
    const held = this.held(h);
    for (const track of held.stream.getTracks()) track.stop();
    if (held.node) held.node.disconnect();
    if (held.context) held.context.close();
    this.drop(h);
  },

  async screen() {
    let stream;
    try {
      stream = await navigator.mediaDevices.getDisplayMedia({ video: { displaySurface: "monitor" }, audio: false,
        monitorTypeSurfaces: "include", selfBrowserSurface: "exclude", surfaceSwitching: "exclude" });
    } catch (e) {
      throw failed(e.name || "Error", e.message || String(e));
    }
    const track = stream.getVideoTracks()[0];
    const settings = track.getSettings();
    const capture = typeof ImageCapture === "function" ? new ImageCapture(track) : null;
    const handle = this.keep({ stream, track, capture, video: null });
    return { handle, surface: settings.displaySurface || "", width: settings.width || 0, height: settings.height || 0 };
  },
  async screenFrame(h) {
    const held = this.held(h);
    if (held.capture) return held.capture.grabFrame();
    if (!held.video) {  // no ImageCapture: a detached video element
      held.video = document.createElement("video");
      held.video.muted = true;
      held.video.srcObject = held.stream;
      await held.video.play();
    }
    return createImageBitmap(held.video);
  },
  screenEnded(h, callback) { this.held(h).track.addEventListener("ended", () => this.callBack(callback, [])); },
  closeScreen(h) {
    const held = this.held(h);
    for (const track of held.stream.getTracks()) track.stop();
    if (held.video) held.video.srcObject = null;
    this.drop(h);
  },
  async screens() {
    if (typeof window.getScreenDetails !== "function") return null;
    try {
      const status = await navigator.permissions.query({ name: "window-management" });
      if (status.state !== "granted") return null;
      const details = await window.getScreenDetails();
      return details.screens.map((s) => ({ label: s.label, width: s.width, height: s.height, primary: s.isPrimary }));
    } catch (e) {
      return null;
    }
  },

  listen(target, event, callback) {
    const node = { window, document, screen: window.screen }[target];
    const clipboard = event === "copy" || event === "cut" || event === "paste";
    const handler = (e) => this.callBack(callback, [{ type: e.type, length: clipboard ? clipboardLength(e) : 0 }]);
    node.addEventListener(event, handler);
    this.listening.set(callback, () => node.removeEventListener(event, handler));
  },
  unlisten(callback) {
    const remove = this.listening.get(callback);
    this.listening.delete(callback);
    if (remove) remove();
  },
  saveSession(key, text) {
    try {
      if (text == null) sessionStorage.removeItem(key);
      else sessionStorage.setItem(key, text);
    } catch (e) {
      console.warn("Eye: sessionStorage unavailable (" + e + ")");
    }
  },
  log(level, message) { (console[level] || console.log).call(console, message); },
};

/** The worker that runs the widget's Python: a module worker from a same-origin blob (browsers
 * start no cross-origin workers) importing python_worker.js from the Eye server. */
function startWorker(scriptsURL) {
  const url = URL.createObjectURL(new Blob(['import "' + scriptsURL + 'python_worker.js";'], { type: "text/javascript" }));
  try {
    return { worker: new Worker(url, { type: "module" }), url };
  } catch (e) {
    URL.revokeObjectURL(url);
    throw { noWorker: true, why: String(e) };
  }
}

/**
 * Boot the widget in a worker. ``options``: runtime, wheel, base, assets (absolute URLs), snapshot
 * ({ cache, key, imports }), step (bytes between progress reports), onBytes(total so far), onWidget()
 * (the runtime is up, the widget is being installed).
 * Resolves once the widget is up, to the backend described above, with ``boot``: "snapshot" (a
 * stored one restored) or "worker" (booted fresh, its snapshot then stored).
 */
export function boot(options) {
  const { worker, url } = startWorker(options.assets.scripts);
  const handles = new Map();
  let nextHandle = 0;
  const listeners = new Map();  // event → the page's listeners, in order
  let lateWarned = false;
  const emitted = new Set();
  let state = "loaded";
  let figures = {};
  const results = new Map();
  let nextCall = 0;
  const side = {
    listening: new Map(),
    keep(thing) { handles.set(++nextHandle, thing); return nextHandle; },
    held(h) {
      const thing = handles.get(h);
      if (!thing) throw failed("InvalidStateError", "no such handle " + h);
      return thing;
    },
    drop(h) { handles.delete(h); },
    callBack(id, args) { worker.postMessage({ type: "callback", id, args, page: pageState() }); },
  };

  function answer(data) {
    const ask = REQUESTS[data.method];
    let value;
    try {
      if (!ask) throw failed("TypeError", "the page has no " + data.method);
      value = ask.apply(side, data.args);
    } catch (e) {
      value = Promise.reject(e);
    }
    if (!data.id) {  // told, not asked
      Promise.resolve(value).catch((e) => console.error("Eye: the page could not " + data.method, e));
      return;
    }
    Promise.resolve(value).then((v) => {
      const transfer = v instanceof ImageBitmap ? [v] : v && v.port instanceof MessagePort ? [v.port] : [];
      worker.postMessage({ type: "reply", id: data.id, value: v, page: pageState() }, transfer);
    }, (e) => {
      worker.postMessage({ type: "reply", id: data.id, error: { name: (e && e.name) || "Error", message: (e && e.message) || String(e) },
        page: pageState() });
    });
  }

  function emit(event, payload) {
    emitted.add(event);
    for (const listener of (listeners.get(event) || []).slice()) {
      try {
        const result = payload === null || payload === undefined ? listener() : listener(payload);
        if (result && typeof result.then === "function" && typeof result.catch === "function") {
          result.catch((e) => console.error("Eye: an async listener rejected: " + e));
        }
      } catch (e) {  // a broken listener must not stop the others or monitoring
        console.error("Eye: a " + event + " listener threw: " + (e && e.name) + ": " + (e && e.message));
      }
    }
  }

  function settle(data) {
    const pending = results.get(data.id);
    results.delete(data.id);
    if (!pending) return;
    if (!data.error) { pending.resolve(data.value); return; }
    const err = new Error(data.error.message);
    if (data.error.code) {
      err.code = data.error.code;
      err.fields = data.error.fields;
      err.details = data.error.details;
    }
    pending.reject(err);
  }

  const backend = {
    boot: "worker",
    state() { return state; },
    diagnostics() { return Object.assign({}, figures); },
    on(event, callback) {
      if (emitted.size && !lateWarned) {
        lateWarned = true;
        console.warn("Eye: listener for " + event + " registered after events were emitted (" + Array.from(emitted).sort().join(", ") +
          "); it will not receive those. Register listeners before init().");
      }
      if (!listeners.has(event)) listeners.set(event, []);
      listeners.get(event).push(callback);
    },
    off(event, callback) {
      const list = listeners.get(event) || [];
      const at = list.indexOf(callback);
      if (at >= 0) list.splice(at, 1);
    },
    reset() { listeners.clear(); },
    call(method, args) {
      const id = ++nextCall;
      return new Promise((resolve, reject) => {
        results.set(id, { resolve, reject });
        try {
          worker.postMessage({ type: "call", id, method, args, session: savedSessions(), capabilities: capabilities(), page: pageState() });
        } catch (e) {  // e.g. a config that cannot be cloned
          results.delete(id);
          reject(new TypeError("Eye: " + method + " expected plain data (objects, arrays, strings, numbers), received " + e.message));
        }
      });
    },
  };

  return new Promise((resolve, reject) => {
    let up = false;
    function fail(error) {
      worker.terminate();
      URL.revokeObjectURL(url);
      reject(error);
    }
    worker.onmessage = (event) => {
      const data = event.data;
      switch (data.type) {
        case "request": answer(data); break;
        case "emit": emit(data.event, data.payload); break;
        case "state": state = data.state; figures = data.diagnostics; break;
        case "result": settle(data); break;
        case "progress": options.onBytes(data.loaded); break;
        case "widget": options.onWidget(); break;
        case "stored": if (data.why) console.warn("Eye: the start-up snapshot " + data.why); break;
        case "ready":
          up = true;
          state = data.state;
          backend.boot = data.boot;
          backend.events = data.events;
          resolve(backend);
          break;
        case "failed": fail(Object.assign(new Error(data.message), { stage: data.stage })); break;
        default: break;
      }
    };
    worker.onerror = (e) => {
      e.preventDefault();
      if (!up) fail({ noWorker: true, why: "the worker failed (" + (e.message || e) + ")" });
      else console.error("Eye: the widget's worker failed: " + (e.message || e));
    };
    worker.postMessage({ type: "boot", runtime: options.runtime, wheel: options.wheel, base: options.base, assets: options.assets,
      snapshot: options.snapshot, step: options.step, session: savedSessions(), capabilities: capabilities(), page: pageState() });
  });
}
