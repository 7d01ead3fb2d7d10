"""The API reference at /docs: Swagger UI from files shipped in a Python package, not a CDN.

FastAPI's own /docs page loads Swagger UI from a CDN and starts it with an inline script; the
Content-Security-Policy of every response refuses both, and so does the rule of no third-party
assets. Here the Swagger UI bundle that the `fastapi-offline` package ships (a wheel of static
files) is served from /docs/assets/ and started by this origin's static/js/pages/api-docs.js.
The OpenAPI document stays at /openapi.json. No ReDoc: its bundle injects <style> elements,
which the policy refuses.
"""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from hashstop.web.rendering import templates

SWAGGER_UI_DIR = Path(fastapi_offline.__file__).resolve().parent / "static"
ASSETS_PATH = "/docs/assets"


def install(app: FastAPI, docs_url: str = "/docs") -> None:
    """Serve Swagger UI for `app.openapi_url` at `docs_url`, with its assets beside it."""
    openapi_url = app.openapi_url
    if openapi_url is None:
        raise ValueError("the API reference needs the OpenAPI document (app.openapi_url)")
    app.mount(ASSETS_PATH, StaticFiles(directory=SWAGGER_UI_DIR), name="docs-assets")

    @app.get(docs_url, include_in_schema=False, response_class=HTMLResponse)
    async def api_reference(request: Request) -> HTMLResponse:
        return templates.TemplateResponse(
            request,
            "api-docs.html",
            {"openapi_url": openapi_url, "assets": ASSETS_PATH, "title": app.title},
        )
