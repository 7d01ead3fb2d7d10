"""The /review pages about hashes: the suspended list, one hash, suspend and restore, and the
allowlist (admins). Hashes are shared by every platform, so only global moderators and admins
reach these pages; a scoped moderator gets a 403 page.
"""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, Response

from hashstop.api.deps import DistancesDep, SessionDep
from hashstop.service.allowlist import add_entry, add_picture, list_entries, remove_entry
from hashstop.service.errors import InvalidInput
from hashstop.service.hash_review import hash_view, suspended_hashes
from hashstop.service.photo_review import restore_photo, suspend_photo
from hashstop.service.review_flags import clear_flag, open_flags
from hashstop.service.suspension import restore_hash, suspend_hash
from hashstop.storage.models import SuspensionKind
from hashstop.web.moderator_pages import (
    PostingReviewerDep,
    ReviewerDep,
    come_back_to,
    notice,
    render,
    see_other,
)

router = APIRouter(prefix="/review", include_in_schema=False)
MAX_ID = 2**62
RowId = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.get("/hashes", response_class=HTMLResponse)
def hashes_page(
    request: Request,
    reviewer: ReviewerDep,
    session: SessionDep,
    kind: Annotated[str, Query(max_length=16)] = "",
    before: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    done: Annotated[str, Query(max_length=24)] = "",
) -> HTMLResponse:
    page = suspended_hashes(session, reviewer.actor, kind=kind or None, before=before, limit=25)
    return render(
        request,
        "review/hashes.html",
        reviewer,
        page=page,
        kind=kind,
        kinds=[k.value for k in SuspensionKind],
        notice=notice(done),
    )


@router.get("/hashes/{hash_id}", response_class=HTMLResponse)
def hash_page(
    request: Request,
    reviewer: ReviewerDep,
    session: SessionDep,
    hash_id: RowId,
    done: Annotated[str, Query(max_length=24)] = "",
) -> HTMLResponse:
    come_back_to(request, "/review/hashes")
    view = hash_view(session, reviewer.actor, hash_id)
    return render(request, "review/hash.html", reviewer, view=view, notice=notice(done))


@router.post("/hashes/{hash_id}/suspend", response_model=None)
def suspend_page(
    request: Request,
    hash_id: RowId,
    reviewer: PostingReviewerDep,
    session: SessionDep,
    reason: Annotated[str, Form(max_length=2000)] = "",
    back: Annotated[str, Form(max_length=512)] = "",
) -> Response:
    target = come_back_to(request, back or f"/review/hashes/{hash_id}")
    suspend_hash(session, hash_id, reason=reason, actor=reviewer.actor)
    return see_other(target, done="suspended")


@router.post("/hashes/{hash_id}/restore", response_model=None)
def restore_page(
    request: Request,
    hash_id: RowId,
    reviewer: PostingReviewerDep,
    session: SessionDep,
    distances: DistancesDep,
    reason: Annotated[str, Form(max_length=2000)] = "",
    back: Annotated[str, Form(max_length=512)] = "",
) -> Response:
    target = come_back_to(request, back or f"/review/hashes/{hash_id}")
    restore_hash(session, hash_id, reason=reason, actor=reviewer.actor, distances=distances)
    return see_other(target, done="restored")


PhotoRef = Annotated[str, Path(min_length=1, max_length=24)]


@router.post("/photos/{photo}/suspend", response_model=None)
def suspend_photo_page(
    request: Request,
    photo: PhotoRef,
    reviewer: PostingReviewerDep,
    session: SessionDep,
    reason: Annotated[str, Form(max_length=2000)] = "",
    back: Annotated[str, Form(max_length=512)] = "",
) -> Response:
    target = come_back_to(request, back or "/review/flags")
    suspend_photo(session, photo, reason=reason, actor=reviewer.actor)
    return see_other(target, done="photo-suspended")


