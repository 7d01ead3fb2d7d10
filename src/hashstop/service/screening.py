"""Screening hashes against the allowlist of known benign images.

Anyone can submit a hash, so anyone can try to get a news photo or a meme blocked on every
platform. The allowlist holds the hashes of such pictures: an entry added from a picture holds
every hash a client could derive from it (`hashing/picture.py`). A submitted hash *screens as
allowlisted* when it lies within the *screening distance* of an entry: the match distance (PDQ
and pHash: the server's maximum, the most a platform may ask for; MD5 and SHA-256: equal) plus
a margin (`MARGIN`), so that a copy edited just past the match distance, which a platform's
own edit of the picture would then match, is caught too. The margin was chosen from
measurements (`benchmarks/abuse.py`, scenario `allowlist_margin`, quoted in
docs/threat-model.md): edited copies of a photograph land at most a few bits past the match
distance from its entry, while no hash of an unrelated photograph came within 80 PDQ bits.
Local hashes screen on their 64-bit code at the local match distance, with no margin, and
only when 2 of one photo's are near entries (one chance hit is not rare: 2 of 306 pairs of
unrelated photographs had one; matching itself needs 4 agreeing).

A submission with any hash that screens as allowlisted is refused *whole* (`whole_request`):
every hash of the request, with one reason that names no hash, photo or entry. Per-hash or
per-photo answers would be an oracle: flip one bit of a near copy per hash (or per one-hash
photo) and the answers read an entry back bit by bit in one request. With one answer per
request, reading a 256-bit entry takes a request per bit, against the write budgets.
Restoring a suspended hash or photo within the screening distance of an entry is refused too.

Why a scan of the table at each check rather than a per-worker cache: the allowlist is curated
by hand (tens to a few thousand entries), and a check runs only when a victim submits hashes,
which is rate-limited. Reading it in the checking transaction means an entry an admin just added
applies in every worker at once, with no cache to invalidate. The comparison itself uses the
same exact Hamming index as matching, built for the entries of the submitted algorithms only;
`benchmarks/allowlist.py` measures it (500 PDQ hashes against 10,000 entries).

What this module refuses: it never returns an allowlisted value, only the entry's id, so a
rejection cannot be used to read the allowlist.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from sqlalchemy.orm import Session

from hashstop.matching import HammingIndex
from hashstop.matching.geometry import LOCAL_MAX_DISTANCE
from hashstop.service.index import HAMMING_BITS
from hashstop.storage.allowlist import AllowlistRepository

# The Settings defaults of HASHSTOP_MAX_DISTANCE_PDQ and HASHSTOP_MAX_DISTANCE_PHASH.
DEFAULT_PDQ_DISTANCE = 31
DEFAULT_PHASH_DISTANCE = 6
# Bits past the match distance at which a hash still screens as allowlisted (see above).
MARGIN = {"pdq": 16, "phash": 4}
# A photo's local hashes screen as allowlisted when this many of them are near entries.
LOCAL_SCREEN_HITS = 2


@dataclass(frozen=True, slots=True)
class MatchDistances:
    """The largest distance at which a stored hash can match, per perceptual algorithm."""

    pdq: int = DEFAULT_PDQ_DISTANCE
    phash: int = DEFAULT_PHASH_DISTANCE
    local: int = LOCAL_MAX_DISTANCE  # on the 64-bit code of a local hash

    def of(self, algorithm: str) -> int:
        return {"pdq": self.pdq, "phash": self.phash, "local": self.local}.get(algorithm, 0)

    def screening(self, algorithm: str) -> int:
        """The distance within which a hash screens as allowlisted: match distance + margin."""
        return self.of(algorithm) + MARGIN.get(algorithm, 0)


WHOLE_REQUEST_REASON = (
    "this request holds a picture that resembles a known benign image on the allowlist (a news "
    "photo, a meme), so none of its hashes was stored; send your other photos in a separate "
    "request, and if this really is your photo, contact the operators of this service"
)


def hamming_distances(codes: npt.NDArray[np.uint8], value: bytes) -> npt.NDArray[np.int64]:
    """The Hamming distance of each row of `codes` (n x width bytes) to `value`."""
    xored = np.bitwise_xor(codes, np.frombuffer(value, dtype=np.uint8))
    distances: npt.NDArray[np.int64] = np.unpackbits(xored, axis=1).sum(axis=1, dtype=np.int64)
    return distances


class AllowlistScreen:
    """Finds the allowlist entry near each of a batch of hashes, reading the allowlist once."""

    def __init__(self, session: Session, distances: MatchDistances) -> None:
        self.session = session
        self.distances = distances

    def nearest(self, hashes: Sequence[tuple[str, bytes]]) -> list[int | None]:
        """For each (algorithm, value): the id of an allowlist entry within the screening
        distance (the nearest, then the oldest), or None."""
        found: list[int | None] = [None] * len(hashes)
        if not hashes:
            return found
        entries = AllowlistRepository(self.session).values({a for a, _ in hashes})
        if not entries:
            return found
        by_algorithm: dict[str, list[tuple[int, bytes]]] = defaultdict(list)
        for entry_id, algorithm, value in entries:
            by_algorithm[algorithm].append((entry_id, value))
        wanted: dict[str, list[int]] = defaultdict(list)
        for position, (algorithm, _) in enumerate(hashes):
            wanted[algorithm].append(position)
        for algorithm, positions in wanted.items():
            listed = by_algorithm.get(algorithm)
            if not listed:
                continue
            values = [hashes[p][1] for p in positions]
            near = self._search(algorithm, listed, values)
            for where, entry in zip(positions, near, strict=True):
                found[where] = entry
        return found

    def whole_request(
        self,
        hashes: Sequence[tuple[str, bytes]],
        photos: Sequence[str | None] | None = None,
        stored_local: Callable[[set[str]], Mapping[str, list[bytes]]] | None = None,
    ) -> list[str | None]:
        """The reason to refuse each of `hashes`: all of them with one reason if any screens
        as allowlisted, none otherwise (no answer tells which one did).

        A local hash alone is weak evidence (chance hits happen: `benchmarks/abuse.py`,
        scenario `allowlist_margin`), so local hashes screen as allowlisted only when
        `LOCAL_SCREEN_HITS` of one photo's do, counting those the case already holds for the
        photo (`stored_local(photo keys)`), which a client adding one per request cannot dodge.
        """
        near = self.nearest(hashes)
        keys = list(photos) if photos is not None else [None] * len(hashes)
        refused = False
        local_hits: dict[str | None, int] = {}
        for (algorithm, _), photo, entry in zip(hashes, keys, near, strict=True):
            if entry is None:
                continue
            if algorithm == "local":
                local_hits[photo] = local_hits.get(photo, 0) + 1
            else:
                refused = True
        if not refused and local_hits and stored_local is not None:
            earlier = stored_local({k for k in local_hits if k is not None})
            for photo, values in earlier.items():
                found = self.nearest([("local", v) for v in values])
                local_hits[photo] = local_hits.get(photo, 0) + sum(e is not None for e in found)
        if refused or any(n >= LOCAL_SCREEN_HITS for n in local_hits.values()):
            return [WHOLE_REQUEST_REASON] * len(hashes)
        return [None] * len(hashes)

    def _search(
        self, algorithm: str, listed: list[tuple[int, bytes]], values: list[bytes]
    ) -> list[int | None]:
        if algorithm == "local":  # compare the 64-bit codes; the frames do not matter here
            listed = [(i, v[:8]) for i, v in listed if len(v) == 12]
            values = [v[:8] for v in values]
            bits = 64
        elif algorithm not in HAMMING_BITS:
            exact: dict[bytes, int] = {}
            for entry_id, value in listed:
                exact.setdefault(value, entry_id)
            return [exact.get(v) for v in values]
        else:
            bits = HAMMING_BITS[algorithm]
        width = bits // 8
        index = HammingIndex(bits)
        good = [(i, v) for i, v in listed if len(v) == width]
        if not good:
            return [None] * len(values)
        index.add(
            np.array([i for i, _ in good], dtype=np.int64),
            np.frombuffer(b"".join(v for _, v in good), dtype=np.uint8).reshape(-1, width),
        )
        queries = np.frombuffer(b"".join(values), dtype=np.uint8).reshape(-1, width)
        results = index.search(queries, self.distances.screening(algorithm))
        return [int(near[0][0]) if near else None for near in results]
