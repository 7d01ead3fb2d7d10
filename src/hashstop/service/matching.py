"""Matching a platform's uploads against the stored hashes.

An item (one upload) carries up to 16 hashes, e.g. its 8 dihedral PDQ hashes, a pHash and an
MD5; it matches if any of them does. It may also carry up to 48 local hashes (issue 14), which
match by another rule: several of them must agree on one photo and one transform
(`agreement.py`). Every matched item becomes a match record (platform, its
`ref`, the hashes hit and their distances); an item that matches nothing leaves no trace here,
only a counter the API keeps.

Before reporting a hit the database is asked whether the hash is still active: a withdrawal or a
suspension committed by another worker a moment ago therefore stops matching at once, even
before this worker's index has applied it. The same query names each hit's photo (its public
id) and variant (which edit of the photo matched). This costs one indexed query, and only for
requests that hit something, which is rare. Storing records also runs the quarantine's rate
check (one grouped query over the hit hashes; see `quarantine.py`).

A *video item* (issue 13) carries a video upload's frame hashes (PDQ, up to 360) besides its
MD5 and SHA-256, and matches by the vPDQ rule (`matching/video.py`): against a stored video
(a photo whose hashes are frames, variant `frame`) only when at least `video_query_share` of
its distinct frames are within the PDQ distance of some frame of that video *and* at least
`video_stored_share` of the video's active frames are within it of some frame of the item; the
result names both shares. Against a stored photo (a still) any frame within the distance is a
match, as a screenshot of a video (a photo item) matches any one of its frames. Shares are only
told for what matched: a near miss says nothing.

When the database is unavailable at that point, the hits are answered from the index as they
are (without photo and variant) and their records kept in memory to be written later
(`outage.py`); when that buffer is full, the request gets 503. A video item's frame hits are
then kept only when `video_query_share` of its frames hit something (the stored side cannot be
counted without the database). Never a "no match" the index contradicts, never a 500.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from sqlalchemy.orm import Session

from hashstop.hashing import HashFormatError, parse_hash
from hashstop.matching.video import DEFAULT_QUERY_SHARE, DEFAULT_STORED_SHARE, is_match
from hashstop.service.agreement import ALGORITHM as LOCAL
from hashstop.service.agreement import local_hits
from hashstop.service.errors import InvalidInput, Unavailable
from hashstop.service.index import HashIndex
from hashstop.service.outage import DeferredMatches
from hashstop.service.quarantine import QuarantinePolicy, check_match_rate
from hashstop.service.tokens import new_match_id
from hashstop.storage.database import UNAVAILABLE
from hashstop.storage.matches import FRAME_VARIANT, Hit, HitSource, MatchRepository, NewMatch
from hashstop.storage.models import ApiKey


@dataclass(frozen=True, slots=True)
class QueryHash:
    algorithm: str
    value: str


@dataclass(frozen=True, slots=True)
class MatchItem:
    ref: str
    hashes: Sequence[QueryHash]
    max_distance: int | None = None
    video: bool = False
    """A video item: its PDQ hashes are the upload's frames, matched by the vPDQ rule."""


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Server limits: PDQ's maximum (also its default), pHash's default and maximum; the least
    shares of a video item's match with a stored video (query side, stored side)."""

    pdq_max: int
    phash_default: int
    phash_max: int
    video_query_share: float = DEFAULT_QUERY_SHARE
    video_stored_share: float = DEFAULT_STORED_SHARE

    def for_item(self, algorithm: str, requested: int | None) -> int:
        if algorithm == "pdq":
            return self.pdq_max if requested is None else min(requested, self.pdq_max)
        if algorithm == "phash":
            return self.phash_default if requested is None else min(requested, self.phash_max)
        return 0


Hits = dict[int, dict[int, Hit]]
"""Per item (its position in the request): the hits by stored hash id, nearest kept."""


@dataclass(frozen=True, slots=True)
class VideoShare:
    """How a video item matched one stored video: its frames and the shares matched."""

    photo: str
    query_frames: int
    stored_frames: int
    query_share: float
    stored_share: float


@dataclass(slots=True)
class ItemResult:
    ref: str
    matched: bool = False
    match_id: str | None = None
    matches: list[Hit] = field(default_factory=list)
    videos: list[VideoShare] | None = None
    """For a video item that matched stored videos: the shares, one entry per video."""


@dataclass(slots=True)
class _Frames:
    """A video item's distinct query frames, and which of them hit each stored hash."""

    count: int = 0
    by_hash: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))


