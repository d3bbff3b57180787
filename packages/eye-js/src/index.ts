/**
 * Load the Eye proctoring widget from your Eye server — once per page, however often it is called
 * (like `loadStripe` from `@stripe/stripe-js`):
 *
 *   import { loadEye } from "@eye-proctoring/eye-js";
 *   const widget = await loadEye("https://eye.example.edu");
 *   widget.on("MULTIPLE_FACE", (flag) => console.log(flag.details));
 *   await widget.init({ apiKey, assessmentId, ... });
 *
 * It adds `<script src="EYE/loader.js" async>` to the page (or uses one already there), waits for
 * it, and calls `LoadEyeWidget()`. A failed load rejects with an Error saying what was expected
 * and what happened, and is forgotten, so calling again retries.
 */
import type { LoadOptions, ProctorWidget } from "./loader";

export type * from "./loader";

let pending: Promise<ProctorWidget> | null = null;
let pendingUrl: string | null = null;

function loaderUrl(eyeUrl: string): string {
  let base: URL;
  try {
    base = new URL(eyeUrl, window.location.href);
  } catch {
    throw new TypeError(`loadEye: expected the URL of your Eye server (e.g. "https://eye.example.edu"), received ${JSON.stringify(eyeUrl)}`);
  }
  if (!base.pathname.endsWith("/")) base.pathname += "/";
  return new URL("loader.js", base).href;
}

function findScript(src: string): HTMLScriptElement | null {
  for (const script of Array.from(document.querySelectorAll<HTMLScriptElement>("script[src]"))) {
    if (script.src === src) return script;
  }
  return null;
}

function injectScript(src: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const existing = findScript(src);
    if (existing && typeof window.LoadEyeWidget === "function") return resolve();
    const script = existing ?? Object.assign(document.createElement("script"), { src, async: true });
    script.addEventListener("load", () => resolve(), { once: true });
    script.addEventListener("error", () => {
      script.remove();
      reject(new Error(`loadEye: expected Eye's loader at ${src}, but it could not be loaded (check the URL, the server, and the page's CSP script-src)`));
    }, { once: true });
    if (!existing) (document.head || document.body).appendChild(script);
  });
}

/** The widget, loaded from the Eye server at `eyeUrl` (its origin, e.g. `"https://eye.example.edu"`). */
export function loadEye(eyeUrl: string, options?: LoadOptions): Promise<ProctorWidget> {
  if (typeof window === "undefined" || typeof document === "undefined") {
    return Promise.reject(new Error("loadEye: runs in a browser (it was called where there is no window, e.g. during server rendering)"));
  }
  let src: string;
  try {
    src = loaderUrl(eyeUrl);
  } catch (e) {
    return Promise.reject(e);
  }
  if (pending !== null) {
    if (pendingUrl !== src) {
      console.warn(`loadEye: already loading Eye from ${pendingUrl}; ignoring ${src} (one widget per page)`);
    }
    return pending;
  }
  pendingUrl = src;
  pending = (typeof window.LoadEyeWidget === "function" ? Promise.resolve() : injectScript(src))
    .then(() => {
      if (typeof window.LoadEyeWidget !== "function") {
        throw new Error(`loadEye: ${src} loaded but did not define LoadEyeWidget (is it an Eye server?)`);
      }
      return window.LoadEyeWidget(options);
    })
    .catch((error: unknown) => {
      pending = null;
      pendingUrl = null;
      throw error;
    });
  return pending;
}
