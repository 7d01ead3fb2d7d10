"""The victim's web pages: what hashstop is (`/`), register photos (`/submit`), a case (`/case`).

The pages are plain server-rendered HTML; everything they do happens in the browser, in this
origin's own scripts (static/js/pages/): the photos are fingerprinted in a Web Worker and only
the fingerprints are sent, to this origin's JSON API. These routes therefore take no input at
all but the person's language (`?lang=`, remembered in a cookie that holds only that: see
`web/language.py`): no form posts, nothing else in a query string or cookie. A case secret never
reaches a URL, a log or the server's HTML; the page holds it in memory only.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from hashstop.web.language import render_page

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)


@router.get("/")
async def home(request: Request) -> HTMLResponse:
    return render_page(request, "public/home.html", scripts=False)


@router.get("/submit")
async def submit(request: Request) -> HTMLResponse:
    return render_page(request, "public/submit.html")


@router.get("/case")
async def case(request: Request) -> HTMLResponse:
    return render_page(request, "public/case.html")