class Matcher:
    """The match use case for one request."""

    def __init__(
        self,
        session: Session,
        index: HashIndex,
        thresholds: Thresholds,
        *,
        ready: bool,
        quarantine: QuarantinePolicy | None = None,
        deferred: DeferredMatches | None = None,
    ) -> None:
        self.session = session
        self.index = index
        self.thresholds = thresholds
        self.ready = ready
        self.quarantine = quarantine
        self.deferred = deferred
        # Per video item (its position): its frames and what each hit, filled by `find`.
        self.frames: dict[int, _Frames] = {}

    def match(self, key: ApiKey, items: Sequence[MatchItem]) -> list[ItemResult]:
        """Search the index, then record the matches: `settle(key, items, find(items))`."""
        return self.settle(key, items, self.find(items))

    def find(self, items: Sequence[MatchItem]) -> Hits:
        """The hits of each item (by its position) in this worker's index: no database I/O.

        Cheap for a few items (well under a millisecond for a single upload against a million
        hashes), so the API runs it on the event loop for small requests.
        """
        if not self.ready:
            raise Unavailable("the match index is still loading; retry in a few seconds", 2)
        # A query: (item, its frame position or -1, the value).
        hamming: dict[tuple[str, int], list[tuple[int, int, bytes]]] = defaultdict(list)
        exact: dict[str, list[tuple[int, bytes]]] = defaultdict(list)
        local: dict[int, list[bytes]] = defaultdict(list)
        self.frames = {}
        for i, item in enumerate(items):
            if item.max_distance is not None and item.max_distance < 0:
                raise InvalidInput(f"items[{i}].max_distance must be 0 or more")
            seen: dict[bytes, int] = {}  # a video item's distinct frames, by position
            for j, query in enumerate(item.hashes):
                try:
                    value = parse_hash(query.algorithm, query.value)
                except HashFormatError as exc:
                    raise InvalidInput(f"items[{i}].hashes[{j}]: {exc}") from None
                if value.algorithm == LOCAL:
                    if item.video:
                        raise InvalidInput(
                            f"items[{i}].hashes[{j}]: a video item carries no local hashes "
                            "(send its frames as pdq, and its md5 and sha256)"
                        )
                    local[i].append(value.data)
                elif value.perceptual:
                    distance = self.thresholds.for_item(value.algorithm, item.max_distance)
                    frame = -1
                    if item.video and value.algorithm == "pdq":
                        if value.data in seen:
                            continue  # a repeated frame counts once
                        frame = seen[value.data] = len(seen)
                    hamming[(value.algorithm, distance)].append((i, frame, value.data))
                else:
                    exact[value.algorithm].append((i, value.data))
            if item.video:
                self.frames[i] = _Frames(count=len(seen))

        hits: Hits = defaultdict(dict)
        for (algorithm, distance), hamming_queries in hamming.items():
            width = len(hamming_queries[0][2])
            codes = np.frombuffer(b"".join(q for _, _, q in hamming_queries), np.uint8).reshape(
                -1, width
            )
            found = self.index.hamming[algorithm].search(codes, distance)
            for (item_index, frame, _), near in zip(hamming_queries, found, strict=True):
                for hash_id, d in near:
                    _keep_nearest(hits[item_index], Hit(hash_id, algorithm, d))
                    if frame >= 0:
                        self.frames[item_index].by_hash[hash_id].add(frame)
        for algorithm, queries in exact.items():
            found_ids = self.index.exact[algorithm].search([q for _, q in queries])
            for (item_index, _), ids in zip(queries, found_ids, strict=True):
                for hash_id in ids:
                    _keep_nearest(hits[item_index], Hit(hash_id, algorithm, 0))
        for item_index, values in local.items():  # several must agree (agreement.py)
            for hit in local_hits(self.index.local, values, items[item_index].max_distance):
                _keep_nearest(hits[item_index], hit)

        return hits

    def settle(self, key: ApiKey, items: Sequence[MatchItem], hits: Hits) -> list[ItemResult]:
        """The answer for each item, with a match record for each item that hit something.

        Touches the database only when there are hits (it checks that the hashes are still
        active, then records and commits).
        """
        results = [ItemResult(ref=item.ref) for item in items]
        if not any(hits.values()):
            return results
        try:
            recorded = self._record(key, hits, results)
            # Committed here rather than by the caller, so that a database lost between the
            # reads and the commit still ends in a deferred record and an answer, not a 503. (If
            # the commit did land before the connection broke, the record is written twice.)
            self.session.commit()
            return recorded
        except UNAVAILABLE:
            if self.deferred is None:
                raise
            self.session.rollback()
            return self._record_later(key, hits, results)

    def _record(
        self, key: ApiKey, hits: dict[int, dict[int, Hit]], results: list[ItemResult]
    ) -> list[ItemResult]:
        repo = MatchRepository(self.session)
        live = repo.still_matchable(h for item_hits in hits.values() for h in item_hits)
        videos: dict[str, int] = {}
        if self.frames:
            videos = repo.active_frame_counts(
                live[h].photo
                for item_index in self.frames
                for h in hits.get(item_index, {})
                if h in live and live[h].variant == FRAME_VARIANT
            )
        new: list[NewMatch] = []
        for item_index, item_hits in sorted(hits.items()):
            shares: list[VideoShare] = []
            if item_index in self.frames:
                item_hits, shares = self._video_rule(
                    self.frames[item_index], item_hits, live, videos
                )
            kept = sorted(
                (
                    replace(
                        h,
                        photo=live[h.hash_id].photo,
                        variant=live[h.hash_id].variant,
                        bank=live[h.hash_id].bank,
                    )
                    for h in item_hits.values()
                    if h.hash_id in live
                ),
                key=lambda h: (h.distance, h.hash_id),
            )
            if not kept:
                continue
            result = results[item_index]
            result.matched, result.match_id, result.matches = True, new_match_id(), kept
            if item_index in self.frames:
                result.videos = shares
            new.append(NewMatch(public_id=result.match_id, ref=result.ref, hits=kept))
        repo.add_many(key.id, key.platform or "", new)
        self.session.flush()
        if new and self.quarantine is not None:
            check_match_rate(
                self.session, self.quarantine, {h.hash_id for m in new for h in m.hits}
            )
        return results

    def _video_rule(
        self,
        frames: _Frames,
        item_hits: dict[int, Hit],
        live: dict[int, HitSource],
        videos: dict[str, int],
    ) -> tuple[dict[int, Hit], list[VideoShare]]:
        """The hits of a video item that count, and the shares of each stored video matched.

        A hit on a stored video's frame counts when the item matches that video by both
        shares; any other hit (a digest, a pHash, a still photo's PDQ) counts as it is."""
        on_video: dict[str, list[int]] = defaultdict(list)
        kept: dict[int, Hit] = {}
        for hash_id, hit in item_hits.items():
            source = live.get(hash_id)
            if source is None:
                continue
            if hit.algorithm == "pdq" and source.photo in videos:
                if source.variant == FRAME_VARIANT:
                    on_video[source.photo].append(hash_id)
                continue  # a video's other PDQ hashes (none today) do not count alone
            kept[hash_id] = hit
        shares: list[VideoShare] = []
        for photo, hash_ids in sorted(on_video.items()):
            matched_frames: set[int] = set()
            for hash_id in hash_ids:
                matched_frames |= frames.by_hash.get(hash_id, set())
            stored = videos[photo]
            query_share = len(matched_frames) / frames.count if frames.count else 0.0
            stored_share = min(1.0, len(hash_ids) / stored)
            if is_match(
                query_share,
                stored_share,
                self.thresholds.video_query_share,
                self.thresholds.video_stored_share,
            ):
                kept.update((h, item_hits[h]) for h in hash_ids)
                shares.append(VideoShare(photo, frames.count, stored, query_share, stored_share))
        return kept, shares

    def _record_later(
        self, key: ApiKey, hits: dict[int, dict[int, Hit]], results: list[ItemResult]
    ) -> list[ItemResult]:
        """The database is away: answer every hit of the index, keep the records for later."""
        assert self.deferred is not None  # noqa: S101 - only called with a buffer  # nosec B101
        new: list[NewMatch] = []
        for item_index, item_hits in sorted(hits.items()):
            frames = self.frames.get(item_index)
            if frames is not None:
                item_hits = self._video_rule_blind(frames, item_hits)
            if not item_hits:
                continue
            result = results[item_index]
            kept = sorted(item_hits.values(), key=lambda h: (h.distance, h.hash_id))
            result.matched, result.match_id, result.matches = True, new_match_id(), kept
            new.append(NewMatch(public_id=result.match_id, ref=result.ref, hits=kept))
        if not self.deferred.defer(key, new):
            raise Unavailable(
                "the database is unavailable and this worker cannot keep more match records; "
                "retry in a few seconds",
                5,
            )
        return results

    def _video_rule_blind(self, frames: _Frames, item_hits: dict[int, Hit]) -> dict[int, Hit]:
        """A video item's hits without the database (which says what is a video): its frame
        hits count when `video_query_share` of its frames hit something; digests always."""
        hit_frames: set[int] = set()
        for hash_id in item_hits:
            hit_frames |= frames.by_hash.get(hash_id, set())
        share = len(hit_frames) / frames.count if frames.count else 0.0
        enough = share > 0 and share >= self.thresholds.video_query_share
        return {h: hit for h, hit in item_hits.items() if h not in frames.by_hash or enough}


def _keep_nearest(found: dict[int, Hit], hit: Hit) -> None:
    current = found.get(hit.hash_id)
    if current is None or hit.distance < current.distance:
        found[hit.hash_id] = hit
