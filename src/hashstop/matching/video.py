"""The vPDQ rule for comparing two videos by their frame hashes (pure: numpy only).

A video is a set of PDQ frame hashes (distinct, of quality >= 50). A frame of one video is
*matched* when it is within `FRAME_DISTANCE` (31) of some frame of the other. Two shares follow:
the query's (matched query frames / query frames) and the stored video's (matched stored frames
/ stored frames). The service's rule for a video item (`service/matching.py`) asks for both,
each at least its threshold; the defaults here were measured with
`benchmarks/video_robustness.py` (docs/videos.md).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FRAME_DISTANCE = 31
"""Two frames match within this many bits (PDQ's, and vPDQ's reference, distance)."""

DEFAULT_QUERY_SHARE = 0.2
"""Default least share of the query's frames that must match frames of the stored video."""

DEFAULT_STORED_SHARE = 0.2
"""Default least share of the stored video's frames that must match frames of the query."""

Codes = npt.NDArray[np.uint8]


def shares(query: Codes, stored: Codes, distance: int = FRAME_DISTANCE) -> tuple[float, float]:
    """(query share, stored share) of two videos given as (n, 32) uint8 arrays of PDQ codes, by
    brute force (for tests and benchmarks; the service uses its index). Empty: (0.0, 0.0)."""
    if len(query) == 0 or len(stored) == 0:
        return 0.0, 0.0
    xor = np.bitwise_xor(query[:, None, :], stored[None, :, :])
    near = np.unpackbits(xor, axis=2).sum(axis=2, dtype=np.int32) <= distance
    return float(near.any(axis=1).mean()), float(near.any(axis=0).mean())


def is_match(
    query_share: float,
    stored_share: float,
    min_query_share: float = DEFAULT_QUERY_SHARE,
    min_stored_share: float = DEFAULT_STORED_SHARE,
) -> bool:
    """The rule: both shares at least their thresholds (and something matched at all)."""
    return query_share > 0 and query_share >= min_query_share and stored_share >= min_stored_share
