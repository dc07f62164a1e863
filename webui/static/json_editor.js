// JSON-aware text areas (connection extra, variable values): each <textarea data-json-editor>
// is checked as the user types and its form refuses to submit invalid JSON, saying where it
// breaks. A textarea with data-json-toggle="ID" is only checked while checkbox ID is ticked
// (a variable may be plain text). The server checks again: this only saves a round trip.
(function () {
  "use strict";

  function active(area) {
    var toggle = area.dataset.jsonToggle && document.getElementById(area.dataset.jsonToggle);
    return !toggle || toggle.checked;
  }

  function problem(area) {
    var text = area.value.trim();
    if (!text || !active(area)) return null;
    try {
      JSON.parse(text);
      return null;
    } catch (err) {
      return err.message;
    }
  }

  function show(area) {
    var status = area.parentElement.querySelector(".json-status");
    var error = problem(area);
    area.classList.toggle("invalid", Boolean(error));
    area.setAttribute("aria-invalid", error ? "true" : "false");
    if (status) {
      status.textContent = error ? "Not valid JSON: " + error : (active(area) && area.value.trim() ? "Valid JSON" : "");
      status.className = "json-status" + (error ? " bad" : "");
    }
    return error;
  }

  function pretty(area) {
    if (problem(area) || !area.value.trim() || !active(area)) return;
    area.value = JSON.stringify(JSON.parse(area.value), null, 2);
  }

  document.querySelectorAll("textarea[data-json-editor]").forEach(function (area) {
    area.addEventListener("input", function () { show(area); });
    area.addEventListener("blur", function () { pretty(area); show(area); });
    if (area.dataset.jsonToggle) {
      var toggle = document.getElementById(area.dataset.jsonToggle);
      if (toggle) toggle.addEventListener("change", function () { show(area); });
    }
    area.form.addEventListener("submit", function (event) {
      if (show(area)) {
        event.preventDefault();
        area.focus();
      }
    });
    show(area);
  });
})();
