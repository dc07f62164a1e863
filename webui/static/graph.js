// Graph view: while the selected run goes on, poll its task states and recolour the nodes.
// Only the class of each node changes ("node st-<state>"): no page reload, no redraw.
"use strict";
(() => {
  const POLL_MS = 1000;

  function setText(element, state) {
    element.textContent = state.replace(/_/g, " ");
    element.className = "state s-" + state;
  }

  // A collapsed task group shows its tasks' most telling state (the server's order).
  function groupState(node, data, priority) {
    const states = node.dataset.groupTasks.split(" ").map((id) => {
      const info = data.tasks[id];
      return info ? info.state : "none";
    });
    const rank = (state) => (priority.includes(state) ? priority.indexOf(state) : priority.length);
    return states.reduce((best, state) => (rank(state) < rank(best) ? state : best), "removed");
  }

  // The node's duration: the finished try's, or the time since it started while running.
  function formatDuration(seconds, start, state) {
    if (seconds === null || seconds === undefined) {
      if (state !== "running" || !start) return "";
      seconds = Math.max(0, (Date.now() - Date.parse(start)) / 1000);
    }
    if (seconds < 10) return seconds.toFixed(1) + "s";
    const whole = Math.round(seconds);
    const pad = (n) => String(n).padStart(2, "0");
    if (whole < 60) return whole + "s";
    if (whole < 3600) return Math.floor(whole / 60) + "m " + pad(whole % 60) + "s";
    return Math.floor(whole / 3600) + "h " + pad(Math.floor((whole % 3600) / 60)) + "m";
  }

  function apply(data) {
    const container = document.getElementById("graph");
    const priority = (container.dataset.statePriority || "").split(" ");
    for (const node of document.querySelectorAll("#graph g.node")) {
      if (node.dataset.groupTasks !== undefined) {
        const state = groupState(node, data, priority);
        node.setAttribute("class", "node group-node st-" + state);
        const title = node.querySelector("title");
        if (title) title.textContent = title.textContent.replace(/: [a-z_]+$/, ": " + state);
        continue;
      }
      const info = data.tasks[node.dataset.taskId];
      const state = info ? info.state : "none";
      node.setAttribute("class", "node st-" + state);
      const title = node.querySelector("title");
      if (title) title.textContent = title.textContent.replace(/: [a-z_]+$/, ": " + state);
      const count = node.querySelector("text.map-count"); // a mapped task: "[n]"
      if (count && info && info.map_count !== undefined) count.textContent = "[" + info.map_count + "]";
      const dur = node.querySelector("text.dur");
      if (dur && info) dur.textContent = formatDuration(info.duration, info.start_date, info.state);
      const mark = node.querySelector("text.comp"); // a task with a compensation (sagas)
      const phase = info && info.compensation_state;
      if (mark && phase && mark.dataset.compensation !== phase) {
        mark.dataset.compensation = phase;
        mark.lastChild.textContent = "↺ " + phase.replace(/_/g, " ");
      }
    }
    const badge = document.querySelector("#run-state .state");
    if (badge) setText(badge, data.state);
    const option = document.querySelector("#run_id option:checked");
    if (option) option.textContent = option.value + " (" + data.state + ")";
    document.getElementById("graph").dataset.runState = data.state;
  }

  async function poll(container) {
    try {
      const response = await fetch(container.dataset.statesUrl, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      if (response.ok) {
        const data = await response.json();
        apply(data);
        if (data.finished) return; // nothing will change any more
      }
    } catch (error) {
      // The server may be restarting: keep trying.
    }
    setTimeout(() => poll(container), POLL_MS);
  }

  // Hover: the node's upstream and downstream (transitively) stay lit, the rest dims.
  function highlighter(svg) {
    const edges = [...svg.querySelectorAll("path.edge")];
    const idOf = (node) => node.dataset.taskId || node.dataset.groupId;
    const walk = (start, forward) => {
      const seen = new Set([start]);
      const queue = [start];
      while (queue.length) {
        const current = queue.pop();
        for (const edge of edges) {
          const [from, to] = forward ? [edge.dataset.from, edge.dataset.to] : [edge.dataset.to, edge.dataset.from];
          if (from === current && !seen.has(to)) { seen.add(to); queue.push(to); }
        }
      }
      return seen;
    };
    for (const node of svg.querySelectorAll("g.node")) {
      node.addEventListener("mouseenter", () => {
        const id = idOf(node);
        const down = walk(id, true);
        const up = walk(id, false);
        svg.classList.add("hovering");
        for (const other of svg.querySelectorAll("g.node")) {
          const other_id = idOf(other);
          other.classList.toggle("hl-up", up.has(other_id) && other_id !== id);
          other.classList.toggle("hl-down", down.has(other_id) && other_id !== id);
          other.classList.toggle("hl-self", other_id === id);
        }
        for (const edge of edges) {
          const lit = (down.has(edge.dataset.from) && down.has(edge.dataset.to)) ||
            (up.has(edge.dataset.from) && up.has(edge.dataset.to));
          edge.classList.toggle("hl", lit);
        }
      });
      node.addEventListener("mouseleave", () => {
        svg.classList.remove("hovering");
        for (const lit of svg.querySelectorAll(".hl, .hl-up, .hl-down, .hl-self")) {
          lit.classList.remove("hl", "hl-up", "hl-down", "hl-self");
        }
      });
    }
  }

  // Zoom (wheel, the +/- buttons, "+"/"-"/"0" keys) and pan (drag) by moving the viewBox.
  function zoomer(container, svg) {
    const [x0, y0, w0, h0] = svg.getAttribute("viewBox").split(/[ ,]+/).map(Number);
    let view = { x: x0, y: y0, w: w0, h: h0 };
    const show = () => {
      svg.setAttribute("viewBox", `${view.x} ${view.y} ${view.w} ${view.h}`);
      container.dataset.zoom = (w0 / view.w).toFixed(2);
    };
    const zoom = (factor, cx, cy) => {
      const w = Math.min(w0 * 4, Math.max(w0 / 8, view.w / factor));
      const scale = w / view.w;
      const px = cx === undefined ? view.x + view.w / 2 : cx;
      const py = cy === undefined ? view.y + view.h / 2 : cy;
      view = { x: px - (px - view.x) * scale, y: py - (py - view.y) * scale, w, h: view.h * scale };
      show();
    };
    const point = (event) => {
      const box = svg.getBoundingClientRect();
      return [view.x + ((event.clientX - box.left) / box.width) * view.w,
        view.y + ((event.clientY - box.top) / box.height) * view.h];
    };
    svg.addEventListener("wheel", (event) => {
      event.preventDefault();
      const [cx, cy] = point(event);
      zoom(event.deltaY < 0 ? 1.15 : 1 / 1.15, cx, cy);
    }, { passive: false });
    let drag = null;
    svg.addEventListener("pointerdown", (event) => {
      if (event.button !== 0 || event.target.closest("a")) return;
      drag = { x: event.clientX, y: event.clientY, view: { ...view } };
      svg.setPointerCapture(event.pointerId);
      svg.classList.add("panning");
    });
    svg.addEventListener("pointermove", (event) => {
      if (!drag) return;
      const box = svg.getBoundingClientRect();
      view.x = drag.view.x - ((event.clientX - drag.x) / box.width) * view.w;
      view.y = drag.view.y - ((event.clientY - drag.y) / box.height) * view.h;
      show();
    });
    const stop = () => { drag = null; svg.classList.remove("panning"); };
    svg.addEventListener("pointerup", stop);
    svg.addEventListener("pointercancel", stop);
    const reset = () => { view = { x: x0, y: y0, w: w0, h: h0 }; show(); };
    for (const button of document.querySelectorAll("[data-zoom]")) {
      button.addEventListener("click", () => {
        const action = button.dataset.zoom;
        if (action === "in") zoom(1.25);
        else if (action === "out") zoom(1 / 1.25);
        else reset();
      });
    }
    document.addEventListener("keydown", (event) => {
      if (event.target.closest("input, select, textarea") || event.ctrlKey || event.metaKey) return;
      if (event.key === "+" || event.key === "=") zoom(1.25);
      else if (event.key === "-") zoom(1 / 1.25);
      else if (event.key === "0") reset();
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    const container = document.getElementById("graph");
    if (!container) return;
    const svg = container.querySelector("svg.dag-graph");
    if (svg) { highlighter(svg); zoomer(container, svg); }
    if (container.dataset.statesUrl) poll(container);
  });
})();
