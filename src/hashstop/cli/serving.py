"""The HTTP protocol `hashstop serve` runs: uvicorn's h11 protocol with the limits it lacks.

uvicorn times out only idle keep-alive connections between requests. A client that opens a
connection and sends half a request line, or headers without their end, or a body more slowly
than it promised, held a file descriptor forever: the red team (issue 12, attack 9) opened 600
such connections against a worker with a 512 file-descriptor limit and every `/healthz` failed.
This protocol adds:

- a header timeout (`HASHSTOP_HEADER_TIMEOUT`): from the connection's start, or from the first
  byte of a later request on a kept-alive connection, to the end of the headers;
- a body timeout (`HASHSTOP_BODY_TIMEOUT`): from the end of the headers to the end of the body;
- a connection cap (`HASHSTOP_MAX_CONNECTIONS`, capped at three quarters of RLIMIT_NOFILE): a
  new connection over the cap closes the oldest connection that has not finished sending its
  headers, so idle half-sent connections can never take the descriptors a real request needs;
  the listen backlog is sized so that one burst of accepts fits in the descriptors left over.

A connection that has sent its request and waits for the answer is never closed by these.
"""

from __future__ import annotations

import asyncio
import resource
import time
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

HEADER_TIMEOUT = 10.0
BODY_TIMEOUT = 30.0
MAX_CONNECTIONS = 1000


def connection_cap(wanted: int) -> int:
    """`wanted`, but at most three quarters of this process's file-descriptor limit (the rest
    for the database, the log and the listening socket)."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return wanted
    return max(8, min(wanted, soft * 3 // 4))


def accept_backlog(max_connections: int) -> int:
    """The listen backlog: asyncio accepts up to this many connections in one go before any of
    them can close an older one, so it must fit in the descriptors the cap leaves free."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return 2048
    return max(16, min(2048, (soft - connection_cap(max_connections)) // 2))


class GuardedH11Protocol(H11Protocol):
    """H11Protocol with header and body timeouts and a connection cap (module docstring)."""

    header_timeout = HEADER_TIMEOUT
    body_timeout = BODY_TIMEOUT
    max_connections = MAX_CONNECTIONS
    configured = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if not GuardedH11Protocol.configured:
            # A worker process started by uvicorn reads the limits from its environment.
            from hashstop.config import Settings

            settings = Settings()
            self.configure(settings.header_timeout, settings.body_timeout, settings.max_connections)
        super().__init__(*args, **kwargs)
        self._deadline: asyncio.TimerHandle | None = None
        self._phase: object = None  # the h11 state the deadline was armed for
        self._started = time.monotonic()

    @classmethod
    def configure(cls, header_timeout: float, body_timeout: float, max_connections: int) -> None:
        target = GuardedH11Protocol
        target.configured = True
        target.header_timeout = header_timeout
        target.body_timeout = body_timeout
        target.max_connections = connection_cap(max_connections)

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm(h11.IDLE, self.header_timeout)
        if len(self.connections) > self.max_connections:
            self._evict_one()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._follow()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        # Between requests uvicorn's keep-alive timeout governs; a new request's first byte
        # arms the header timeout again (data_received).
        self._disarm()

    # The deadline of the phase the client is in.

    def _follow(self) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        state = self.conn.their_state
        if state is h11.IDLE:
            if self._phase is not h11.IDLE:
                self._arm(h11.IDLE, self.header_timeout)
        elif state is h11.SEND_BODY:
            if self._phase is not h11.SEND_BODY:
                self._arm(h11.SEND_BODY, self.body_timeout)
        else:
            self._disarm()

    def _arm(self, phase: object, seconds: float) -> None:
        self._disarm()
        self._phase = phase
        self._deadline = self.loop.call_later(seconds, self._expired, phase)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        self._deadline = None
        self._phase = None

    def _expired(self, phase: object) -> None:
        self._deadline = None
        if self.transport.is_closing() or self.conn.their_state is not phase:
            return
        self._close()

    def _waiting_for_headers(self) -> bool:
        return self.conn.their_state is h11.IDLE and (
            self.cycle is None or self.cycle.response_complete
        )

    def _evict_one(self) -> None:
        candidates = [
            c
            for c in self.connections
            if c is not self and isinstance(c, GuardedH11Protocol) and c._waiting_for_headers()
        ]
        if candidates:
            min(candidates, key=lambda c: c._started)._close()

    def _close(self) -> None:
        if not self.transport.is_closing():
            self.transport.close()
