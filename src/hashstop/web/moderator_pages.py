"""The plumbing of the /review pages: the session cookie, CSRF checks, and rendering.

The cookie holds a random session token (see `service/moderator_sessions.py`): HttpOnly, SameSite
Strict, Secure whenever the request came over https, scoped to /review and expiring with the
session. Every POST carries the session's synchroniser token in a hidden `csrf` field; a missing
or wrong one is refused with 403 before anything else runs. Pages are never cached.

Pages render HTML for their own errors (a 404 page, a 409 with a way back), not problem+json: a
moderator reads them in a browser. That is one policy for every page under /review: a domain
error raised by a page (or the service it calls) becomes the error page, with a link back to
`request.state.back` (set by the page with `come_back_to`, else the queue); the transaction is
rolled back by the session dependency, as for any error. They never put a case id, a case secret
or a photo label on screen (the views they render hold none), and hash values only for
moderators.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from hashstop import i18n
from hashstop.api.deps import RuntimeDep
from hashstop.api.problems import domain_error
from hashstop.service.actors import Actor
from hashstop.service.errors import DomainError
from hashstop.service.moderator_sessions import ReviewSessions, csrf_matches, csrf_token
from hashstop.storage.models import ApiKey, Role
from hashstop.web.rendering import templates

SESSION_COOKIE = "hashstop_review"
SIGN_IN_COOKIE = "hashstop_review_signin"
COOKIE_PATH = "/review"
SIGN_IN_PURPOSE = "review-signin-csrf"
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
_SAFE_NEXT = re.compile(r"/review(/[A-Za-z0-9_./?=&%:+-]*)?")


@dataclass(frozen=True, slots=True)
class Reviewer:
    """The signed-in moderator or admin of one request."""

    key: ApiKey
    token: str
    csrf: str

    @property
    def actor(self) -> Actor:
        return Actor.of_key(self.key)

    @property
    def scope(self) -> str | None:
        return self.actor.scope

    @property
    def is_global(self) -> bool:
        return self.scope is None

    @property
    def is_admin(self) -> bool:
        return self.key.role == Role.ADMIN


class SignInRequired(Exception):
    """No live session: the browser is sent to the sign-in page (and back afterwards)."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class CsrfRefused(Exception):
    """A form post without the session's CSRF token."""


def safe_next(path: str | None) -> str:
    """A redirect target inside /review, or the queue (never another site)."""
    if path and _SAFE_NEXT.fullmatch(path) and "//" not in path and ".." not in path:
        return path
    return "/review/queue"


def current_reviewer(request: Request, runtime: RuntimeDep) -> Reviewer:
    token = request.cookies.get(SESSION_COOKIE)
    key = None
    if token:
        with runtime.database.lookup() as session:
            key = ReviewSessions(session, runtime.keyring).current(token)
    if key is None or token is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInRequired(target if request.method == "GET" else "/review/queue")
    reviewer = Reviewer(key=key, token=token, csrf=csrf_token(runtime.keyring, token))
    request.state.reviewer = reviewer
    return reviewer


ReviewerDep = Annotated[Reviewer, Depends(current_reviewer)]


def checked_reviewer(
    reviewer: ReviewerDep,
    runtime: RuntimeDep,
    csrf: Annotated[str | None, Form(max_length=128)] = None,
) -> Reviewer:
    """The reviewer of a form post whose CSRF token belongs to the session."""
    if not csrf_matches(runtime.keyring, reviewer.token, csrf):
        raise CsrfRefused
    return reviewer


PostingReviewerDep = Annotated[Reviewer, Depends(checked_reviewer)]


def when(moment: datetime | None) -> str:
    return "" if moment is None else moment.strftime("%Y-%m-%d %H:%M UTC")


def render(
    request: Request,
    template: str,
    reviewer: Reviewer | None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    with i18n.use("en"):  # the review pages are not translated yet: English, whatever else is set
        return templates.TemplateResponse(
            request,
            template,
            {"reviewer": reviewer, "when": when, "path": request.url.path, **context},
            status_code=status_code,
            headers=NO_STORE,
        )


def error_page(
    request: Request, reviewer: Reviewer | None, exc: DomainError, back: str | None = None
) -> HTMLResponse:
    """The domain error as a page, with a link back to where the moderator came from."""
    return render(
        request,
        "review/error.html",
        reviewer,
        status_code=exc.status,
        title=exc.title,
        detail=exc.detail,
        back=safe_next(back) if back else None,
    )


NOTICES = {
    "revoked": "The key is revoked: it is refused from the next request on.",
    "decided": "Decision saved.",
    "suspended": "The hash is suspended: it stops matching everywhere.",
    "restored": "The hash is restored: it matches again.",
    "photo-suspended": "The photo is suspended: none of its hashes matches anywhere.",
    "photo-restored": "The photo is restored: its hashes match again.",
    "flag-cleared": "The flag is cleared.",
    "allowlisted": "Allowlist entry added.",
    "removed": "Allowlist entry removed.",
    "signed-in": "Signed in.",
}


def notice(done: str | None) -> str | None:
    return NOTICES.get(done or "")


def see_other(path: str, **done: str | int) -> RedirectResponse:
    """Redirect after a post (303), with a notice key for the next page."""
    query = "&".join(f"{k}={quote(str(v))}" for k, v in done.items())
    target = safe_next(path)
    sep = "&" if "?" in target else "?"
    return RedirectResponse(f"{target}{sep}{query}" if query else target, 303, headers=NO_STORE)


def set_cookie(response: Response, request: Request, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=COOKIE_PATH,
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="strict",
    )


def clear_cookie(response: Response, request: Request, name: str) -> None:
    response.delete_cookie(
        name,
        path=COOKIE_PATH,
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="strict",
    )


def _sign_in_required(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SignInRequired)  # noqa: S101 - registered for it only  # nosec B101
    return RedirectResponse(
        f"/review/sign-in?next={quote(safe_next(exc.next_path))}", 303, headers=NO_STORE
    )


def _csrf_refused(request: Request, _exc: Exception) -> Response:
    return render(
        request,
        "review/error.html",
        None,
        status_code=403,
        title="Form refused",
        detail="This form was not sent from a page of your current session (its CSRF token is "
        "missing or wrong). Reload the page and try again.",
        back=None,
    )


def come_back_to(request: Request, path: str) -> str:
    """Where the error page of this request links back to (a path inside /review)."""
    request.state.back = safe_next(path)
    back: str = request.state.back
    return back


def _domain_error(request: Request, exc: Exception) -> Response:
    """A domain error: an error page under /review, problem+json everywhere else."""
    if not isinstance(exc, DomainError) or not request.url.path.startswith(COOKIE_PATH):
        return domain_error(request, exc)
    reviewer = getattr(request.state, "reviewer", None)
    return error_page(request, reviewer, exc, getattr(request.state, "back", "/review/queue"))


def install(app: FastAPI) -> None:
    """The /review pages' own answers: sign-in redirects, refused forms, error pages. Installed
    after the JSON API's handlers, whose problem+json stays the answer outside /review."""
    app.add_exception_handler(SignInRequired, _sign_in_required)
    app.add_exception_handler(CsrfRefused, _csrf_refused)
    app.add_exception_handler(DomainError, _domain_error)
