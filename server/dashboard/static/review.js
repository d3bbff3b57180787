// Keyboard review on a session page (progressive: every form works without this script).
//   j / k  next / previous flag      c / d  confirm / dismiss the current flag (then the next undecided)
//   x      clear the session         e      write an escalation note      n  next session in the queue
// Verdicts are posted with fetch (Accept: application/json), so a whole session is decided without
// reloading the page; the score, the row and a spoken status update in place.
(function () {
  "use strict";
  const rows = Array.from(document.querySelectorAll("tr.flag[data-decide]"));
  const status = document.getElementById("review-status");
  const sessionId = document.body.dataset.session;
  let current = -1;

  function say(text) { if (status) status.textContent = text; }

  function show(index) {
    if (!rows.length) return;
    current = Math.max(0, Math.min(rows.length - 1, index));
    rows.forEach((row, i) => row.classList.toggle("current", i === current));
    rows[current].focus({ preventScroll: true });
    rows[current].scrollIntoView({ block: "nearest" });
    const label = rows[current].querySelector(".type").firstChild.textContent.trim();
    say(`Flag ${current + 1} of ${rows.length}: ${label}${rows[current].dataset.verdict ? ", " + rows[current].dataset.verdict : ""}`);
  }

  function nextUndecided(from) {
    for (let i = from + 1; i < rows.length; i++) if (!rows[i].dataset.verdict) return i;
    for (let i = 0; i <= from; i++) if (!rows[i].dataset.verdict) return i;
    return -1;
  }

  async function decide(verdict) {
    if (current < 0) return;
    const row = rows[current];
    const form = row.querySelector("form.verdict");
    const body = new FormData(form);
    body.set("verdict", verdict);
    const answer = await fetch(form.action, { method: "POST", body, headers: { Accept: "application/json" },
                                              credentials: "same-origin" });
    const data = await answer.json().catch(() => ({ message: `the server answered ${answer.status}` }));
    if (!answer.ok) { say(`Not saved: ${data.message}`); return; }
    row.dataset.verdict = data.verdict;
    row.classList.toggle("dismissed", data.verdict === "dismissed");
    // the server's own fragments (escaped by its templates): what a reload would show
    row.querySelector(".decided").innerHTML = data.decidedHtml;
    document.getElementById("score-section").outerHTML = data.scoreHtml;
    document.getElementById("review-state").textContent = data.reviewState;
    const next = nextUndecided(current);
    if (next >= 0) show(next);
    say(`${data.verdict[0].toUpperCase() + data.verdict.slice(1)}. Score ${data.score}.` +
        (next >= 0 ? ` Next: flag ${next + 1} of ${rows.length}.` : " Every flag is decided: press x to clear the session."));
  }

  function press(button) { if (button) button.click(); }

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const tag = (event.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "textarea" || tag === "select" || event.target.isContentEditable) {
      if (event.key === "Escape") { event.target.blur(); show(current < 0 ? 0 : current); }
      return;
    }
    const actions = {
      j: () => show(current + 1),
      k: () => show(current - 1),
      c: () => decide("confirm"),
      d: () => decide("dismiss"),
      x: () => press(document.getElementById("clear-session")),
      e: () => document.getElementById("review-note") && document.getElementById("review-note").focus(),
      n: () => { if (document.getElementById("next-session")) press(document.getElementById("next-session"));
                 else window.location.href = `/dashboard/review/next?after=${encodeURIComponent(sessionId)}`; },
    };
    const action = actions[event.key];
    if (action) { event.preventDefault(); action(); }
  });

  const start = nextUndecided(-1);
  if (rows.length) show(start >= 0 ? start : 0);
})();
