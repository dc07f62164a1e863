// The grid: live while runs are active (polls grid.json, changes only what moved, never
// reloads), and a details panel beside it for the selected task instance or run, built from
// the REST API (/api/v1) with textContent only: nothing from the server is parsed as HTML
// except the grid page itself when its columns change. The URL holds the selection
// (?run_id=...&task_id=...), so a link shares it; arrow keys / h j k l move it, Esc closes.
"use strict";
(() => {
  const ACTIVE_MS = 1000; // while a run is active
  const IDLE_MS = 3000; // otherwise: to notice a new run soon
  const LOG_MS = 1000;
  const enc = encodeURIComponent;
  let wrap = null;
  let selection = null; // {run, task} or {run} (a run column)
  let panelToken = 0; // bumps each time the panel shows something else: stale answers drop
  let pollTimer = null;

  // ---- small DOM helpers (text only) ----
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children.flat()) {
      if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }
  const fill = (node, ...children) => node.replaceChildren(...children.filter((c) => c !== null && c !== undefined));
  const when = (iso) => (iso ? iso.replace("T", " ").slice(0, 19) : "—");
  const stateBadge = (state) =>
    el("span", { class: "state s-" + (state || "none"), "data-testid": "panel-state" }, (state || "none").replace(/_/g, " "));
  function seconds(value) {
    if (value === null || value === undefined) return "—";
    if (value < 1) return Math.round(value * 1000) + " ms";
    if (value < 60) return value.toFixed(1) + " s";
    const whole = Math.round(value);
    const pad = (n) => String(n).padStart(2, "0");
    if (whole < 3600) return Math.floor(whole / 60) + "m " + pad(whole % 60) + "s";
    return Math.floor(whole / 3600) + "h " + pad(Math.floor((whole % 3600) / 60)) + "m";
  }

  // ---- REST calls ----
  const dagId = () => wrap.dataset.dagId;
  const runUrl = (run) => `${wrap.dataset.api}/${enc(dagId())}/dagRuns/${enc(run)}`;
  const tiUrl = (run, task) => `${runUrl(run)}/taskInstances/${enc(task)}`;
  const pageTaskUrl = (run, task) => `/dags/${enc(dagId())}/runs/${enc(run)}/tasks/${enc(task)}/`;
  const runPageUrl = (run) => `/dags/${enc(dagId())}/runs/${enc(run)}`;

  async function getJson(url) {
    const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(data.error || response.status + " " + response.statusText);
    return data;
  }

  async function send(method, url, body) {
    const response = await fetch(url, {
      method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": wrap.dataset.csrf },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (response.status === 204) return {};
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(data.error || response.status + " " + response.statusText);
    return data;
  }

  // ---- live grid ----
  function columnIds(root) {
    return [...root.querySelectorAll("tr.bars th.run")].map((th) => th.dataset.runId);
  }

  async function replaceTable() {
    // The run columns changed (a new run): take the freshly rendered table from the page.
    const response = await fetch(window.location.href, { credentials: "same-origin" });
    if (!response.ok) return;
    const doc = new DOMParser().parseFromString(await response.text(), "text/html");
    const table = doc.getElementById("grid-table");
    if (!table) return;
    document.getElementById("grid-table").replaceWith(document.adoptNode(table));
    const note = document.getElementById("no-runs");
    if (note && table.querySelector("tr.bars th.run")) note.remove(); // the first run came
    bindTable();
    markSelection();
  }

  function apply(data) {
    if (columnIds(document).join("\n") !== data.runs.map((r) => r.run_id).join("\n")) return replaceTable();
    const table = document.getElementById("grid-table");
    let missing = false;
    for (const run of data.runs) {
      const bar = table.querySelector(`tr.bars th.run[data-run-id="${CSS.escape(run.run_id)}"] a.bar`);
      if (bar) {
        bar.className = "bar s-" + run.state;
        bar.style.height = run.bar_px + "px";
        bar.title = `${run.run_id}: ${run.state}, ${seconds(run.duration)} (${when(run.logical_date)})` +
          (run.explanation ? " — " + run.explanation : "");
      }
    }
    const scale = table.querySelector("th.scale");
    if (scale) {
      scale.replaceChildren(...data.ticks.map((t) => el("span", { class: "tick", style: `bottom: ${t.px}px` }, t.label)));
    }
    for (const td of table.querySelectorAll("tbody td[data-task-id]")) {
      const cell = (data.tasks[td.dataset.taskId] || {})[td.dataset.runId];
      const link = td.querySelector("a");
      if (!cell) continue;
      if (!link) { missing = true; continue; } // a new instance: redraw the table
      const mapped = cell.map_count !== undefined;
      link.className = "s-" + cell.state + (mapped ? " mapped" : "") + (cell.longer_than_usual ? " long" : "");
      link.title = `${td.dataset.taskId} in ${td.dataset.runId}: ` +
        (mapped ? cell.map_summary : cell.state + (cell.try_number > 1 ? ` (try ${cell.try_number})` : "")) +
        (cell.longer_than_usual ? ", longer than usual" : "");
      if (cell.longer_than_usual) link.dataset.testid = "longer-than-usual";
      if (mapped) link.dataset.mapCount = String(cell.map_count);
    }
    for (const td of table.querySelectorAll("tbody td[data-group-id]")) {
      const state = (data.groups[td.dataset.groupId] || {})[td.dataset.runId];
      const span = td.querySelector("span.cell");
      if (state && span) {
        span.className = "cell group s-" + state;
        span.title = `${td.dataset.groupId} in ${td.dataset.runId}: ${state}`;
      }
    }
    wrap.dataset.active = data.active ? "true" : "false";
    showExplanation(data);
    if (missing) return replaceTable();
    return null;
  }

  function showExplanation(data) {
    const box = document.getElementById("grid-explain");
    if (!box) return;
    const chosen = selection ? data.runs.find((r) => r.run_id === selection.run) : null;
    const run = chosen || data.runs[data.runs.length - 1];
    if (run && run.explanation) {
      box.replaceChildren(el("strong", {}, run.run_id), ": " + run.explanation);
      box.hidden = false;
    } else {
      box.hidden = true;
    }
  }

  let lastData = null;
  async function poll() {
    clearTimeout(pollTimer);
    try {
      const data = await getJson(wrap.dataset.jsonUrl);
      lastData = data;
      await apply(data);
      if (selection && !selection.task) refreshRunState(data);
    } catch (error) {
      // The server may be restarting: keep trying.
    }
    pollTimer = setTimeout(poll, wrap.dataset.active === "true" ? ACTIVE_MS : IDLE_MS);
  }

  // ---- selection and URL ----
  function urlFor(sel) {
    const url = new URL(window.location.href);
    url.searchParams.delete("run_id");
    url.searchParams.delete("task_id");
    if (sel) {
      url.searchParams.set("run_id", sel.run);
      if (sel.task) url.searchParams.set("task_id", sel.task);
    }
    return url;
  }

  function select(sel, push = true) {
    selection = sel;
    if (push) history.pushState({}, "", urlFor(sel));
    markSelection();
    if (lastData) showExplanation(lastData); // the line above the grid follows the selection
    if (!sel) return closePanel(false);
    if (sel.task && isMapped(sel.run, sel.task)) return showMapped(sel.run, sel.task);
    if (sel.task) return showTask(sel.run, sel.task);
    return showRun(sel.run);
  }

  function markSelection() {
    for (const old of document.querySelectorAll("#grid-table .selected")) old.classList.remove("selected");
    if (!selection) return;
    const run = CSS.escape(selection.run);
    const target = selection.task
      ? document.querySelector(`#grid-table td[data-run-id="${run}"][data-task-id="${CSS.escape(selection.task)}"]`)
      : document.querySelector(`#grid-table th.run[data-run-id="${run}"]`);
    if (target) target.classList.add("selected");
  }

  function fromUrl() {
    const params = new URL(window.location.href).searchParams;
    const run = params.get("run_id");
    if (!run) return null;
    return params.get("task_id") ? { run, task: params.get("task_id") } : { run };
  }

  function bindTable() {
    const table = document.getElementById("grid-table");
    table.addEventListener("click", (event) => {
      if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey) return;
      const bar = event.target.closest("th.run a.bar");
      if (bar) {
        event.preventDefault();
        select({ run: bar.parentElement.dataset.runId });
        return;
      }
      const link = event.target.closest("td[data-task-id] a");
      if (!link) return;
      event.preventDefault();
      const td = link.parentElement;
      select({ run: td.dataset.runId, task: td.dataset.taskId });
    });
  }

  // Arrow keys / h j k l: move between cells (rows = tasks, columns = runs), skipping
  // cells without an instance; with nothing selected, start at the latest run's first task.
  function move(dx, dy) {
    const rows = [...document.querySelectorAll("#grid-table tbody tr[data-task-id]")];
    const runs = columnIds(document);
    if (!rows.length || !runs.length) return null;
    let r = selection && selection.task ? rows.findIndex((row) => row.dataset.taskId === selection.task) : -1;
    let c = selection ? runs.indexOf(selection.run) : -1;
    const fresh = r < 0 || c < 0;
    if (fresh) { r = 0; c = runs.length - 1; }
    const usable = () => {
      const td = rows[r].querySelector(`td[data-run-id="${CSS.escape(runs[c])}"]`);
      return td && td.querySelector("a");
    };
    if (fresh && usable()) return select({ run: runs[c], task: rows[r].dataset.taskId });
    for (;;) {
      r += dy;
      c += dx;
      if (r < 0 || r >= rows.length || c < 0 || c >= runs.length) return null;
      if (usable()) return select({ run: runs[c], task: rows[r].dataset.taskId });
    }
  }

  function onKey(event) {
    if (event.target.closest("input, select, textarea, button") || event.ctrlKey || event.metaKey || event.altKey) return;
    const moves = { ArrowLeft: [-1, 0], h: [-1, 0], ArrowRight: [1, 0], l: [1, 0], ArrowUp: [0, -1], k: [0, -1], ArrowDown: [0, 1], j: [0, 1] };
    if (event.key === "Escape" && selection) {
      event.preventDefault();
      select(null);
    } else if (moves[event.key]) {
      event.preventDefault();
      move(...moves[event.key]);
    }
  }

  // ---- the panel ----
  const panel = () => document.getElementById("details");

  function closePanel() {
    panelToken++;
    panel().hidden = true;
    panel().replaceChildren();
  }

  function frame(title, subtitle, link) {
    const close = el("button", { type: "button", class: "btn", title: "close (Esc)", "data-testid": "panel-close", onclick: () => select(null) }, "×");
    const head = el("header", {}, el("div", {}, el("h2", { "data-testid": "panel-title" }, title), el("div", { class: "muted" }, subtitle)), close);
    const kept = lastMessage && lastMessage.key === selectionKey() ? lastMessage : null;
    const message = el("p", { class: "message" + (kept && kept.error ? " error" : ""), id: "panel-message", "data-testid": "panel-message", hidden: !kept }, kept ? kept.text : "");
    const body = el("div", { id: "panel-body" });
    panel().replaceChildren(head, link, message, body);
    panel().hidden = false;
    return body;
  }

  let lastMessage = null; // shown again when the panel redraws the same selection
  const selectionKey = () => (selection ? selection.run + "\n" + (selection.task || "") : "");

  function say(text, error) {
    lastMessage = { key: selectionKey(), text, error };
    const box = document.getElementById("panel-message");
    if (!box) return;
    box.textContent = text;
    box.className = "message" + (error ? " error" : "");
    box.hidden = false;
  }

  const definitions = (pairs) => el("dl", {}, pairs.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));

  async function showTask(run, task) {
    const token = ++panelToken;
    const body = frame(task, "in " + run, el("p", {}, el("a", { href: pageTaskUrl(run, task) }, "Task instance page"), " · ", el("a", { href: runPageUrl(run) }, "Run page")));
    body.append(el("p", { class: "muted" }, "Loading…"));
    let ti, tries, xcoms;
    try {
      [ti, tries, xcoms] = await Promise.all([
        getJson(tiUrl(run, task)),
        getJson(tiUrl(run, task) + "/tries"),
        getJson(tiUrl(run, task) + "/xcomEntries"),
      ]);
    } catch (error) {
      if (token === panelToken) body.replaceChildren(el("p", { class: "message error" }, String(error.message)));
      return;
    }
    if (token !== panelToken) return;
    fill(
      body,
      definitions([
        ["State", stateBadge(ti.state)],
        ["Try", `${ti.try_number} of ${ti.max_tries + 1}`],
        ["Operator", ti.operator || "—"],
        ["Started", when(ti.start_date)],
        ["Ended", when(ti.end_date)],
        ["Duration", seconds(ti.duration)],
        ["Host", ti.hostname || "—"],
      ]),
      ti.error ? el("p", { class: "errortext", "data-testid": "panel-error" }, ti.error) : null,
      wrap.dataset.canAct === "true" ? taskActions(run, task) : null,
      el("h3", {}, "Tries"),
      triesTable(tries.task_instances),
      el("h3", {}, "Rendered fields"),
      Object.keys(ti.rendered_fields || {}).length
        ? definitions(Object.entries(ti.rendered_fields).map(([k, v]) => [k, el("code", {}, v)]))
        : el("p", { class: "muted" }, "None recorded."),
      el("h3", {}, "XCom"),
      xcomTable(xcoms.xcom_entries),
      el("h3", {}, "Log ", el("span", { class: "livebadge", id: "panel-live", hidden: true }, "live")),
      el("pre", { class: "log", id: "panel-log", "data-testid": "panel-log" }),
    );
    tailLog(run, task, token, 0, null);
  }

  function isMapped(run, task) {
    const sel = `#grid-table td[data-run-id="${CSS.escape(run)}"][data-task-id="${CSS.escape(task)}"] a.mapped`;
    return document.querySelector(sel) !== null;
  }

  // A mapped task's cell: its instances (Airflow's listMapped), each to its own page.
  async function showMapped(run, task) {
    const token = ++panelToken;
    const list = `/dags/${enc(dagId())}/runs/${enc(run)}/tasks/${enc(task)}/mapped`;
    const body = frame(task + " [ ]", "mapped, in " + run, el("p", {}, el("a", { href: list, "data-testid": "panel-mapped-list" }, "All instances"), " · ", el("a", { href: runPageUrl(run) }, "Run page")));
    let found;
    try {
      found = await getJson(tiUrl(run, task) + "/listMapped?limit=100");
    } catch (error) {
      if (token === panelToken) body.replaceChildren(el("p", { class: "message error" }, String(error.message)));
      return;
    }
    if (token !== panelToken) return;
    panel().querySelector("[data-testid=panel-title]").textContent = `${task} [${found.total_entries}]`;
    const link = document.querySelector(`#grid-table td[data-run-id="${CSS.escape(run)}"][data-task-id="${CSS.escape(task)}"] a`);
    const rows = found.task_instances.map((ti) => el("tr", {},
      el("td", {}, el("a", { href: pageTaskUrl(run, task) + "?map_index=" + ti.map_index }, "[" + ti.map_index + "]")),
      el("td", {}, stateBadge(ti.state)), el("td", {}, "#" + ti.try_number), el("td", {}, seconds(ti.duration)),
      el("td", { class: "errortext" }, ti.error || "")));
    fill(
      body,
      el("p", { "data-testid": "panel-mapped-summary" }, link ? (link.title.split(": ").pop() || "") : ""),
      wrap.dataset.canAct === "true" ? taskActions(run, task, { mark: false }) : null,
      el("h3", {}, `Instances (${found.total_entries})`),
      el("table", { class: "list compact", "data-testid": "panel-mapped-instances" },
        el("thead", {}, el("tr", {}, ["Map index", "State", "Try", "Duration", "Error"].map((h) => el("th", {}, h)))),
        el("tbody", {}, rows)),
      found.total_entries > rows.length ? el("p", { class: "muted" }, el("a", { href: list }, `…and ${found.total_entries - rows.length} more`)) : null,
    );
  }

  function triesTable(rows) {
    if (!rows.length) return el("p", { class: "muted" }, "Not started yet.");
    return el("table", { class: "list compact", "data-testid": "panel-tries" },
      el("thead", {}, el("tr", {}, ["#", "State", "Started", "Duration", "Error"].map((h) => el("th", {}, h)))),
      el("tbody", {}, rows.map((t) => el("tr", {},
        el("td", {}, "#" + t.try_number), el("td", {}, stateBadge(t.state)), el("td", { class: "nowrap" }, when(t.start_date)),
        el("td", {}, seconds(t.duration)), el("td", { class: "errortext" }, t.error || "")))));
  }

  function xcomTable(rows) {
    if (!rows.length) return el("p", { class: "muted" }, "None.");
    return el("table", { class: "list compact", "data-testid": "panel-xcom" },
      el("tbody", {}, rows.map((x) => el("tr", {}, el("td", { class: "mono" }, x.key),
        el("td", {}, el("code", {}, typeof x.value === "string" ? x.value : JSON.stringify(x.value)))))));
  }

  async function tailLog(run, task, token, offset, tryNumber) {
    if (token !== panelToken) return;
    const url = new URL(pageTaskUrl(run, task) + "log.json", window.location.href);
    url.searchParams.set("offset", String(offset));
    let again = false;
    try {
      const data = await getJson(url);
      if (token !== panelToken) return;
      const pre = document.getElementById("panel-log");
      if (tryNumber !== null && data.try_number !== tryNumber) { // a new try: its log from the start
        pre.textContent = "";
        return tailLog(run, task, token, 0, data.try_number);
      }
      if (data.text) {
        const atBottom = pre.scrollHeight - pre.scrollTop - pre.clientHeight < 40;
        pre.append(document.createTextNode(data.text));
        if (atBottom) pre.scrollTop = pre.scrollHeight;
      }
      if (!data.exists && !pre.textContent) pre.textContent = "(no log yet)";
      document.getElementById("panel-live").hidden = !data.running;
      const badge = panel().querySelector("dl [data-testid=panel-state]");
      if (badge && badge.textContent !== data.state.replace(/_/g, " ")) {
        badge.replaceWith(stateBadge(data.state));
        if (!data.running) return showTask(run, task); // finished: tries, XCom, fields are final
      }
      offset = data.offset;
      tryNumber = data.try_number;
      again = data.running || data.more;
    } catch (error) {
      again = true;
    }
    if (again) setTimeout(() => tailLog(run, task, token, offset, tryNumber), LOG_MS);
    return null;
  }

  function check(label, name, on) {
    return el("label", {}, el("input", { type: "checkbox", name, checked: on, "data-testid": "clear-" + name }), label);
  }

  function taskActions(run, task, { mark = true } = {}) {
    const box = el("div", { class: "actions", "data-testid": "panel-actions" });
    const option = (name) => box.querySelector(`input[name=${name}]`).checked;
    const act = async (what, call) => {
      try {
        say(await call(), false);
      } catch (error) {
        say(`Could not ${what}: ${error.message}`, true);
      }
      poll();
      setTimeout(() => { if (selection && selection.task === task && selection.run === run) select(selection, false); }, 600);
    };
    box.append(
      el("button", { type: "button", class: "btn", "data-testid": "panel-clear", onclick: () => act("clear", async () => {
        const body = { dag_run_id: run, task_ids: [task], include_upstream: option("upstream"), include_downstream: option("downstream"), recursive: option("recursive") };
        const done = await send("POST", `${wrap.dataset.api}/${enc(dagId())}/clearTaskInstances`, body);
        const ids = done.task_instances.map((t) => t.task_id);
        return `Cleared ${ids.length} task(s): ${ids.join(", ")}. They will run again.`;
      }) }, "Clear"),
      check("upstream", "upstream", false),
      check("downstream", "downstream", false),
      check("recursive", "recursive", true),
    );
    if (!mark) return box; // a mapped task is marked instance by instance, on its page
    box.append(
      el("button", { type: "button", class: "btn", "data-testid": "panel-mark-success", onclick: () => act("mark it success", async () => {
        await send("PATCH", tiUrl(run, task), { new_state: "success" });
        return `Marked ${task} success.`;
      }) }, "Mark success"),
      el("button", { type: "button", class: "btn", "data-testid": "panel-mark-failed", onclick: () => act("mark it failed", async () => {
        await send("PATCH", tiUrl(run, task), { new_state: "failed" });
        return `Marked ${task} failed.`;
      }) }, "Mark failed"),
    );
    return box;
  }

  async function showRun(run) {
    const token = ++panelToken;
    const body = frame(run, "run of " + dagId(), el("p", {}, el("a", { href: runPageUrl(run), "data-testid": "panel-run-page" }, "Run page (Gantt, events)")));
    let info;
    try {
      info = await getJson(runUrl(run));
    } catch (error) {
      if (token === panelToken) body.replaceChildren(el("p", { class: "message error" }, String(error.message)));
      return;
    }
    if (token !== panelToken) return;
    const column = lastData ? lastData.runs.find((r) => r.run_id === run) : null;
    fill(
      body,
      definitions([
        ["State", stateBadge(info.state)],
        ["Run type", info.run_type],
        ["Triggered by", info.triggered_by || "—"],
        ["Logical date", when(info.logical_date)],
        ["Started", when(info.start_date)],
        ["Ended", when(info.end_date)],
        ["Duration", el("span", { id: "panel-run-duration" }, column ? seconds(column.duration) : "—")],
      ]),
      el("p", { class: "explain", id: "panel-explain", "data-testid": "panel-explanation", hidden: !(column && column.explanation) }, column ? column.explanation || "" : ""),
      wrap.dataset.canAct === "true" ? runActions(run) : null,
      el("h3", {}, "Conf"),
      el("pre", { class: "json" }, JSON.stringify(info.conf || {}, null, 2)),
    );
  }

  function refreshRunState(data) {
    const run = data.runs.find((r) => r.run_id === selection.run);
    const badge = panel().querySelector("dl [data-testid=panel-state]");
    if (!run || !badge) return;
    badge.replaceWith(stateBadge(run.state));
    const duration = document.getElementById("panel-run-duration");
    if (duration) duration.textContent = seconds(run.duration);
    const explain = document.getElementById("panel-explain");
    if (explain) { explain.textContent = run.explanation || ""; explain.hidden = !run.explanation; }
  }

  function runActions(run) {
    const box = el("div", { class: "actions", "data-testid": "panel-run-actions" });
    const act = async (what, call) => {
      try {
        say(await call(), false);
      } catch (error) {
        say(`Could not ${what}: ${error.message}`, true);
      }
      poll();
    };
    const clear = (onlyFailed) => act("clear the run", async () => {
      const done = await send("POST", runUrl(run) + "/clear", { only_failed: onlyFailed });
      return `Cleared ${done.task_instances.length} task(s) of ${run}. They will run again.`;
    });
    const mark = (state) => act("mark the run " + state, async () => {
      await send("PATCH", runUrl(run), { state });
      return `Marked ${run} ${state}.`;
    });
    // Delete asks twice with the button itself (no browser dialog).
    const remove = el("button", { type: "button", class: "btn danger", "data-testid": "panel-run-delete" }, "Delete");
    remove.addEventListener("click", () => {
      if (remove.dataset.armed !== "true") {
        remove.dataset.armed = "true";
        remove.textContent = "Really delete?";
        return;
      }
      act("delete the run", async () => {
        await send("DELETE", runUrl(run));
        setTimeout(() => select(null), 0);
        return `Deleted ${run}.`;
      });
    });
    box.append(
      el("button", { type: "button", class: "btn", "data-testid": "panel-run-clear", onclick: () => clear(false) }, "Clear"),
      el("button", { type: "button", class: "btn", "data-testid": "panel-run-clear-failed", onclick: () => clear(true) }, "Clear failed"),
      el("button", { type: "button", class: "btn", "data-testid": "panel-run-mark-success", onclick: () => mark("success") }, "Mark success"),
      el("button", { type: "button", class: "btn", "data-testid": "panel-run-mark-failed", onclick: () => mark("failed") }, "Mark failed"),
      remove,
    );
    return box;
  }

  document.addEventListener("DOMContentLoaded", () => {
    wrap = document.getElementById("gridwrap");
    if (!wrap) return;
    bindTable();
    document.addEventListener("keydown", onKey);
    window.addEventListener("popstate", () => select(fromUrl(), false));
    const initial = fromUrl();
    if (initial) select(initial, false);
    poll();
  });
})();
