"""One error policy for every `hashstop` command: one calm line on stderr, a non-zero exit.

`one_line_errors` wraps each command. Whatever it expects to go wrong (a missing file, a server
that is down or refuses, a damaged receipt, a bad setting, a database error, a rule of the
service) becomes `Problem`: `Error: <one line>` and exit status 1 (2 for a mistyped path, 130
when stopped with Ctrl-C). Anything else is a bug and keeps its traceback.

The server side's error types (pydantic, SQLAlchemy, the service's domain errors) are looked at
only when their modules are already loaded: a victim's command never loads them, and an error of
a type whose module is not loaded cannot be of that type.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import click

from hashstop.client.api_client import CaseClientError, ServerRefused, ServerUnreachable
from hashstop.client.receipts import ReceiptError
from hashstop.i18n import _

F = TypeVar("F", bound=Callable[..., Any])


class Problem(click.ClickException):
    """One line for the person at the keyboard and exit status 1."""


class MistypedPath(Problem):
    exit_code = 2


class Stopped(Problem):
    exit_code = 130


def one_line_errors(command: F) -> F:
    """Turn every expected failure of `command` into a Problem: one line, never a traceback."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except KeyboardInterrupt:
            raise Stopped(_("stopped before finishing")) from None
        except Exception as exc:
            line = one_line(exc)
            if line is None:
                raise
            raise Problem(line) from None

    return wrapper  # type: ignore[return-value]


def one_line(exc: BaseException) -> str | None:
    """The line to print for an expected failure, or None for a bug."""
    if isinstance(exc, ReceiptError):
        return str(exc)
    if isinstance(exc, CaseClientError):
        return explain(exc)
    if isinstance(exc, OSError):
        reason = exc.strerror or str(exc)
        return f"{reason}: {exc.filename}" if exc.filename and exc.strerror else reason
    return _server_side(exc)


def _server_side(exc: BaseException) -> str | None:
    if "pydantic" in sys.modules:
        from pydantic import ValidationError

        if isinstance(exc, ValidationError):
            messages = "; ".join(
                str(e.get("msg", "")).removeprefix("Value error, ") for e in exc.errors()
            )
            return f"invalid configuration: {messages}"
    if "hashstop.config" in sys.modules:
        from hashstop.config import SettingsError

        if isinstance(exc, SettingsError):
            return str(exc)
    if "hashstop.service.errors" in sys.modules:
        from hashstop.service.errors import DomainError

        if isinstance(exc, DomainError):
            return str(exc)
    if "sqlalchemy" in sys.modules:
        from sqlalchemy.exc import SQLAlchemyError

        if isinstance(exc, SQLAlchemyError):
            reason = str(getattr(exc, "orig", exc)).strip().splitlines()
            return f"database error: {reason[0][:200] if reason else type(exc).__name__}"
    return None


def explain(error: CaseClientError) -> str:
    """The one line a victim reads for a failed request."""
    if isinstance(error, ServerUnreachable):
        if error.maybe_received:
            return _(
                "%(error)s. The server may have received the request without being able to "
                "answer; check with `hashstop status` later, or try again",
                error=error,
            )
        return _(
            "%(error)s. Nothing was sent; check the address and your connection, then try again",
            error=error,
        )
    if isinstance(error, ServerRefused):
        rejected = error.problem.get("rejected")
        if error.status == 422 and isinstance(rejected, list) and rejected:
            first = rejected[0].get("reason", "") if isinstance(rejected[0], dict) else ""
            return _(
                "the server could use none of these fingerprints, so nothing was registered "
                "(for example: %(reason)s)",
                reason=first,
            )
        return _("the server refused: %(detail)s", detail=error.detail)
    return _("%(error)s; please try again later", error=error)
