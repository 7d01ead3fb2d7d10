"""The victim's HTTP client: open a case, look at it, add hashes, withdraw it.

A victim's connection may be a phone's, so a request that fails for reasons that pass (no
connection, a timeout, a 5xx, a 429) is tried again, up to `RetryPolicy.attempts` times, after
an exponentially growing, jittered pause, or after the server's `Retry-After` when it gives one.
A 4xx other than 429 is never retried: the server has understood and refused, and its
problem+json `detail` is what the victim is told. Case creation carries an `Idempotency-Key`
made once per submission and kept across retries, so that a retry never opens a second case.

This module sends only what it is given (hashes and case fields) and never logs; its errors say
what happened in one line, without the secret.
"""

from __future__ import annotations

import random
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote

import httpx

from hashstop import __version__
from hashstop.i18n import _, ngettext

RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})
TIMEOUT = httpx.Timeout(30.0, connect=10.0)


def new_idempotency_key() -> str:
    """A fresh key for one submission: 32 random bytes in base64url, the server's format."""
    return secrets.token_urlsafe(32)


class CaseClientError(Exception):
    """Any failure of a request; `str()` is one line for a person, without secrets."""


class ServerUnreachable(CaseClientError):
    """No answer after every attempt. `maybe_received`: a request may have got through."""

    def __init__(self, message: str, *, maybe_received: bool) -> None:
        super().__init__(message)
        self.maybe_received = maybe_received


class ServerRefused(CaseClientError):
    """A 4xx answer: the server understood the request and refused it (`detail` says why)."""

    def __init__(self, status: int, detail: str, problem: dict[str, Any]) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.problem = problem


class ServerFailed(CaseClientError):
    """The server kept failing (5xx, 429) or answered something that is not the API."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to try a request again."""

    attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 60.0  # a longer Retry-After is not waited for: we give up

    def backoff(self, retry: int) -> float:
        """The pause before retry number `retry` (1, 2, ...): 2**retry growth, jittered."""
        ceiling = min(self.max_delay, self.base_delay * 2 ** (retry - 1))
        return random.uniform(ceiling / 2, ceiling)  # noqa: S311 - jitter, not a secret  # nosec B311


@dataclass(frozen=True)
class OpenedCase:
    case_id: str
    secret: str
    status: str
    accepted: int
    rejected: list[dict[str, Any]]
    duplicates: int
    replayed: bool


@dataclass(frozen=True)
class AddedHashes:
    accepted: int
    rejected: list[dict[str, Any]]
    duplicates: int


@dataclass(frozen=True)
class CaseState:
    case_id: str
    status: str
    hash_count: int
    photo_count: int
    matches_total: int
    matches_confirmed: int
    created_at: str
    withdrawn_at: str | None


