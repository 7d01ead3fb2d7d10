"""Every error the API returns is problem+json (RFC 9457) with a `detail` a person can act on.

One handler renders the domain errors (which carry their status); the others turn FastAPI's and
Starlette's own errors (unknown path, wrong method, invalid body) and database outages into the
same shape. An unexpected exception is logged without request data and answered as a 500 that
says so; the tests assert that bad input never gets there.

The OpenAPI document says so too: every operation's errors are a `default` response of
problem+json (`ProblemOut`), in place of FastAPI's own 422 schema, which the API never sends.
"""

from __future__ import annotations

import logging
import time
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from hashstop.api.schemas import ProblemOut
from hashstop.service.errors import DomainError

log = logging.getLogger(__name__)
PROBLEM_JSON = "application/problem+json"
MAX_LISTED_ERRORS = 20
UNAVAILABLE_LOG_EVERY = 5.0  # seconds between two "database unavailable" log lines


def problem(
    status: int,
    detail: str,
    *,
    title: str | None = None,
    slug: str | None = None,
    instance: str | None = None,
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"urn:hashstop:problem:{slug}" if slug else "about:blank",
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    body.update(extensions)
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_JSON)


def domain_error(request: Request, exc: Exception) -> JSONResponse:
    """A domain error as problem+json with its own status (the JSON API's answer)."""
    assert isinstance(exc, DomainError)  # noqa: S101 - registered for DomainError only  # nosec B101
    return problem(
        exc.status,
        exc.detail,
        title=exc.title,
        slug=exc.type_slug,
        instance=request.url.path,
        headers=exc.headers,
        **exc.extensions,
    )


def http_error(request: Request, exc: Exception) -> JSONResponse:
    """An unknown path, a wrong method: problem+json (web/errors.py answers the pages' own)."""
    assert isinstance(exc, StarletteHTTPException)  # noqa: S101 - registered for it  # nosec B101
    headers = dict(exc.headers or {})
    if exc.status_code == 404:
        detail = (
            f"there is no {request.url.path} here; the endpoints are listed at /docs "
            "(all API paths start with /v1/)"
        )
    elif exc.status_code == 405:
        allowed = headers.get("allow", headers.get("Allow", ""))
        detail = f"{request.method} is not allowed on {request.url.path}; allowed: {allowed}"
    else:
        detail = str(exc.detail)
    return problem(exc.status_code, detail, instance=request.url.path, headers=headers)


def _where(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc if p != "body"]
    out = ""
    for p in parts:
        out += f"[{p}]" if p.isdigit() else (f".{p}" if out else p)
    return out or "body"


def _validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)  # noqa: S101 - registered for it  # nosec B101
    errors = [
        {"location": _where(e.get("loc", ())), "message": str(e.get("msg", "invalid"))}
        for e in exc.errors()
    ]
    first = errors[0] if errors else {"location": "body", "message": "invalid"}
    if first["message"].startswith("JSON decode error"):
        detail = "the body is not valid JSON; send a JSON object (Content-Type: application/json)"
    else:
        detail = f"{first['location']}: {first['message']}"
        if len(errors) > 1:
            detail += f" (and {len(errors) - 1} more, see `errors`)"
    return problem(
        422,
        detail,
        title="Invalid request",
        slug="invalid-request",
        instance=request.url.path,
        errors=errors[:MAX_LISTED_ERRORS],
    )


def _database(request: Request, exc: Exception) -> JSONResponse:
    if isinstance(exc, IntegrityError):
        return problem(
            409,
            "a concurrent request changed the same data; retry the request",
            slug="conflict",
            instance=request.url.path,
        )
    if isinstance(exc, DataError):
        # The database refused a value that passed validation (PostgreSQL: a NUL character in
        # a text, a number out of range): the request's fault, not an outage. Found by the
        # schema fuzzer. The type only is logged, never the value.
        log.warning("the database refused a value of %s %s", request.method, request.url.path)
        return problem(
            422,
            "the request holds a value the database cannot store (such as a NUL character "
            "in a text); remove it and retry",
            title="Invalid request",
            slug="invalid-request",
            instance=request.url.path,
        )
    _log_unavailable(type(exc).__name__)
    return problem(
        503,
        "the database is unavailable right now; retry in a few seconds",
        slug="database-unavailable",
        instance=request.url.path,
        headers={"Retry-After": "5"},
    )


_unavailable_log = {"at": 0.0, "unlogged": 0}


def _log_unavailable(kind: str) -> None:
    """One line per few seconds while the database is away, not one per request."""
    now = time.monotonic()
    if now - _unavailable_log["at"] < UNAVAILABLE_LOG_EVERY:
        _unavailable_log["unlogged"] += 1
        return
    log.error(
        "database unavailable: %s (%d more such answers since the last line)",
        kind,
        _unavailable_log["unlogged"],
    )
    _unavailable_log.update(at=now, unlogged=0)


def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error(
        "unexpected %s in %s %s", type(exc).__name__, request.method, request.url.path, exc_info=exc
    )
    return problem(
        500,
        "an unexpected error occurred on the server; it has been logged. Please report it.",
        slug="internal",
        instance=request.url.path,
    )


def _document_problems(app: FastAPI) -> None:
    """Make `app.openapi()` declare the problem+json errors every operation can answer."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = generate()
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        definitions = ProblemOut.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(definitions.pop("$defs", {}))
        components["Problem"] = definitions
        for path_item in schema.get("paths", {}).values():
            for operation in path_item.values():
                responses = operation.setdefault("responses", {})
                responses.pop("422", None)
                responses["default"] = {
                    "description": "An error: problem+json (RFC 9457) with a `detail` to act on",
                    "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
                }
        for unused in ("HTTPValidationError", "ValidationError"):
            components.pop(unused, None)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def install(app: FastAPI) -> None:
    _document_problems(app)
    app.add_exception_handler(DomainError, domain_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(OperationalError, _database)
    app.add_exception_handler(IntegrityError, _database)
    app.add_exception_handler(DataError, _database)
    app.add_exception_handler(DBAPIError, _database)
    app.add_exception_handler(PoolTimeout, _database)
    app.add_exception_handler(Exception, _unexpected)
