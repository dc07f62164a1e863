// Small conveniences shared by the pages (no inline scripts: the CSP forbids them).
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // A <select data-autosubmit> submits its form when changed (e.g. the run picker).
  for (const select of document.querySelectorAll("select[data-autosubmit]")) {
    select.addEventListener("change", () => select.form.submit());
  }
});
