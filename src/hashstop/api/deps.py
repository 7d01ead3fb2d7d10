"""Dependencies of the endpoints, as typed aliases: the session, the caller's credential, limits.

Dependencies that do not block are `async`, so they run on the event loop instead of costing a
hop to the thread pool each; those that touch the database are plain functions (thread pool).

`SessionDep` opens one session per request, commits it when the endpoint returns and rolls it
back when it raises, *before* the response is sent (scope "function"); after the commit it tells
this worker's index what changed, so a withdrawal has stopped matching here by the time the
victim sees the answer. Services only flush.

A key is read from the database on every request; when the database is unavailable, a key that
was live when this worker last read the keys is accepted instead (`service/outage.py`), so
matching goes on from memory. Every other use of the database then fails with 503.
"""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from hashstop.api.metrics import Metrics
from hashstop.api.ratelimit import RateLimiter, WriteBudget
from hashstop.config import Settings
from hashstop.service.actors import Actor
from hashstop.service.errors import Forbidden, Unauthenticated
from hashstop.service.index import HashIndex, IndexSync
from hashstop.service.keys import KeyCache, check_role
from hashstop.service.matching import Thresholds
from hashstop.service.outage import DeferredMatches, KnownKeys
from hashstop.service.quarantine import QuarantinePolicy
from hashstop.service.screening import MatchDistances
from hashstop.service.tokens import API_KEY_PREFIX, Keyring
from hashstop.storage.database import UNAVAILABLE, Database
from hashstop.storage.models import ApiKey, Role


@dataclass
class Runtime:
    """What one app object owns: settings, database, keyring, index, limits, metrics."""

    settings: Settings
    database: Database
    keyring: Keyring
    key_cache: KeyCache
    index: HashIndex
    sync: IndexSync
    metrics: Metrics
    case_limiter: RateLimiter
    match_limiter: RateLimiter
    write_budget: WriteBudget
    thresholds: Thresholds
    known_keys: KnownKeys
    deferred: DeferredMatches

    def operations_token_matches(self, token: str) -> bool:
        """Whether `token` is the operations token (`HASHSTOP_OPERATIONS_TOKEN`), if one is set."""
        expected = self.settings.operations_token
        if expected is None:
            return False
        return hmac.compare_digest(token.encode(), expected.get_secret_value().encode())


async def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def get_session(request: Request, runtime: RuntimeDep) -> AsyncIterator[Session]:
    # Making a session does no I/O (it connects on first use), so this runs on the event loop;
    # ending one that began a transaction does, so that goes to the thread pool. A request that
    # never touched the database (a match that found nothing) costs no hop and no round trip.
    write = request.method not in ("GET", "HEAD", "OPTIONS")
    session = runtime.database.new_session(write=write)
    try:
        yield session
    except BaseException:
        if session.in_transaction():
            await run_in_threadpool(_end, session, runtime, False)
        session.close()
        raise
    if session.in_transaction():
        await run_in_threadpool(_end, session, runtime, True)
    session.close()


def _end(session: Session, runtime: Runtime, commit: bool) -> None:
    try:
        if commit:
            session.commit()
        else:
            session.rollback()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
    if commit:
        runtime.sync.after_commit(session)


SessionDep = Annotated[Session, Depends(get_session, scope="function")]

bearer_scheme = HTTPBearer(
    auto_error=False,
    description="An API key (hsk_...) for platforms, moderators and admins, or a case secret "
    "(hsc_...) for the victim's own case.",
)


