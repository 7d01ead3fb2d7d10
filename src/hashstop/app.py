"""The ASGI application: the JSON API (`hashstop.api`) and the pages (`hashstop.web`) over one
runtime.

`create_app(settings)` wires one runtime (database, keyring, index and its sync thread, limits,
metrics) into a new app object; two app objects in one process are two independent workers.
`app_from_environment` is the import-string factory uvicorn uses with several worker processes.
The lifespan starts the index sync (load, then follow the change log) and stops it; requests are
answered meanwhile, and /readyz and /v1/match say 503 until the index is loaded. Match records
kept in memory during a database outage are written by the sync thread once the database is
back, and once more at shutdown.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI

from hashstop import __version__
from hashstop.api import problems
from hashstop.api.deps import Runtime
from hashstop.api.metrics import Metrics
from hashstop.api.middleware import BodySizeLimit, ConcurrencyLimit, RequestMetrics
from hashstop.api.proxy import TrustedProxies
from hashstop.api.ratelimit import RateLimiter, WriteBudget
from hashstop.api.routes import admin, cases, exchanges, operations, platform, review
from hashstop.config import Settings
from hashstop.service.actors import SYSTEM
from hashstop.service.index import HashIndex, IndexSync
from hashstop.service.keys import KeyCache
from hashstop.service.matching import Thresholds
from hashstop.service.outage import DeferredMatches, KnownKeys
from hashstop.service.quarantine import QuarantinePolicy
from hashstop.service.tokens import Keyring
from hashstop.storage.audit import AuditLog
from hashstop.storage.database import Database
from hashstop.web import errors as page_errors
from hashstop.web import moderator_pages, rendering
from hashstop.web.operator import Operator
from hashstop.web.routes import api_docs, review_hashes, review_keys, review_matches, victim

log = logging.getLogger(__name__)

DESCRIPTION = """\
hashstop stops the recirculation of intimate images shared without consent. Victims register
fingerprints (PDQ, pHash, MD5, SHA-256) of their photos, never the photos; platforms match
uploads against them. Errors are `application/problem+json`.
"""


def build_runtime(settings: Settings) -> Runtime:
    database = Database(
        settings.database_url, busy_timeout_ms=int(settings.sqlite_busy_timeout * 1000)
    )
    keyring = Keyring(settings.secret_key_bytes)
    index = HashIndex()
    metrics = Metrics()
    runtime = Runtime(
        settings=settings,
        database=database,
        keyring=keyring,
        key_cache=KeyCache(keyring, settings.key_cache_seconds),
        index=index,
        sync=IndexSync(
            database,
            index,
            interval=settings.sync_interval,
            stale_after=settings.sync_stale_after,
        ),
        metrics=metrics,
        case_limiter=RateLimiter(
            settings.case_creations_per_hour / 3600,
            settings.case_creations_per_hour,
            "cases opened from this address",
        ),
        write_budget=WriteBudget(
            settings.hashes_per_address_per_hour,
            settings.hashes_per_hour,
            on_ceiling=_audit_ceiling(database, settings.hashes_per_hour),
            count_hit=metrics.write_ceiling_hits.inc,
        ),
        match_limiter=RateLimiter(
            settings.match_requests_per_second,
            settings.match_burst,
            "match requests with this key",
        ),
        thresholds=Thresholds(
            pdq_max=settings.max_distance_pdq,
            phash_default=settings.default_distance_phash,
            phash_max=settings.max_distance_phash,
            video_query_share=settings.video_min_query_share,
            video_stored_share=settings.video_min_stored_share,
        ),
        known_keys=KnownKeys(settings.outage_key_grace),
        deferred=DeferredMatches(
            settings.outage_match_records, QuarantinePolicy.from_settings(settings)
        ),
    )
    runtime.sync.after_sync.append(lambda: runtime.deferred.flush(database))
    runtime.sync.after_sync.append(lambda: runtime.known_keys.refresh(database))
    runtime.sync.on_keys_revoked.append(runtime.key_cache.clear)
    return runtime


def _audit_ceiling(database: Database, ceiling: int) -> Callable[[int], None]:
    """The audit entry written (at most once an hour per worker) when all clients together
    reach the hourly ceiling of hashes: in its own transaction, as the request is refused."""

    def report(refused_hashes: int) -> None:
        log.warning("the hourly ceiling of %d hashes was reached; writes are refused", ceiling)
        try:
            with database.transaction() as session:
                AuditLog(session).record(
                    str(SYSTEM),
                    "writes.ceiling_reached",
                    "service",
                    hashes_per_hour=ceiling,
                    refused_hashes=refused_hashes,
                )
        except Exception as exc:  # noqa: BLE001 - the refusal stands; say the entry is missing
            log.error("could not write the audit entry of the ceiling (%s)", type(exc).__name__)

    return report


def create_app(settings: Settings | None = None) -> FastAPI:
    """A new hashstop app for `settings` (default: read from the environment)."""
    settings = settings or Settings()
    operator = Operator.from_settings(settings)  # a bad helplines file stops here, in one line
    runtime = build_runtime(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        runtime.sync.start()
        try:
            yield
        finally:
            runtime.sync.stop()
            _write_deferred(runtime)
            runtime.database.dispose()

    app = FastAPI(
        title="hashstop",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        # /docs is served from packaged files (web/routes/api_docs.py), not FastAPI's CDN pages.
        docs_url=None,
        redoc_url=None,
    )
    app.state.runtime = runtime
    app.state.operator = operator
    problems.install(app)
    app.include_router(cases.router)
    app.include_router(platform.router)
    app.include_router(exchanges.router)
    app.include_router(operations.router)
    app.include_router(victim.router)
    api_docs.install(app)
    app.include_router(review.router)
    app.include_router(admin.router)
    app.include_router(review_matches.router)
    app.include_router(review_hashes.router)
    app.include_router(review_keys.router)
    moderator_pages.install(app)
    page_errors.install(app)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(ConcurrencyLimit, max_requests=settings.max_concurrent_requests)
    app.add_middleware(RequestMetrics, metrics=runtime.metrics)
    rendering.install(app)
    if settings.forwarded_allow_ips.strip():
        # Outermost: every layer below sees the client's address (rate limits, Secure cookies).
        app.add_middleware(TrustedProxies, trusted=settings.forwarded_allow_ips)
    return app


def _write_deferred(runtime: Runtime) -> None:
    """At shutdown: a last try at the match records kept during an outage."""
    if not len(runtime.deferred):
        return
    try:
        runtime.deferred.flush(runtime.database)
    except Exception as exc:  # noqa: BLE001 - shutting down; say what is lost
        log.error(
            "shutting down with the database away: %d match record(s) not written (%s)",
            len(runtime.deferred),
            type(exc).__name__,
        )


def app_from_environment() -> FastAPI:
    """The factory uvicorn imports in each worker process (`--factory`)."""
    from hashstop.logs import configure_logging

    settings = Settings()
    configure_logging(settings.log_level)
    return create_app(settings)
