// The live page: when the server says something changed (server-sent events), fetch the grid
// again — at most once a second — and swap it in, keeping the keyboard focus on the same card.
"use strict";
(() => {
  const board = document.getElementById("live-board");
  const state = document.getElementById("live-connection");
  const query = board.dataset.assessment ? `?assessment=${encodeURIComponent(board.dataset.assessment)}` : "";
  let due = false, busy = false, last = 0;

  async function refresh() {
    if (busy) { due = true; return; }
    const wait = 1000 - (Date.now() - last);
    if (wait > 0) { due = true; setTimeout(() => { if (due) { due = false; refresh(); } }, wait); return; }
    busy = true; last = Date.now();
    try {
      const answer = await fetch(`/dashboard/live/grid${query}`, { credentials: "same-origin", cache: "no-store" });
      if (answer.ok) {
        const focused = document.activeElement && document.activeElement.closest("[data-session]");
        const id = focused ? focused.dataset.session : null;
        const holder = document.createElement("div");
        holder.innerHTML = await answer.text();  // the server's own escaped HTML
        board.replaceChildren(...holder.childNodes);
        if (id) {
          const again = board.querySelector(`[data-session="${CSS.escape(id)}"] a`);
          if (again) again.focus();
        }
      }
    } finally {
      busy = false;
      if (due) { due = false; refresh(); }
    }
  }

  const stream = new EventSource("/dashboard/live/stream");
  stream.onopen = () => { state.textContent = "Live."; };
  stream.onmessage = () => refresh();
  stream.onerror = () => { state.textContent = "Reconnecting…"; };
})();