async def bearer_token(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> str:
    if credentials is None or not credentials.credentials.strip():
        raise Unauthenticated(
            "send your token as `Authorization: Bearer <token>` (an hsk_ API key, or the "
            "hsc_ case secret for your own case)"
        )
    return credentials.credentials.strip()


BearerToken = Annotated[str, Depends(bearer_token)]


def require_role(*roles: Role) -> Callable[..., Awaitable[ApiKey]]:
    """A dependency that returns the caller's live API key if it has one of `roles`.

    The key is read in its own one-statement lookup (autocommit on PostgreSQL), at most once per
    `key_cache_seconds` per worker (`KeyCache`), so a revocation reaches every worker within that
    time (at once on PostgreSQL, where it is notified). While the database is away, a key that
    was live at the last read of all keys is still accepted for a grace period (`KnownKeys`), so
    matching goes on from memory. A key found fresh in the cache is answered on the event loop;
    a database read goes to the thread pool.
    """

    def authenticate(token: str, runtime: Runtime) -> ApiKey:
        try:
            return runtime.key_cache.authenticate(runtime.database.lookup, token, roles)
        except UNAVAILABLE:
            known = runtime.known_keys.recall(runtime.keyring.api_key_hash(token))
            if known is None:
                raise
            return check_role(known, roles)

    async def dependency(token: BearerToken, runtime: RuntimeDep) -> ApiKey:
        cached = runtime.key_cache.fresh(token, roles)
        if cached is not None:
            return cached
        return await run_in_threadpool(authenticate, token, runtime)

    return dependency


async def functions_key(
    x_functions_key: Annotated[
        str | None,
        Header(description="StopNCII-shaped routes: your hashstop platform key (hsk_...)"),
    ] = None,
) -> str:
    if x_functions_key is None or not x_functions_key.strip():
        raise Unauthenticated(
            "send your hashstop platform key (hsk_...) in the `x-functions-key` header, where "
            "pytx's StopNCII client puts its fetch function key"
        )
    return x_functions_key.strip()


def require_functions_key(*roles: Role) -> Callable[..., Awaitable[ApiKey]]:
    """`require_role` for the StopNCII-shaped routes: the key comes in `x-functions-key`."""
    check = require_role(*roles)

    async def dependency(
        token: Annotated[str, Depends(functions_key)], runtime: RuntimeDep
    ) -> ApiKey:
        return await check(token, runtime)

    return dependency


PlatformKey = Annotated[ApiKey, Depends(require_role(Role.PLATFORM))]
StopNCIIPlatformKey = Annotated[ApiKey, Depends(require_functions_key(Role.PLATFORM))]
ModeratorKey = Annotated[ApiKey, Depends(require_role(Role.MODERATOR, Role.ADMIN))]
AdminKey = Annotated[ApiKey, Depends(require_role(Role.ADMIN))]


async def moderator_actor(key: ModeratorKey) -> Actor:
    return Actor.of_key(key)


async def admin_actor(key: AdminKey) -> Actor:
    return Actor.of_key(key)


Moderator = Annotated[Actor, Depends(moderator_actor)]
"""A moderator or admin key's holder, as the services take it (they check scopes)."""
Admin = Annotated[Actor, Depends(admin_actor)]


async def case_secret(token: BearerToken) -> str:
    if token.startswith(API_KEY_PREFIX):
        raise Forbidden(
            "API keys cannot read or change cases; only the case secret (hsc_...) given when "
            "the case was opened can"
        )
    return token


CaseSecret = Annotated[str, Depends(case_secret)]


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def limit_case_creation(request: Request, runtime: RuntimeDep) -> None:
    runtime.case_limiter.take(client_address(request))


async def limit_matching(key: PlatformKey, runtime: RuntimeDep) -> None:
    runtime.match_limiter.take(f"key:{key.id}")


async def get_metrics(runtime: RuntimeDep) -> Metrics:
    return runtime.metrics


MetricsDep = Annotated[Metrics, Depends(get_metrics)]


async def get_distances(runtime: RuntimeDep) -> MatchDistances:
    """How far a hash can match: the allowlist refuses anything that close to an entry."""
    return MatchDistances(pdq=runtime.thresholds.pdq_max, phash=runtime.thresholds.phash_max)


DistancesDep = Annotated[MatchDistances, Depends(get_distances)]


async def get_quarantine(runtime: RuntimeDep) -> QuarantinePolicy:
    return QuarantinePolicy.from_settings(runtime.settings)


QuarantineDep = Annotated[QuarantinePolicy, Depends(get_quarantine)]
