"""What every browser-facing page shares: templates, static files and the security headers.

The pages (victim pages at `/`, `/submit`, `/case`; moderator pages under `/review`) are rendered
on the server with Jinja2 (autoescaped) and load only this origin's own scripts and styles: no
CDN, no web fonts, no analytics. The Content-Security-Policy forbids inline scripts and lets a
page talk only to its own origin, so even an injected script could not send a photo elsewhere.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

import jinja2
from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hashstop import __version__, i18n

PACKAGE_DIR = Path(__file__).resolve().parent
STATIC_DIR = PACKAGE_DIR / "static"
TEMPLATES_DIR = PACKAGE_DIR / "templates"
HASHING_DIR = PACKAGE_DIR.parent / "hashing"
VARIANTS_JSON = HASHING_DIR / "variants.json"
FACTS_JSON = HASHING_DIR / "facts.json"
SHARED_DEFINITIONS = {"variants.json": VARIANTS_JSON, "facts.json": FACTS_JSON}
"""The hashing package's definitions the browser reads too, served at /static/js/<name>: a
photo's variants (variants.js) and the facts about hashes (facts.js). One file each, read by
`hashstop.hashing` and by the pages, so the two can never disagree."""

# Some platforms' registries map .js to text/plain, which a module script refuses to run.
mimetypes.add_type("text/javascript", ".js")

templates = Jinja2Templates(
    env=jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
    )
)
templates.env.globals["version"] = __version__
# Every word of a page goes through the catalogue (hashstop.i18n), in the language of the
# request (web/language.py sets it around each render): `{{ _("...") }}` and `{% trans %}`,
# with whitespace inside trans blocks collapsed so a message does not depend on indentation.
templates.env.policies["ext.i18n.trimmed"] = True
templates.env.install_gettext_callables(  # type: ignore[attr-defined]
    i18n.lookup, i18n.lookup_plural, newstyle=True
)

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "worker-src 'self'",
        "connect-src 'self'",
        "img-src 'self' blob: data:",
        "style-src 'self'",
        "font-src 'self'",
        "manifest-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ]
)

SECURITY_HEADERS: list[tuple[bytes, bytes]] = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), interest-cohort=()"),
]


# Responses that may be cached: the packaged static files and the API docs' assets. Everything
# else (case secrets, case data, match records, review pages, the hash list) is `no-store`, so no
# browser or shared cache keeps it (issue 12).
CACHEABLE_PREFIXES = ("/static/",)
NO_STORE: tuple[bytes, bytes] = (b"cache-control", b"no-store")


class SecurityHeaders:
    """Adds the security headers to every HTTP response that does not set its own, and
    `Cache-Control: no-store` to every response but the static files'."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cacheable = str(scope.get("path", "")).startswith(CACHEABLE_PREFIXES)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers.extend(h for h in SECURITY_HEADERS if h[0] not in present)
                if NO_STORE[0] not in present and not cacheable:
                    headers.append(NO_STORE)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def install(app: FastAPI) -> None:
    """Serve /static (with the hashing package's variants.json and facts.json) and add the
    security headers to every response."""

    @app.get("/static/js/variants.json", include_in_schema=False)
    def variants_json() -> FileResponse:
        return FileResponse(VARIANTS_JSON, media_type="application/json")

    @app.get("/static/js/facts.json", include_in_schema=False)
    def facts_json() -> FileResponse:
        return FileResponse(FACTS_JSON, media_type="application/json")

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    # Outermost, around Starlette's own ServerErrorMiddleware: a middleware added with
    # `add_middleware` sits inside it, so a 500 went out without these headers (red team).
    build = app.build_middleware_stack

    def build_with_headers() -> ASGIApp:
        return SecurityHeaders(build())

    app.build_middleware_stack = build_with_headers  # type: ignore[method-assign]
