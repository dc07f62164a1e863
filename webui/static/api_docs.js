// Starts Swagger UI (from the swagger-ui-bundle package) on the OpenAPI document the API
// serves. A file of its own, not an inline script: the CSP forbids inline scripts.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const root = document.getElementById("swagger-ui");
  if (!root || typeof SwaggerUIBundle !== "function") return;
  SwaggerUIBundle({
    url: root.dataset.openapiUrl,
    domNode: root,
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    // "Try it out" sends the session cookie; unsafe methods also need the CSRF token.
    requestInterceptor: (request) => {
      request.headers["X-CSRF-Token"] = root.dataset.csrf;
      return request;
    },
  });
});
