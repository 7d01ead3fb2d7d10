"""The item-level rule for local hashes (issue 14): an upload matches a photo through its local
hashes only when several of its hits on that photo agree on one geometric transform.

Every other algorithm matches by "any hit": one PDQ hash within 31 bits is evidence enough. A
local hash is not: it is 64 bits of one patch, and patches repeat across unrelated photos. So
the local hashes of an item are searched together, their hits grouped by stored photo, and a
photo counts only when at least `min_agreeing` hits agree on one crop, turn and scale
(`hashstop.matching.geometry`). The hits reported for the item are the agreeing ones; a photo
with fewer leaves no trace, in the answer or the database.

Kept apart from `matching.py` on purpose: it is one rule among the item-level rules (videos get
their own), and `Matcher.find` only asks it for the hits of each item.
"""

from __future__ import annotations

from collections.abc import Sequence

from hashstop.matching.geometry import LOCAL_MAX_DISTANCE, MIN_AGREEING
from hashstop.matching.local_index import LocalIndex
from hashstop.storage.matches import Hit

ALGORITHM = "local"


def local_hits(
    index: LocalIndex,
    values: Sequence[bytes],
    max_distance: int | None = None,
    min_agreeing: int = MIN_AGREEING,
) -> list[Hit]:
    """The hits of one item's local hashes (12-byte values) that pass the rule.

    `max_distance` (the item's, when it asked for one) can only make the search stricter than
    `LOCAL_MAX_DISTANCE`.
    """
    if len(values) < min_agreeing:
        return []
    distance = LOCAL_MAX_DISTANCE if max_distance is None else min(max_distance, LOCAL_MAX_DISTANCE)
    return [
        Hit(h.hash_id, ALGORITHM, h.distance) for h in index.search(values, distance, min_agreeing)
    ]
