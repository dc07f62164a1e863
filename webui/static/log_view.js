// The task log's tools: search (matching lines only, matches marked), a lowest-level filter,
// a wrap toggle (kept in localStorage) and "jump to first error". The log is kept as one
// <span> per line, each knowing its level: a line of Baton's format ("[time] LEVEL - ...")
// gives it, the lines that continue that record (indented, a traceback) keep it, and any
// other line (a print of the task) counts as INFO.
// log.js appends the live tail through window.batonLogView. Text is only ever set with
// textContent: a log is never parsed as HTML.
"use strict";
(() => {
  const RANK = { DEBUG: 0, INFO: 1, WARNING: 2, ERROR: 3, CRITICAL: 4 };
  const LEVEL_LINE = /^\[[^\]]*\]\s+(DEBUG|INFO|WARNING|ERROR|CRITICAL)\b/;
  // What continues a log record on the lines after it: indented lines and a traceback's.
  const CONTINUATION =
    /^(\s|Traceback \(most recent call last\)|During handling|The above exception|[\w.]+(Error|Exception|Warning|Exit|Interrupt)\b)/;
  const WRAP_KEY = "baton.logWrap";

  class LogView {
    constructor(pre) {
      this.pre = pre;
      this.level = "INFO"; // what a log's first lines count as, before any level line
      this.attached = false; // whether the last line belongs to a log record
      this.partial = null; // the span of a line whose newline has not arrived yet
      this.query = "";
      this.minimum = 0;
      const text = pre.textContent;
      pre.textContent = "";
      this.append(text);
    }

    reset() {
      this.pre.textContent = "";
      this.partial = null;
      this.level = "INFO";
      this.attached = false;
      this.update();
    }

    append(text) {
      if (!text) return;
      const parts = text.split("\n");
      if (this.partial) {
        // The line in progress continues: give it back its full text, then refilter.
        const first = parts.shift();
        this.partial.dataset.text += first;
        if (parts.length) this.partial.dataset.text += "\n";
        this.classify(this.partial);
        this.show(this.partial);
        if (!parts.length) return;
        this.partial = null;
      }
      const fragment = document.createDocumentFragment();
      parts.forEach((part, i) => {
        const last = i === parts.length - 1;
        if (last && part === "") return; // the text ended with its newline
        const span = document.createElement("span");
        span.className = "log-line";
        span.dataset.text = last ? part : `${part}\n`;
        this.classify(span);
        this.show(span);
        fragment.append(span);
        if (last) this.partial = span;
      });
      this.pre.append(fragment);
      this.count();
    }

    classify(span) {
      // A line still growing is classified again: from the state the line before left.
      if (span.stateBefore) [this.level, this.attached] = span.stateBefore;
      else span.stateBefore = [this.level, this.attached];
      const text = span.dataset.text;
      const match = LEVEL_LINE.exec(text);
      if (match) {
        this.level = match[1];
        this.attached = true;
      } else if (!(this.attached && CONTINUATION.test(text))) {
        this.level = "INFO"; // output of the task's own (a print): not part of a log record
        this.attached = false;
      }
      span.dataset.level = this.level;
    }

    // Whether the line passes the filters, and its text with the search's matches marked.
    show(span) {
      const text = span.dataset.text;
      const hit = !this.query || text.toLowerCase().includes(this.query);
      span.hidden = !hit || RANK[span.dataset.level] < this.minimum;
      span.replaceChildren();
      if (!this.query || !hit) {
        span.textContent = text;
        return;
      }
      const lower = text.toLowerCase();
      let at = 0;
      for (let found = lower.indexOf(this.query); found >= 0; found = lower.indexOf(this.query, at)) {
        span.append(text.slice(at, found));
        const mark = document.createElement("mark");
        mark.textContent = text.slice(found, found + this.query.length);
        span.append(mark);
        at = found + this.query.length;
      }
      span.append(text.slice(at));
    }

    update() {
      for (const span of this.pre.children) this.show(span);
      this.count();
    }

    count() {
      const label = document.getElementById("log-matches");
      if (!label) return;
      const lines = this.pre.children.length;
      const shown = [...this.pre.children].filter((span) => !span.hidden).length;
      label.textContent = shown === lines ? "" : `${shown} of ${lines} lines`;
    }

    firstError() {
      return [...this.pre.children].find((span) => RANK[span.dataset.level] >= RANK.ERROR) || null;
    }
  }

  function wire(view) {
    const search = document.getElementById("log-search");
    const level = document.getElementById("log-level");
    const wrap = document.getElementById("log-wrap");
    const jump = document.getElementById("log-jump");
    search.addEventListener("input", () => {
      view.query = search.value.trim().toLowerCase();
      view.update();
    });
    level.value = "DEBUG";
    level.addEventListener("change", () => {
      view.minimum = RANK[level.value];
      view.update();
    });
    let wrapped = true;
    try {
      wrapped = localStorage.getItem(WRAP_KEY) !== "off";
    } catch {
      // storage disabled: lines wrap, as without script
    }
    const applyWrap = () => view.pre.classList.toggle("nowrap-lines", !wrap.checked);
    wrap.checked = wrapped;
    applyWrap();
    wrap.addEventListener("change", () => {
      applyWrap();
      try {
        localStorage.setItem(WRAP_KEY, wrap.checked ? "on" : "off");
      } catch {
        // the choice lasts for this page only
      }
    });
    jump.addEventListener("click", () => {
      const line = view.firstError();
      if (!line) {
        jump.textContent = "No error in this log";
        return;
      }
      if (line.hidden) {
        // The filters hid it: show everything again, so that the error is seen in context.
        search.value = view.query = "";
        level.value = "DEBUG";
        view.minimum = 0;
        view.update();
      }
      for (const old of view.pre.querySelectorAll(".log-jumped")) old.classList.remove("log-jumped");
      line.classList.add("log-jumped");
      line.scrollIntoView({ block: "center" });
    });
    document.querySelector(".log-tools-js").hidden = false;
  }

  document.addEventListener("DOMContentLoaded", () => {
    const pre = document.getElementById("log");
    if (!pre) return;
    const view = new LogView(pre);
    window.batonLogView = view;
    if (document.getElementById("log-search")) wire(view);
  });
})();
