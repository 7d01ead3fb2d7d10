"""Routes shaped like other hash exchanges, so their existing clients follow hashstop (issue 17).

`GET /stopncii/v1/FetchHashes`: the hash list as StopNCII.org serves its own, for pytx's
`StopNCIISignalExchangeAPI` (and so HMA) with its base URL set to `<hashstop>/stopncii/v1`
and a hashstop platform key as its fetch function key. See `service/stopncii.py`.
"""

from __future__ import annotations

import threading
import time
from typing import Annotated

from fastapi import APIRouter, Query

from hashstop.api.deps import RuntimeDep, SessionDep, StopNCIIPlatformKey
from hashstop.api.exchange_schemas import StopNCIIFetchOut
from hashstop.service.stopncii import fetch_hashes, purge_expired

router = APIRouter(prefix="/stopncii/v1", tags=["exchanges"])
PURGE_EVERY = 3600.0
_purged = {"at": float("-inf")}
_purge_lock = threading.Lock()


def _purge_now_and_then(runtime: RuntimeDep) -> None:
    """Delete expired kept values at most once an hour per worker (withdrawals do it too)."""
    with _purge_lock:
        if time.monotonic() - _purged["at"] < PURGE_EVERY:
            return
        _purged["at"] = time.monotonic()
    with runtime.database.transaction() as session:
        purge_expired(session, runtime.settings.retraction_days)


@router.get("/FetchHashes", response_model=StopNCIIFetchOut)
def fetch_hashes_route(
    key: StopNCIIPlatformKey,
    session: SessionDep,
    runtime: RuntimeDep,
    startTimestamp: Annotated[  # noqa: N803 - StopNCII's parameter names
        int, Query(description="epoch seconds: the previous set's `nextSetTimestamp`")
    ] = 10,
    pageSize: Annotated[int, Query(description="records per page")] = 800,  # noqa: N803
    nextPageToken: Annotated[  # noqa: N803
        str | None, Query(max_length=64, description="the previous page's `nextPageToken`")
    ] = None,
) -> StopNCIIFetchOut:
    """The hash list as StopNCII's FetchHashes: PDQ and MD5 records with their status."""
    _purge_now_and_then(runtime)
    page = fetch_hashes(
        session,
        start=startTimestamp,
        page_size=pageSize,
        token=nextPageToken,
        max_page=runtime.settings.max_hashlist_page,
        retraction_days=runtime.settings.retraction_days,
    )
    return StopNCIIFetchOut.of(page)
