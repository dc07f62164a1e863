// Live progress of the active backfills on the page: each row with data-backfill-live
// polls its JSON every 2 s and updates its bar, counts and state until it completes.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  for (const row of document.querySelectorAll("tr[data-backfill-live]")) {
    const url = row.dataset.backfillLive;
    const timer = setInterval(async () => {
      let backfill;
      try {
        const answer = await fetch(url, { credentials: "same-origin" });
        if (!answer.ok) return;
        backfill = await answer.json();
      } catch (_) {
        return; // the server is restarting: try again at the next tick
      }
      const p = backfill.progress;
      const bar = row.querySelector("[data-testid=backfill-progress]");
      bar.max = p.total || 1;
      bar.value = p.done;
      let counts = `${p.done}/${p.total} done · ${p.success} ok · ${p.failed} failed · ${p.running} running`;
      if (p.skipped) counts += ` · ${p.skipped} left alone`;
      if (p.cancelled) counts += ` · ${p.cancelled} cancelled`;
      row.querySelector("[data-testid=backfill-counts]").textContent = counts;
      row.querySelector("[data-testid=backfill-state]").textContent = backfill.state;
      if (backfill.completed_at) {
        clearInterval(timer);
        const cancel = row.querySelector("[data-testid=backfill-cancel]");
        if (cancel) cancel.closest("form").remove();
      }
    }, 2000);
  }
});
