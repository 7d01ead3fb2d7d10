"""HTML error pages for the page routes: a mistyped page address gets a page, not JSON.

A person who types `/sumbit` or follows a stale link reads an error page in their language, with
the way to the victim pages (and the quick exit every victim page has). A browser asks for HTML
(`Accept: text/html`); a program does not, and keeps problem+json everywhere, as does everything
under the API (`/v1/...`), the operations endpoints, the OpenAPI document and the static files.
The page echoes nothing of the request (no path, no query string).
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from hashstop.api.problems import http_error
from hashstop.web.language import render_page

PROGRAM_PREFIXES = ("/v1/", "/static/")
PROGRAM_PATHS = frozenset({"/v1", "/healthz", "/readyz", "/metrics", "/openapi.json", "/static"})


def wants_page(request: Request) -> bool:
    """Whether a person's browser, not a program, made this request."""
    path = request.url.path
    if path in PROGRAM_PATHS or path.startswith(PROGRAM_PREFIXES):
        return False
    return "text/html" in request.headers.get("accept", "")


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)  # noqa: S101 - registered for it  # nosec B101
    if not wants_page(request):
        return http_error(request, exc)
    response = render_page(
        request,
        "public/error.html",
        {"not_found": exc.status_code == 404},
        status_code=exc.status_code,
        scripts=True,
        language_path="/",  # never the mistyped path: the page echoes nothing of the request
    )
    for name, value in (exc.headers or {}).items():
        response.headers[name] = value
    response.headers["Cache-Control"] = "no-store"
    return response


def install(app: FastAPI) -> None:
    """Installed after the API's handlers: this one decides, and hands program paths back."""
    app.add_exception_handler(StarletteHTTPException, _http_error)
