"""Which language a page is shown in, and how a person changes it.

The order: a `?lang=` the person just chose (a link on every victim page, so it works without
JavaScript), else the language they chose before (the `hashstop_lang` cookie), else their
browser's Accept-Language, else English. A choice is remembered in a cookie that holds the
language code and nothing else: it identifies no one, expires in a year, is never read by a
script and is sent to this site only. Nothing else about the visit is kept.

`render_page` renders a template in the chosen language: the template's `_()` and
`{% trans %}` go through `hashstop.i18n`, and the page gets its `lang` and `dir` (Arabic is laid
out right to left), the links to the other languages, and the messages its scripts need.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse

from hashstop import i18n
from hashstop.web.operator import Operator
from hashstop.web.rendering import templates

COOKIE = "hashstop_lang"
COOKIE_SECONDS = 365 * 24 * 3600


def chosen(request: Request) -> tuple[str, bool]:
    """(language code, whether the person chose it just now with ?lang=)."""
    asked = request.query_params.get("lang", "")
    if asked in i18n.LANGUAGES:
        return asked, True
    remembered = request.cookies.get(COOKIE, "")
    if remembered in i18n.LANGUAGES:
        return remembered, False
    return i18n.negotiate(request.headers.get("accept-language")), False


def language_links(request: Request, current: str, path: str | None = None) -> list[dict[str, Any]]:
    """One link per language to this same page (or to `path`). Nothing else of the request is
    copied into them: a victim page echoes no input (a secret pasted into a URL must not
    spread); an error page, whose path is whatever was typed, links to `path`."""
    return [
        {
            "code": language.code,
            "name": language.name,
            "href": f"{path or request.url.path}?{urlencode([('lang', language.code)])}",
            "current": language.code == current,
        }
        for language in i18n.LANGUAGES.values()
    ]


def render_page(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    scripts: bool = True,
    language_path: str | None = None,
) -> HTMLResponse:
    """The page in the person's language; `scripts` adds its scripts' messages to it."""
    code, just_chosen = chosen(request)
    with i18n.use(code) as language:
        response = templates.TemplateResponse(
            request,
            template,
            {
                "language": language,
                "languages": language_links(request, code, language_path),
                "script_messages": i18n.javascript_catalogue(code) if scripts else None,
                "operator": getattr(request.app.state, "operator", None) or Operator(),
                **(context or {}),
            },
            status_code=status_code,
        )
    response.headers["Content-Language"] = code
    response.headers["Vary"] = "Accept-Language, Cookie"
    if just_chosen:
        response.set_cookie(
            COOKIE,
            code,
            max_age=COOKIE_SECONDS,
            path="/",
            secure=request.url.scheme == "https",
            httponly=True,
            samesite="lax",
        )
    return response