def retry_after_seconds(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _case_path(case_id: str) -> str:
    return "/v1/cases/" + quote(case_id, safe="")


def _one_line(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


class CaseClient:
    """The victim endpoints of one hashstop server."""

    def __init__(
        self,
        server: str,
        *,
        retry: RetryPolicy | None = None,
        timeout: httpx.Timeout = TIMEOUT,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.server = server.rstrip("/")
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self._http = httpx.Client(
            base_url=self.server,
            timeout=timeout,
            headers={"User-Agent": f"hashstop/{__version__}", "Accept": "application/json"},
        )

    def __enter__(self) -> CaseClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def open_case(self, hashes: list[dict[str, Any]], idempotency_key: str) -> OpenedCase:
        """POST /v1/cases; retries carry the same key, so at most one case is opened."""
        answer = self._request(
            "POST",
            "/v1/cases",
            json={"hashes": hashes},
            headers={"Idempotency-Key": idempotency_key},
        )
        body = self._json(answer)
        try:
            return OpenedCase(
                case_id=str(body["case_id"]),
                secret=str(body["secret"]),
                status=str(body["status"]),
                accepted=int(body["accepted"]),
                rejected=list(body.get("rejected", [])),
                duplicates=int(body.get("duplicates", 0)),
                replayed=answer.status_code == 200,
            )
        except (KeyError, TypeError, ValueError):
            raise self._not_the_api(answer) from None

    def get_case(self, case_id: str, secret: str) -> CaseState:
        return self._case_state(self._request("GET", _case_path(case_id), secret=secret))

    def add_hashes(self, case_id: str, secret: str, hashes: list[dict[str, Any]]) -> AddedHashes:
        """POST /v1/cases/{id}/hashes; safe to retry (the server stores a hash once per case)."""
        answer = self._request(
            "POST", _case_path(case_id) + "/hashes", json={"hashes": hashes}, secret=secret
        )
        body = self._json(answer)
        try:
            return AddedHashes(
                accepted=int(body["accepted"]),
                rejected=list(body.get("rejected", [])),
                duplicates=int(body.get("duplicates", 0)),
            )
        except (KeyError, TypeError, ValueError):
            raise self._not_the_api(answer) from None

    def withdraw(self, case_id: str, secret: str) -> CaseState:
        """DELETE /v1/cases/{id}; safe to retry (withdrawing twice changes nothing)."""
        return self._case_state(self._request("DELETE", _case_path(case_id), secret=secret))

    def _case_state(self, answer: httpx.Response) -> CaseState:
        body = self._json(answer)
        try:
            matches = body.get("matches") or {}
            return CaseState(
                case_id=str(body["case_id"]),
                status=str(body["status"]),
                hash_count=int(body["hash_count"]),
                photo_count=int(body.get("photo_count", 0)),
                matches_total=int(matches.get("total", 0)),
                matches_confirmed=int(matches.get("confirmed", 0)),
                created_at=str(body["created_at"]),
                withdrawn_at=None
                if body.get("withdrawn_at") is None
                else str(body["withdrawn_at"]),
            )
        except (AttributeError, KeyError, TypeError, ValueError):
            raise self._not_the_api(answer) from None

    def _request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        headers: dict[str, str] | None = None,
        secret: str | None = None,
    ) -> httpx.Response:
        """Send, retrying what may pass; return a 2xx answer or raise a CaseClientError."""
        sent_headers = dict(headers or {})
        if secret is not None:
            sent_headers["Authorization"] = f"Bearer {secret}"
        maybe_received = False
        for attempt in range(1, self.retry.attempts + 1):
            last = attempt == self.retry.attempts
            try:
                answer = self._http.request(method, path, json=json, headers=sent_headers)
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                if last:
                    raise self._unreachable(exc, maybe_received) from None
                self._sleep(self.retry.backoff(attempt))
                continue
            except (httpx.UnsupportedProtocol, httpx.LocalProtocolError) as exc:
                raise ServerUnreachable(
                    _(
                        "cannot talk to %(server)s: %(reason)s",
                        server=self.server,
                        reason=_one_line(str(exc)),
                    ),
                    maybe_received=False,
                ) from None
            except httpx.TransportError as exc:
                maybe_received = True
                if last:
                    raise self._unreachable(exc, maybe_received) from None
                self._sleep(self.retry.backoff(attempt))
                continue
            if answer.is_success:
                return answer
            if answer.status_code not in RETRIED_STATUSES:
                raise self._refused(answer)
            wait = retry_after_seconds(answer.headers.get("Retry-After"))
            if last or (wait is not None and wait > self.retry.max_retry_after):
                raise self._failed(answer, wait)
            self._sleep(max(wait or 0.0, self.retry.backoff(attempt)))
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _unreachable(self, exc: httpx.TransportError, maybe_received: bool) -> ServerUnreachable:
        if isinstance(exc, httpx.TimeoutException):
            reason = _("it did not answer in time")
        elif isinstance(exc, httpx.ConnectError):
            reason = _("no connection could be made")
        else:
            reason = _("the connection broke off")
        return ServerUnreachable(
            ngettext(
                "could not reach the server at %(server)s (%(reason)s, %(num)s try)",
                "could not reach the server at %(server)s (%(reason)s, %(num)s tries)",
                self.retry.attempts,
                server=self.server,
                reason=reason,
            ),
            maybe_received=maybe_received,
        )

    def _detail(self, answer: httpx.Response) -> tuple[str | None, dict[str, Any]]:
        try:
            body = answer.json()
        except ValueError:
            return None, {}
        if isinstance(body, dict) and isinstance(body.get("detail"), str):
            return _one_line(body["detail"]), body
        return None, body if isinstance(body, dict) else {}

    def _refused(self, answer: httpx.Response) -> ServerRefused:
        detail, problem = self._detail(answer)
        if detail is None:
            detail = _(
                "the server answered %(status)s %(reason)s",
                status=answer.status_code,
                reason=answer.reason_phrase,
            )
        return ServerRefused(answer.status_code, detail, problem)

    def _failed(self, answer: httpx.Response, wait: float | None) -> ServerFailed:
        detail, _problem = self._detail(answer)
        if wait is not None and wait > self.retry.max_retry_after:
            what = _(
                "the server at %(server)s answered %(status)s and asks to wait %(seconds)s s",
                server=self.server,
                status=answer.status_code,
                seconds=round(wait),
            )
        else:
            what = _(
                "the server at %(server)s answered %(status)s",
                server=self.server,
                status=answer.status_code,
            )
        return ServerFailed(f"{what}: {detail}" if detail else what, answer.status_code)

    def _json(self, answer: httpx.Response) -> dict[str, Any]:
        try:
            body = answer.json()
        except ValueError:
            raise self._not_the_api(answer) from None
        if not isinstance(body, dict):
            raise self._not_the_api(answer)
        return body

    def _not_the_api(self, answer: httpx.Response) -> ServerFailed:
        return ServerFailed(
            _(
                "the answer from %(server)s is not what a hashstop server sends (status "
                "%(status)s); check the server address",
                server=self.server,
                status=answer.status_code,
            ),
            answer.status_code,
        )
