"""Platform endpoints: match uploads, follow the hash list, give feedback (platform keys)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.concurrency import run_in_threadpool

from hashstop.api.deps import (
    MetricsDep,
    PlatformKey,
    QuarantineDep,
    Runtime,
    RuntimeDep,
    SessionDep,
    limit_matching,
)
from hashstop.api.schemas import (
    FeedbackIn,
    FeedbackOut,
    HashListOut,
    MatchIn,
    MatchOut,
    MatchRecordOut,
)
from hashstop.config import Settings
from hashstop.service.errors import PayloadTooLarge
from hashstop.service.feedback import give_feedback, match_with_feedback, sources_of_hits
from hashstop.service.hashlist import BatchPolicy, close_due_batch, hash_list_page
from hashstop.service.matching import Matcher, MatchItem, QueryHash
from hashstop.storage.models import ApiKey

router = APIRouter(prefix="/v1", tags=["platform"])


def platform_photo_ref(runtime: Runtime, key: ApiKey) -> Callable[[str], str]:
    """Photo ids as this key's platform sees them: its own keyed names (issue 12, attack 5)."""
    platform = key.platform or f"key:{key.id}"
    return lambda photo: runtime.keyring.platform_photo_ref(platform, photo)


def batch_policy(settings: Settings) -> BatchPolicy:
    return BatchPolicy(
        cases=settings.hashlist_batch_cases,
        min_seconds=settings.hashlist_batch_min_seconds,
        max_seconds=settings.hashlist_batch_max_seconds,
    )


INLINE_SEARCH_HASHES = 32
MAX_SEQ = 2**62


@router.post(
    "/match",
    response_model=MatchOut,
    response_model_exclude_none=True,
    dependencies=[Depends(limit_matching)],
)
async def match(
    body: MatchIn,
    key: PlatformKey,
    session: SessionDep,
    runtime: RuntimeDep,
    metrics: MetricsDep,
    quarantine: QuarantineDep,
) -> MatchOut:
    """Match uploads (up to 1,000 items of 16 hashes; a video item: 360 frames) against the list."""
    # A small request is searched on the event loop: a single upload takes a fraction of a
    # millisecond, less than the hop to a worker thread and back. Larger batches, and every
    # database read and write (only when something matched), run in the thread pool.
    settings = runtime.settings
    if len(body.items) > settings.max_items_per_match:
        raise PayloadTooLarge(
            f"at most {settings.max_items_per_match} items per request, got {len(body.items)}; "
            "split the batch"
        )
    frames_in_request = 0
    for i, item in enumerate(body.items):
        local = sum(1 for h in item.hashes if h.algorithm == "local")
        if item.kind == "video":
            frames = sum(1 for h in item.hashes if h.algorithm == "pdq")
            frames_in_request += frames
            if frames > settings.max_frames_per_video_item:
                raise PayloadTooLarge(
                    f"items[{i}] (a video) has {frames} frame hashes; at most "
                    f"{settings.max_frames_per_video_item} per video item (query_hashes thins "
                    "a long video evenly to that many)"
                )
            if frames_in_request > settings.max_frames_per_match:
                raise PayloadTooLarge(
                    f"the video items of this request have more than "
                    f"{settings.max_frames_per_match} frame hashes together; split the batch"
                )
            if len(item.hashes) - frames - local > settings.max_hashes_per_item:
                raise PayloadTooLarge(
                    f"items[{i}] (a video) has {len(item.hashes) - frames - local} hashes "
                    f"besides its frames; at most {settings.max_hashes_per_item}"
                )
            continue  # local hashes in a video item: 422 from the matcher
        if len(item.hashes) - local > settings.max_hashes_per_item:
            raise PayloadTooLarge(
                f"items[{i}] has {len(item.hashes) - local} hashes besides local ones; at most "
                f"{settings.max_hashes_per_item} per item"
            )
        if local > settings.max_local_hashes_per_item:
            raise PayloadTooLarge(
                f"items[{i}] has {local} local hashes; at most "
                f"{settings.max_local_hashes_per_item} per item"
            )
    items = [
        MatchItem(
            ref=item.ref,
            hashes=[QueryHash(h.algorithm, h.value) for h in item.hashes],
            max_distance=item.max_distance,
            video=item.kind == "video",
        )
        for item in body.items
    ]
    matcher = Matcher(
        session,
        runtime.index,
        runtime.thresholds,
        ready=runtime.sync.loaded,
        quarantine=quarantine,
        deferred=runtime.deferred if runtime.settings.outage_match_records else None,
    )
    local_queries = any(h.algorithm == "local" for item in items for h in item.hashes)
    if sum(len(item.hashes) for item in items) <= INLINE_SEARCH_HASHES and not local_queries:
        hits = matcher.find(items)
    else:
        hits = await run_in_threadpool(matcher.find, items)
    if any(hits.values()):
        results = await run_in_threadpool(matcher.settle, key, items, hits)
    else:
        results = matcher.settle(key, items, hits)  # no hit: no database, nothing to wait for
    matched = sum(1 for r in results if r.matched)
    metrics.match_items.labels("matched").inc(matched)
    metrics.match_items.labels("unmatched").inc(len(results) - matched)
    metrics.match_records.inc(matched)
    return MatchOut.of(results, platform_photo_ref(runtime, key))


@router.get("/hashlist", response_model=HashListOut)
def hashlist(
    key: PlatformKey,
    session: SessionDep,
    runtime: RuntimeDep,
    after: Annotated[
        int, Query(ge=0, le=MAX_SEQ, description="the `next` of the previous page; 0 to start")
    ] = 0,
    limit: Annotated[int, Query(description="entries per page")] = 1000,
) -> HashListOut:
    """The hash list as a delta feed: additions, and withdrawals with value null."""
    settings = runtime.settings
    close_due_batch(runtime.database, batch_policy(settings))
    page = hash_list_page(
        session,
        after,
        limit,
        settings.max_hashlist_page,
        runtime.keyring,
        platform_photo_ref(runtime, key),
    )
    return HashListOut.of(page)


@router.get("/matches/{match_id}", response_model=MatchRecordOut)
def get_match(
    match_id: str, key: PlatformKey, session: SessionDep, runtime: RuntimeDep
) -> MatchRecordOut:
    """One of your match records: the hashes it hit and your verdicts on it."""
    record, verdicts = match_with_feedback(session, key, match_id)
    return MatchRecordOut.of(
        record, verdicts, sources_of_hits(session, record), platform_photo_ref(runtime, key)
    )


@router.post("/matches/{match_id}/feedback", status_code=201, response_model=FeedbackOut)
def feedback(
    match_id: str,
    body: FeedbackIn,
    key: PlatformKey,
    session: SessionDep,
    quarantine: QuarantineDep,
    metrics: MetricsDep,
) -> FeedbackOut:
    """Tell whether one of your matches was right (confirmed) or wrong (false_positive)."""
    result = give_feedback(session, key, match_id, body.verdict, body.action, quarantine)
    if result.feedback.verdict == "false_positive":
        metrics.false_positive_verdicts.labels(result.match.platform).inc()
    if result.platform_flagged:
        metrics.platforms_flagged.labels(result.match.platform).inc()
    return FeedbackOut.of(result)
