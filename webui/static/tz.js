// The timezone switch: every date is rendered as <time datetime="...Z"> in UTC (the `when`
// filter, webui/views/timefmt.py); this rewrites their text in the chosen zone: UTC, the
// browser's zone, or the DAG's zone on pages about one DAG (<html data-dag-timezone>).
// The choice is kept in localStorage ("baton.tz": "utc", "browser" or "dag"). Dates that
// other scripts add later are converted too (a MutationObserver), and window.batonTime
// .render(node) does it on demand.
"use strict";
(() => {
  const KEY = "baton.tz";
  const root = document.documentElement;
  const browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  const dagZone = root.dataset.dagTimezone || "";
  const formatters = new Map();

  const read = () => {
    try {
      return localStorage.getItem(KEY) || "utc";
    } catch {
      return "utc";
    }
  };
  const zoneOf = (choice) => {
    if (choice === "browser") return browserZone;
    if (choice === "dag" && dagZone) return dagZone;
    return "UTC"; // also "dag" on a page without a DAG: the choice is kept for DAG pages
  };
  const formatter = (zone) => {
    if (!formatters.has(zone)) {
      let made;
      try {
        made = new Intl.DateTimeFormat("en-CA", {
          timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit",
          hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23",
        });
      } catch {
        made = null; // a zone this browser does not know: leave the UTC text
      }
      formatters.set(zone, made);
    }
    return formatters.get(zone);
  };
  const format = (date, zone) => {
    const parts = Object.fromEntries(formatter(zone).formatToParts(date).map((p) => [p.type, p.value]));
    return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second}`;
  };

  const render = (scope = document) => {
    const zone = zoneOf(read());
    const usable = formatter(zone) ? zone : "UTC";
    const times = scope.matches && scope.matches("time[datetime]") ? [scope] : scope.querySelectorAll("time[datetime]");
    for (const el of times) {
      const date = new Date(el.getAttribute("datetime"));
      if (Number.isNaN(date.getTime())) continue;
      const text = format(date, usable);
      if (el.textContent !== text) el.textContent = text;
      el.title = usable === "UTC" ? "UTC" : `${format(date, "UTC")} UTC · shown in ${usable}`;
    }
    if (scope === document) {
      for (const label of document.querySelectorAll("[data-tz-label]")) label.textContent = usable;
    }
  };
  window.batonTime = { render, zone: () => zoneOf(read()) };

  document.addEventListener("DOMContentLoaded", () => {
    const select = document.getElementById("tz-select");
    if (select) {
      select.querySelector('option[value="browser"]').textContent = `Browser (${browserZone})`;
      const dag = select.querySelector('option[value="dag"]');
      if (dagZone) dag.textContent = `DAG (${dagZone})`;
      else dag.remove();
      const choice = read();
      select.value = choice === "dag" && !dagZone ? "utc" : choice;
      select.closest("#tz-pick").hidden = false; // without script, the UTC text stays
      select.addEventListener("change", () => {
        try {
          localStorage.setItem(KEY, select.value);
        } catch {
          // storage disabled: the choice lasts for this page only
        }
        render();
      });
    }
    render();
    new MutationObserver((records) => {
      for (const record of records) {
        for (const node of record.addedNodes) {
          if (node.nodeType === Node.ELEMENT_NODE) render(node);
        }
      }
    }).observe(document.body, { childList: true, subtree: true });
  });
})();
