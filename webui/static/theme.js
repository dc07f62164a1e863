// Dark mode: follows prefers-color-scheme until the user presses the topbar's toggle; the
// choice is kept in localStorage ("baton.theme": "dark" or "light"). Loaded in <head>,
// not deferred, so the theme is set before the first paint (no white flash).
"use strict";
(() => {
  const KEY = "baton.theme";
  const root = document.documentElement;
  const system = window.matchMedia("(prefers-color-scheme: dark)");
  const read = () => {
    try {
      return localStorage.getItem(KEY);
    } catch {
      return null; // storage disabled: follow the system
    }
  };
  const apply = (choice) => {
    if (choice === "dark" || choice === "light") root.dataset.theme = choice;
    else delete root.dataset.theme;
  };
  const effective = () => root.dataset.theme || (system.matches ? "dark" : "light");
  apply(read());

  document.addEventListener("DOMContentLoaded", () => {
    const button = document.getElementById("theme-toggle");
    if (!button) return;
    const show = () => {
      const dark = effective() === "dark";
      button.textContent = dark ? "☀" : "☾";
      button.setAttribute("aria-pressed", String(dark));
      const how = root.dataset.theme ? "your choice" : "following the system";
      button.title = `${dark ? "Dark" : "Light"} theme (${how}): switch to ${dark ? "light" : "dark"}`;
    };
    button.hidden = false;
    show();
    button.addEventListener("click", () => {
      const next = effective() === "dark" ? "light" : "dark";
      // Landing on what the system shows means "follow the system" again.
      const choice = (next === "dark") === system.matches ? null : next;
      try {
        if (choice) localStorage.setItem(KEY, choice);
        else localStorage.removeItem(KEY);
      } catch {
        // storage disabled: the choice lasts for this page only
      }
      apply(choice);
      show();
    });
    system.addEventListener("change", show);
  });
})();
