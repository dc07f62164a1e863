// Task instance page: tail the log while the try runs, by polling a JSON endpoint with the
// byte offset where the text shown ends. Text goes through log_view.js (one span per line,
// set with textContent: never as HTML), so its search and filters apply to new lines too.
"use strict";
(() => {
  const POLL_MS = 1000;

  async function tail(pre) {
    const url = new URL(pre.dataset.logUrl, window.location.href);
    url.searchParams.set("offset", pre.dataset.offset || "0");
    let again = true;
    try {
      const response = await fetch(url, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      if (response.ok) {
        const data = await response.json();
        if (data.try_number !== null && String(data.try_number) !== pre.dataset.try) {
          // A new try started (a retry or a clear): show its log from the start.
          pre.dataset.try = String(data.try_number);
          if (pre.dataset.offset !== "0") {
            window.batonLogView.reset();
            pre.dataset.offset = "0";
            setTimeout(() => tail(pre), 0);
            return;
          }
        }
        if (data.text) {
          const atBottom = pre.scrollHeight - pre.scrollTop - pre.clientHeight < 40;
          window.batonLogView.append(data.text);
          if (atBottom) pre.scrollTop = pre.scrollHeight;
        }
        pre.dataset.offset = String(data.offset);
        const missing = document.getElementById("log-missing");
        if (missing && data.exists) missing.hidden = true;
        document.getElementById("live-badge").hidden = !data.running;
        const state = document.querySelector("[data-testid=ti-state] .state");
        if (state && state.textContent !== data.state.replace(/_/g, " ")) {
          state.textContent = data.state.replace(/_/g, " ");
          state.className = "state s-" + data.state;
          refreshTries(); // a try started or ended: its row (state, end, duration) changed
        }
        again = data.running || data.more;
        if (!again) refreshTries(); // the last word on the try that just ended
      }
    } catch (error) {
      // The server may be restarting: keep trying.
    }
    if (again) setTimeout(() => tail(pre), POLL_MS);
  }

  // The tries tables come from the page itself, re-read (not reloaded) when the state moves:
  // otherwise a try that ended would stay "running" there until a reload.
  async function refreshTries() {
    try {
      const response = await fetch(window.location.href, { credentials: "same-origin" });
      if (!response.ok) return;
      const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
      for (const id of ["tries", "compensation-tries"]) {
        const now = document.querySelector(`[data-testid=${id}] tbody`);
        const next = fresh.querySelector(`[data-testid=${id}] tbody`);
        if (now && next) now.replaceWith(document.adoptNode(next));
      }
    } catch (error) {
      // Keep the table as it is; the next change tries again.
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    const pre = document.getElementById("log");
    if (pre && pre.dataset.live === "true") tail(pre);
  });
})();
