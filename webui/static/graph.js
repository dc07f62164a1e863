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

  document.addEventListener("DOMContentLoaded", () => {
    const container = document.getElementById("graph");
    if (container && container.dataset.statesUrl) poll(container);
  });
})();