@router.post("/photos/{photo}/restore", response_model=None)
def restore_photo_page(
    request: Request,
    photo: PhotoRef,
    reviewer: PostingReviewerDep,
    session: SessionDep,
    distances: DistancesDep,
    reason: Annotated[str, Form(max_length=2000)] = "",
    back: Annotated[str, Form(max_length=512)] = "",
) -> Response:
    target = come_back_to(request, back or "/review/flags")
    restore_photo(session, photo, reason=reason, actor=reviewer.actor, distances=distances)
    return see_other(target, done="photo-restored")


@router.get("/flags", response_class=HTMLResponse)
def flags_page(
    request: Request,
    reviewer: ReviewerDep,
    session: SessionDep,
    done: Annotated[str, Query(max_length=24)] = "",
) -> HTMLResponse:
    flags = open_flags(session, reviewer.actor)
    return render(request, "review/flags.html", reviewer, flags=flags, notice=notice(done))


@router.post("/flags/{flag_id}/clear", response_model=None)
def clear_flag_page(
    request: Request,
    flag_id: RowId,
    reviewer: PostingReviewerDep,
    session: SessionDep,
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    target = come_back_to(request, "/review/flags")
    clear_flag(session, flag_id, reason=reason, actor=reviewer.actor)
    return see_other(target, done="flag-cleared")


@router.get("/allowlist", response_class=HTMLResponse)
def allowlist_page(
    request: Request,
    reviewer: ReviewerDep,
    session: SessionDep,
    done: Annotated[str, Query(max_length=24)] = "",
    suspended: Annotated[int | None, Query(ge=0, le=MAX_ID)] = None,
) -> HTMLResponse:
    entries = list_entries(session, reviewer.actor)
    message = notice(done)
    if done == "allowlisted" and suspended is not None:
        plural = "hash" if suspended == 1 else "hashes"
        message = f"Allowlist entry added: it suspended {suspended} stored {plural}."
    return render(request, "review/allowlist.html", reviewer, entries=entries, notice=message)


@router.post("/allowlist", response_model=None)
def allowlist_add_page(
    request: Request,
    reviewer: PostingReviewerDep,
    session: SessionDep,
    distances: DistancesDep,
    algorithm: Annotated[str, Form(max_length=16)] = "",
    value: Annotated[str, Form(max_length=128)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    come_back_to(request, "/review/allowlist")
    added = add_entry(
        session,
        algorithm=algorithm,
        value=value.strip(),
        reason=reason,
        actor=reviewer.actor,
        distances=distances,
    )
    return see_other("/review/allowlist", done="allowlisted", suspended=len(added.suspended))


def _picture_hashes(text: str) -> list[tuple[str, str]]:
    """The hashes pasted on the page: the JSON `hashstop allowlist add --image PATH
    --print-hashes` prints (a list of {algorithm, value})."""
    try:
        items = json.loads(text)
    except ValueError:
        items = None
    if not isinstance(items, list) or not all(
        isinstance(i, dict)
        and isinstance(i.get("algorithm"), str)
        and isinstance(i.get("value"), str)
        for i in items
    ):
        raise InvalidInput(
            "paste the JSON that `hashstop allowlist add --image PATH --print-hashes` prints "
            "(a list of hashes), unchanged"
        )
    return [(i["algorithm"], i["value"].strip()) for i in items]


@router.post("/allowlist/pictures", response_model=None)
def allowlist_picture_page(
    request: Request,
    reviewer: PostingReviewerDep,
    session: SessionDep,
    distances: DistancesDep,
    hashes: Annotated[str, Form(max_length=40_000)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    come_back_to(request, "/review/allowlist")
    added = add_picture(
        session,
        hashes=_picture_hashes(hashes),
        reason=reason,
        actor=reviewer.actor,
        distances=distances,
    )
    return see_other("/review/allowlist", done="allowlisted", suspended=len(added.suspended))


@router.post("/allowlist/{entry_id}/remove", response_model=None)
def allowlist_remove_page(
    request: Request,
    entry_id: RowId,
    reviewer: PostingReviewerDep,
    session: SessionDep,
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    come_back_to(request, "/review/allowlist")
    remove_entry(session, entry_id, reason=reason, actor=reviewer.actor)
    return see_other("/review/allowlist", done="removed")
