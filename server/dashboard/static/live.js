// The live page: when the server says something changed (server-sent events), fetch the grid
// again — at most once a second — and swap it in, keeping the keyboard focus on the same card.
// A card opens the session's side panel: its newest events (refreshed with the grid) and the
// proctor's actions, posted without leaving the page. Escape or "Close" closes the panel and
// gives the focus back to the card.
"use strict";
(() => {
  const board = document.getElementById("live-board");
  const layout = document.getElementById("live-layout");
  const panel = document.getElementById("live-panel");
  const state = document.getElementById("live-connection");
  const query = board.dataset.assessment ? `?assessment=${encodeURIComponent(board.dataset.assessment)}` : "";
  let due = false, busy = false, last = 0, open = null;

  async function fragment(url) {
    const answer = await fetch(url, { credentials: "same-origin", cache: "no-store" });
    return answer.ok ? answer.text() : null;
  }

  function swap(target, html) {
    const holder = document.createElement("div");
    holder.innerHTML = html;  // the server's own escaped HTML
    target.replaceChildren(...holder.childNodes);
  }

  function card(id) {
    return id ? board.querySelector(`[data-session="${CSS.escape(id)}"]`) : null;
  }

  function mark() {
    for (const c of board.querySelectorAll(".live-card")) {
      const shown = c.dataset.session === open;
      c.classList.toggle("open-panel", shown);
      const link = c.querySelector("a.open");
      if (shown) link.setAttribute("aria-current", "true"); else link.removeAttribute("aria-current");
    }
  }

  async function refreshPanel() {
    const id = open;
    if (!id) return;
    const html = await fragment(`/dashboard/live/sessions/${encodeURIComponent(id)}/timeline`);
    const holder = panel.querySelector("#panel-timeline");
    if (html !== null && open === id && holder) {
      swap(holder, html);
      const shown = holder.querySelector("#panel-state");
      if (shown && shown.dataset.state === "ended") {
        const form = panel.querySelector("#proctor-form");
        if (form) form.remove();  // nothing more to do for an ended exam
      }
    }
  }

  async function refresh() {
    if (busy) { due = true; return; }
    const wait = 1000 - (Date.now() - last);
    if (wait > 0) { due = true; setTimeout(() => { if (due) { due = false; refresh(); } }, wait); return; }
    busy = true; last = Date.now();
    try {
      const html = await fragment(`/dashboard/live/grid${query}`);
      if (html !== null) {
        const focused = document.activeElement && board.contains(document.activeElement)
          ? document.activeElement.closest("[data-session]") : null;
        const id = focused ? focused.dataset.session : null;
        swap(board, html);
        mark();
        const again = card(id);
        if (again) again.querySelector("a").focus();
      }
      await refreshPanel();
    } finally {
      busy = false;
      if (due) { due = false; refresh(); }
    }
  }

  async function openPanel(id) {
    const html = await fragment(`/dashboard/live/sessions/${encodeURIComponent(id)}`);
    if (html === null) return;
    swap(panel, html);
    panel.hidden = false;
    layout.classList.add("with-panel");
    open = id;
    mark();
    panel.querySelector("#panel-title").focus();
  }

  function closePanel() {
    const id = open;
    open = null;
    panel.hidden = true;
    panel.replaceChildren();
    layout.classList.remove("with-panel");
    mark();
    const back = card(id);
    if (back) back.querySelector("a").focus();
  }

  board.addEventListener("click", (e) => {
    const link = e.target.closest("a.open");
    if (!link || e.button !== 0 || e.ctrlKey || e.metaKey || e.shiftKey || e.altKey) return;  // a new tab: the page
    e.preventDefault();
    openPanel(link.closest("[data-session]").dataset.session);
  });
  panel.addEventListener("click", (e) => { if (e.target.closest("#panel-close")) closePanel(); });
  document.addEventListener("keydown", (e) => { if (e.key === "Escape" && open) closePanel(); });

  panel.addEventListener("submit", async (e) => {
    const form = e.target.closest("#proctor-form");
    if (!form) return;
    e.preventDefault();
    const action = e.submitter ? e.submitter.value : "message";
    const status = panel.querySelector("#panel-status");
    status.classList.remove("error");
    status.textContent = "Sending…";
    let said = {}, ok = false;
    try {
      // getAttribute: form.action would be the buttons named "action"
      const answer = await fetch(form.getAttribute("action"), {
        method: "POST", credentials: "same-origin", headers: { Accept: "application/json" },
        body: new URLSearchParams(new FormData(form, e.submitter)),
      });
      ok = answer.ok;
      said = await answer.json().catch(() => ({ error: `The server answered ${answer.status}.` }));
    } catch (failure) {
      said = { error: "The server could not be reached; try again." };
    }
    // {done} or {error} from the action; {detail} from the dashboard's own refusals (CSRF, 404)
    status.textContent = said.done || said.error || said.detail || `The server answered ${ok ? "oddly" : "with an error"}.`;
    status.classList.toggle("error", !ok);
    if (ok && (action === "message" || action === "pause")) form.querySelector("textarea").value = "";
    await refreshPanel();
  });

  const stream = new EventSource("/dashboard/live/stream");
  stream.onopen = () => { state.textContent = "Live."; };
  stream.onmessage = () => refresh();
  stream.onerror = () => { state.textContent = "Reconnecting…"; };
})();
