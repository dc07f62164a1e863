// Task instance page: tail the log while the try runs, by polling a JSON endpoint with the
// byte offset where the text shown ends. Text is inserted with textContent: never as HTML.
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
            pre.textContent = "";
            pre.dataset.offset = "0";
            setTimeout(() => tail(pre), 0);
            return;
          }
        }
        if (data.text) {
          const atBottom = pre.scrollHeight - pre.scrollTop - pre.clientHeight < 40;
          pre.append(document.createTextNode(data.text));
          if (atBottom) pre.scrollTop = pre.scrollHeight;
        }
        pre.dataset.offset = String(data.offset);
        const missing = document.getElementById("log-missing");
        if (missing && data.exists) missing.hidden = true;
        document.getElementById("live-badge").hidden = !data.running;
        const state = document.querySelector("[data-testid=ti-state] .state");
        if (state) {
          state.textContent = data.state.replace(/_/g, " ");
          state.className = "state s-" + data.state;
        }
        again = data.running || data.more;
      }
    } catch (error) {
      // The server may be restarting: keep trying.
    }
    if (again) setTimeout(() => tail(pre), POLL_MS);
  }

  document.addEventListener("DOMContentLoaded", () => {
    const pre = document.getElementById("log");
    if (pre && pre.dataset.live === "true") tail(pre);
  });
})();
