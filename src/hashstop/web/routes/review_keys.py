"""The /review page of API keys (admins): list, create (the key shown once, on the page that
answers the form, never in a URL), revoke. Each creation and revocation is audited with the admin
who did it (service/keys.py); a moderator gets the 403 page.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, Response

from hashstop.api.deps import RuntimeDep, SessionDep
from hashstop.service.keys import KeyService
from hashstop.web.moderator_pages import (
    NO_STORE,
    PostingReviewerDep,
    ReviewerDep,
    come_back_to,
    notice,
    render,
    see_other,
)

router = APIRouter(prefix="/review", include_in_schema=False)
KeyName = Annotated[str, Path(min_length=1, max_length=64)]


@router.get("/keys", response_class=HTMLResponse)
def keys_page(
    request: Request,
    reviewer: ReviewerDep,
    session: SessionDep,
    runtime: RuntimeDep,
    done: Annotated[str, Query(max_length=24)] = "",
) -> HTMLResponse:
    keys = KeyService(session, runtime.keyring).list(actor=reviewer.actor)
    return render(request, "review/keys.html", reviewer, keys=keys, notice=notice(done))


@router.post("/keys", response_model=None)
def keys_create_page(
    request: Request,
    reviewer: PostingReviewerDep,
    session: SessionDep,
    runtime: RuntimeDep,
    name: Annotated[str, Form(max_length=64)] = "",
    role: Annotated[str, Form(max_length=16)] = "",
    platform: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    come_back_to(request, "/review/keys")
    service = KeyService(session, runtime.keyring)
    created = service.create(
        name=name.strip(), role=role, platform=platform.strip() or None, actor=reviewer.actor
    )
    response = render(
        request,
        "review/keys.html",
        reviewer,
        status_code=201,
        keys=service.list(actor=reviewer.actor),
        created=created,
    )
    response.headers.update(NO_STORE)
    return response


@router.post("/keys/{name}/revoke", response_model=None)
def keys_revoke_page(
    request: Request,
    name: KeyName,
    reviewer: PostingReviewerDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    come_back_to(request, "/review/keys")
    KeyService(session, runtime.keyring).revoke(name, actor=reviewer.actor)
    session.commit()
    runtime.key_cache.clear()
    return see_other("/review/keys", done="revoked")
