"""The /review pages: sign in and out, the queue, a match and its decision, activity charts.

Server-rendered (Jinja2), no script. Every form posts a CSRF token bound to the session, and
every post answers with a redirect (303) so a reload never repeats an action. Hash pages and the
allowlist live in `review_hashes.py`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from hashstop.api.deps import RuntimeDep, SessionDep
from hashstop.service.errors import DomainError, InvalidInput
from hashstop.service.lifecycle import decide
from hashstop.service.match_review import QUEUE_STATUSES, activity, match_view, queue
from hashstop.service.moderator_sessions import (
    ReviewSessions,
    csrf_matches,
    csrf_token,
    new_session_token,
)
from hashstop.web.activity_charts import MATCH_SERIES, VERDICT_SERIES, stacked_chart
from hashstop.web.moderator_pages import (
    NO_STORE,
    SESSION_COOKIE,
    SIGN_IN_COOKIE,
    SIGN_IN_PURPOSE,
    PostingReviewerDep,
    ReviewerDep,
    clear_cookie,
    come_back_to,
    notice,
    render,
    safe_next,
    see_other,
    set_cookie,
)

router = APIRouter(prefix="/review", include_in_schema=False)
SIGN_IN_MAX_AGE = 30 * 60


@router.get("")
def review_home() -> RedirectResponse:
    return RedirectResponse("/review/queue", 303)


def _sign_in_page(
    request: Request, runtime: RuntimeDep, next_path: str, error: str | None, status: int
) -> HTMLResponse:
    pre = request.cookies.get(SIGN_IN_COOKIE)
    if not pre or len(pre) > 64:
        pre = new_session_token()
    page = render(
        request,
        "review/sign_in.html",
        None,
        status_code=status,
        csrf=csrf_token(runtime.keyring, pre, SIGN_IN_PURPOSE),
        next_path=safe_next(next_path),
        error=error,
    )
    set_cookie(page, request, SIGN_IN_COOKIE, pre, SIGN_IN_MAX_AGE)
    return page


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_page(
    request: Request, runtime: RuntimeDep, next: Annotated[str | None, Query()] = None
) -> HTMLResponse:
    return _sign_in_page(request, runtime, next or "", None, 200)


@router.post("/sign-in", response_model=None)
def sign_in(
    request: Request,
    runtime: RuntimeDep,
    session: SessionDep,
    key: Annotated[str, Form(max_length=256)] = "",
    csrf: Annotated[str, Form(max_length=128)] = "",
    next: Annotated[str, Form(max_length=512)] = "",
) -> Response:
    pre = request.cookies.get(SIGN_IN_COOKIE)
    if not csrf_matches(runtime.keyring, pre, csrf, purpose=SIGN_IN_PURPOSE):
        return render(
            request,
            "review/error.html",
            None,
            status_code=403,
            title="Form refused",
            detail="The sign-in form expired or was not sent from this site. Open the sign-in "
            "page again.",
            back="/review/sign-in",
        )
    lifetime = timedelta(minutes=runtime.settings.review_session_minutes)
    try:
        signed = ReviewSessions(session, runtime.keyring).sign_in(key, lifetime)
    except DomainError as exc:
        return _sign_in_page(request, runtime, next, exc.detail, exc.status)
    response = RedirectResponse(safe_next(next), 303, headers=NO_STORE)
    set_cookie(response, request, SESSION_COOKIE, signed.token, int(lifetime.total_seconds()))
    clear_cookie(response, request, SIGN_IN_COOKIE)
    return response


@router.post("/sign-out", response_model=None)
def sign_out(
    request: Request, reviewer: PostingReviewerDep, runtime: RuntimeDep, session: SessionDep
) -> Response:
    ReviewSessions(session, runtime.keyring).sign_out(reviewer.token, reviewer.key)
    response = RedirectResponse("/review/sign-in", 303, headers=NO_STORE)
    clear_cookie(response, request, SESSION_COOKIE)
    return response


def _day_start(text: str | None, *, end: bool = False) -> datetime | None:
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"dates look like 2026-11-28, got {text[:20]!r}") from None
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    if end and day == date.max:
        raise InvalidInput(f"dates are before 9999, got {text[:20]!r}")
    return start + timedelta(days=1) if end else start


def _int_or_none(text: str | None, what: str) -> int | None:
    if not text:
        return None
    if not text.isdigit() or len(text) > 18:
        raise InvalidInput(f"{what} is a number")
    return int(text)


@router.get("/queue", response_class=HTMLResponse)
def queue_page(
    request: Request,
    reviewer: ReviewerDep,
    session: SessionDep,
    status: Annotated[str, Query(max_length=16)] = "pending",
    platform: Annotated[str, Query(max_length=64)] = "",
    algorithm: Annotated[str, Query(max_length=16)] = "",
    since: Annotated[str, Query(max_length=20)] = "",
    until: Annotated[str, Query(max_length=20)] = "",
    hash_id: Annotated[str, Query(max_length=20)] = "",
    cursor: Annotated[str, Query(max_length=24)] = "",
    done: Annotated[str, Query(max_length=24)] = "",
) -> HTMLResponse:
    filters = {
        "status": status,
        "platform": platform,
        "algorithm": algorithm,
        "since": since,
        "until": until,
        "hash_id": hash_id,
    }
    try:
        page = queue(
            session,
            reviewer.actor,
            status=status,
            platform=platform or None,
            algorithm=algorithm or None,
            since=_day_start(since),
            until=_day_start(until, end=True),
            hash_id=_int_or_none(hash_id, "the hash id"),
            cursor=cursor or None,
            limit=25,
        )
        error = None
    except DomainError as exc:
        page, error = None, exc.detail
    return render(
        request,
        "review/queue.html",
        reviewer,
        status_code=200 if error is None else 422,
        page=page,
        error=error,
        filters=filters,
        statuses=QUEUE_STATUSES,
        first_page=not cursor,
        notice=notice(done),
    )


@router.get("/matches/{match_id}", response_class=HTMLResponse)
def match_page(
    request: Request,
    match_id: str,
    reviewer: ReviewerDep,
    session: SessionDep,
    done: Annotated[str, Query(max_length=24)] = "",
) -> HTMLResponse:
    view = match_view(session, reviewer.actor, match_id)
    return render(request, "review/match.html", reviewer, view=view, notice=notice(done))


@router.post("/matches/{match_id}/decide", response_model=None)
def decide_page(
    request: Request,
    match_id: str,
    reviewer: PostingReviewerDep,
    session: SessionDep,
    decision: Annotated[str, Form(max_length=16)] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    back = come_back_to(request, f"/review/matches/{match_id}")
    decide(session, reviewer.actor, match_id, decision, note)
    return see_other(back, done="decided")


@router.get("/activity", response_class=HTMLResponse)
def activity_page(
    request: Request,
    reviewer: ReviewerDep,
    session: SessionDep,
    days: Annotated[int, Query(ge=7, le=90)] = 14,
) -> HTMLResponse:
    series = activity(session, reviewer.actor, days)
    return render(
        request,
        "review/activity.html",
        reviewer,
        days=series,
        span=days,
        matches=stacked_chart("Matches per day, by status", series, MATCH_SERIES),
        verdicts=stacked_chart("Verdicts and decisions per day", series, VERDICT_SERIES),
        quarantines=sum(d.get("suspension:quarantine") for d in series),
    )
