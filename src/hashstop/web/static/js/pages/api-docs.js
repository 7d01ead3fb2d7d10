// Starts Swagger UI on /docs (the bundle is served by this origin, from a Python package).
// A file rather than the usual inline snippet, because the Content-Security-Policy allows no
// inline scripts. validatorUrl: null keeps Swagger UI from calling its online validator.
"use strict";

const root = document.getElementById("swagger-ui");
window.SwaggerUIBundle({
  url: root.dataset.openapiUrl,
  domNode: root,
  deepLinking: true,
  validatorUrl: null,
  tryItOutEnabled: false,
});
