// Sortable tables: a click (or Enter) on a header of a table.list sorts its rows by that
// column, ascending then descending. Only the rows on the page are sorted (the server
// pages long lists). A cell's key is its data-sort attribute, else its <time datetime>,
// else a number or duration its text reads as ("75%", "1,204", "850 ms", "4m 05s"), else
// its text. Empty cells go last. A table opts out with data-nosort, a header likewise.
"use strict";
(() => {
  const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });
  const UNITS = { h: 3600, m: 60, s: 1, ms: 0.001 };

  const seconds = (text) => {
    const parts = [...text.matchAll(/(\d+(?:\.\d+)?)\s*(ms|h|m|s)\b/g)];
    if (!parts.length || parts.map((p) => p[0]).join(" ") !== text.replace(/\s+/g, " ").trim()) return null;
    return parts.reduce((sum, p) => sum + Number(p[1]) * UNITS[p[2]], 0);
  };

  const keyOf = (cell) => {
    if (!cell) return null;
    if (cell.dataset.sort !== undefined) {
      const n = Number(cell.dataset.sort);
      return cell.dataset.sort !== "" && !Number.isNaN(n) ? n : cell.dataset.sort;
    }
    const time = cell.querySelector("time[datetime]");
    if (time) return Date.parse(time.getAttribute("datetime"));
    const text = cell.textContent.replace(/\s+/g, " ").trim();
    if (!text || text === "—") {
      const toggle = cell.querySelector(".toggle");
      return toggle ? (toggle.classList.contains("on") ? 1 : 0) : null;
    }
    const duration = seconds(text);
    if (duration !== null) return duration;
    const first = text.replace(/,/g, "").split(" ")[0];
    return /^-?\d+(?:\.\d+)?%?$/.test(first) ? parseFloat(first) : text;
  };

  const compare = (a, b) => {
    if (a === null || b === null) return a === b ? 0 : a === null ? 1 : -1;
    if (typeof a === "number" && typeof b === "number") return a - b;
    return collator.compare(String(a), String(b));
  };

  // The column each header covers, counting colspans.
  const columnOf = (th) => {
    let column = 0;
    for (let cell = th.previousElementSibling; cell; cell = cell.previousElementSibling) column += cell.colSpan || 1;
    return column;
  };
  const cellAt = (row, column) => {
    let at = 0;
    for (const cell of row.cells) {
      if (at === column) return cell;
      at += cell.colSpan || 1;
      if (at > column) return null;
    }
    return null;
  };

  const sortBy = (table, th) => {
    const body = table.tBodies[0];
    const rows = [...body.rows];
    // A lone "nothing here" row (one cell spanning the table) is not data.
    if (rows.length === 1 && rows[0].cells.length === 1 && rows[0].cells[0].colSpan > 1) return;
    const ascending = th.getAttribute("aria-sort") !== "ascending";
    for (const other of th.parentElement.children) other.removeAttribute("aria-sort");
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    const column = columnOf(th);
    const keyed = rows.map((row, index) => ({ row, index, key: keyOf(cellAt(row, column)) }));
    keyed.sort((x, y) => {
      // Empty cells last whichever the direction; ties keep the server's order.
      if (x.key === null || y.key === null) return compare(x.key, y.key) || x.index - y.index;
      const order = compare(x.key, y.key);
      return (ascending ? order : -order) || x.index - y.index;
    });
    body.append(...keyed.map((k) => k.row));
  };

  const enable = (table) => {
    if (table.dataset.nosort !== undefined || !table.tHead || !table.tBodies.length) return;
    const headerRow = table.tHead.rows[table.tHead.rows.length - 1];
    for (const th of headerRow.cells) {
      if (th.dataset.nosort !== undefined || !th.textContent.trim() || th.querySelector("input, button, select")) continue;
      th.classList.add("sortable");
      th.tabIndex = 0;
      th.title = th.title || "Sort by this column";
      th.addEventListener("click", () => sortBy(table, th));
      th.addEventListener("keydown", (event) => {
        if (event.key === "Enter" || event.key === " ") {
          event.preventDefault();
          sortBy(table, th);
        }
      });
    }
  };

  window.batonSort = { keyOf };
  document.addEventListener("DOMContentLoaded", () => {
    for (const table of document.querySelectorAll("table.list")) enable(table);
  });
})();
