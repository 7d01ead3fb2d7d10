"""Domain errors: each knows its HTTP status and says what the caller can do about it.

The API renders every one of them as problem+json (RFC 9457) through a single handler; the CLI
prints the detail on one line. A bare ValueError is never turned into a 4xx: it is a bug.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """An expected failure with a status, a short title and a detail a person can act on."""

    status = 400
    title = "Bad request"
    type_slug = "bad-request"

    def __init__(self, detail: str, **extensions: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extensions = extensions
        self.headers: dict[str, str] = {}


class InvalidInput(DomainError):
    status = 422
    title = "Invalid input"
    type_slug = "invalid-input"


class Unauthenticated(DomainError):
    status = 401
    title = "Authentication required"
    type_slug = "unauthenticated"

    def __init__(self, detail: str, **extensions: Any) -> None:
        super().__init__(detail, **extensions)
        self.headers["WWW-Authenticate"] = "Bearer"


class Forbidden(DomainError):
    status = 403
    title = "Forbidden"
    type_slug = "forbidden"


class NotFound(DomainError):
    status = 404
    title = "Not found"
    type_slug = "not-found"


class Conflict(DomainError):
    status = 409
    title = "Conflict"
    type_slug = "conflict"


class PayloadTooLarge(DomainError):
    status = 413
    title = "Request too large"
    type_slug = "too-large"


class RateLimited(DomainError):
    status = 429
    title = "Too many requests"
    type_slug = "rate-limited"

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail, retry_after=retry_after)
        self.headers["Retry-After"] = str(retry_after)


class Unavailable(DomainError):
    status = 503
    title = "Service unavailable"
    type_slug = "unavailable"

    def __init__(self, detail: str, retry_after: int = 1) -> None:
        super().__init__(detail)
        self.headers["Retry-After"] = str(retry_after)


class Gone(DomainError):
    status = 410
    title = "Gone"
    type_slug = "gone"
