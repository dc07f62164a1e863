// Time charts drawn with uPlot (vendor/uplot, served from here, never a CDN). An element
// with data-chart-src names a JSON endpoint ({charts: {name: chart}}, webui/charts/uplot.py),
// whose answer it may carry already in data-charts; each [data-chart=name] inside it becomes
// that chart. Hover shows the values in the legend, dragging across zooms in, a double-click
// zooms out; a chart with links opens the point clicked. Charts are redrawn for the
// dark/light theme and the timezone switch.
"use strict";
(() => {
  const HEIGHT = 220;
  const drawn = []; // {el, spec}: what to redraw when the theme, zone or width changes

  const cssVar = (name, fallback) =>
    getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
  const colorOf = (name) => cssVar(`--s-${name}`, "") || cssVar(`--${name}`, "#888");

  const number = (value) => {
    if (value == null) return "—";
    const abs = Math.abs(value);
    if (abs >= 100) return Math.round(value).toString();
    if (abs >= 10) return value.toFixed(1);
    return value.toFixed(2).replace(/\.?0+$/, "") || "0";
  };
  const withUnit = (unit) => (value) => (value == null ? "—" : `${number(value)} ${unit}`);

  const zone = () => (window.batonTime ? window.batonTime.zone() : "UTC");

  // Dates as the rest of the UI writes them (24-hour, year first), in the chosen zone.
  const pad = (n) => String(n).padStart(2, "0");
  const ymd = (d) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  const hm = (d) => `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  const hms = (d) => `${hm(d)}:${pad(d.getSeconds())}`;
  const xTicks = (toDate) => (u, splits, axisIndex, space, step) =>
    splits.map((ts, i) => {
      const d = toDate(ts);
      if (step >= 86400) return ymd(d);
      const time = step >= 60 ? hm(d) : hms(d);
      return i === 0 ? `${time}\n${ymd(d)}` : time;
    });

  function seriesOptions(s, unit) {
    const stroke = colorOf(s.color);
    const options = { label: s.label, stroke, width: 2, value: (u, v) => withUnit(unit)(v) };
    if (s.dash) options.dash = [6, 4];
    if (s.kind === "bars") {
      options.fill = stroke;
      options.width = 0;
      options.paths = uPlot.paths.bars({ size: [0.7, 60] });
      options.points = { show: false };
    } else if (s.kind === "points") {
      options.paths = () => null;
      options.points = { show: true, size: 8, fill: stroke, stroke };
    } else {
      options.points = { show: (u) => u.data[0].length < 60, size: 5, fill: stroke };
      options.spanGaps = false;
    }
    return options;
  }

  function axis(unit, isX, toDate) {
    const ink = cssVar("--muted", "#666");
    const grid = cssVar("--svg-grid", "#eee");
    const options = {
      stroke: ink,
      grid: { stroke: grid, width: 1 },
      ticks: { stroke: cssVar("--svg-axis", "#ccc"), width: 1 },
    };
    if (isX) {
      options.values = xTicks(toDate);
    } else {
      options.label = unit;
      options.size = 52;
      options.values = (u, ticks) => ticks.map(number);
    }
    return options;
  }

  function draw(el, spec) {
    el.replaceChildren();
    if (!spec.x.length || spec.series.every((s) => s.values.every((v) => v == null))) {
      const empty = document.createElement("p");
      empty.className = "chart-empty";
      empty.textContent = "Nothing to draw in this window yet.";
      el.append(empty);
      return null;
    }
    const tz = zone();
    const toDate = (ts) => uPlot.tzDate(new Date(ts * 1e3), tz);
    const options = {
      width: Math.max(el.clientWidth, 260),
      height: HEIGHT,
      tzDate: toDate,
      scales: { x: { time: true }, y: { range: (u, lo, hi) => [0, hi > 0 ? hi * 1.1 : 1] } },
      cursor: { drag: { x: true, y: false }, points: { size: 8 } },
      legend: { live: true },
      axes: [axis(spec.unit, true, toDate), axis(spec.unit, false)],
      series: [
        { label: "time", value: (u, ts) => (ts == null ? "—" : `${ymd(toDate(ts))} ${hms(toDate(ts))}`) },
        ...spec.series.map((s) => seriesOptions(s, spec.unit)),
      ],
    };
    const chart = new uPlot(options, [spec.x, ...spec.series.map((s) => s.values)], el);
    if (spec.links) openOnClick(el, chart, spec);
    return chart;
  }

  // A click on a point of a "points" series (within a few pixels of it; not the end of a
  // drag-to-zoom, nor a double-click to zoom out somewhere else) opens its link.
  function openOnClick(el, chart, spec) {
    const links = spec.links;
    el.classList.add("clickable");
    let down = null;
    chart.over.addEventListener("mousedown", (e) => (down = [e.clientX, e.clientY]));
    chart.over.addEventListener("click", (e) => {
      const moved = down && Math.hypot(e.clientX - down[0], e.clientY - down[1]) > 4;
      const index = chart.cursor.idx;
      if (moved || index == null || !links[index]) return;
      const box = chart.over.getBoundingClientRect();
      const x = chart.valToPos(chart.data[0][index], "x");
      const near = chart.data.slice(1).some((values, i) => {
        if (spec.series[i].kind !== "points" || values[index] == null) return false;
        const y = chart.valToPos(values[index], "y");
        return Math.hypot(e.clientX - box.left - x, e.clientY - box.top - y) <= 10;
      });
      if (near) {
        window.location.assign(links[index]);
      }
    });
  }

  function redrawAll() {
    for (const item of drawn) {
      if (item.chart) item.chart.destroy();
      item.chart = draw(item.el, item.spec);
      item.el.uplot = item.chart;
    }
  }

  async function load(source) {
    const url = new URL(source.dataset.chartSrc, window.location.href);
    let body;
    try {
      // A page may carry its charts' JSON (data-charts) to spare the request.
      if (source.dataset.charts) body = JSON.parse(source.dataset.charts);
      else {
        const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
        if (!response.ok) throw new Error(`${response.status} ${response.statusText}`);
        body = await response.json();
      }
    } catch (error) {
      for (const el of source.querySelectorAll("[data-chart]")) {
        el.textContent = `The chart's data could not be loaded (${error.message}); reload the page.`;
      }
      return;
    }
    for (const el of source.querySelectorAll("[data-chart]")) {
      const spec = body.charts[el.dataset.chart];
      if (!spec) continue;
      const item = { el, spec, chart: draw(el, spec) };
      el.uplot = item.chart; // for scripts and tests: the live chart, its scales
      el.dataset.drawn = "true";
      drawn.push(item);
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    if (typeof uPlot === "undefined") return;
    for (const source of document.querySelectorAll("[data-chart-src]")) load(source);
    // Theme and zone changes recolour and relabel; a width change resizes.
    new MutationObserver(redrawAll).observe(document.documentElement, { attributeFilter: ["data-theme"] });
    window.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", redrawAll);
    const tz = document.getElementById("tz-select");
    if (tz) tz.addEventListener("change", redrawAll);
    let pending = null;
    window.addEventListener("resize", () => {
      clearTimeout(pending);
      pending = setTimeout(() => {
        for (const item of drawn) {
          if (item.chart) item.chart.setSize({ width: Math.max(item.el.clientWidth, 260), height: HEIGHT });
        }
      }, 150);
    });
  });
})();
