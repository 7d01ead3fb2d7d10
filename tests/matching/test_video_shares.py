"""The vPDQ shares (`matching/video.py`): brute force over frame codes, and the rule."""

from __future__ import annotations

import numpy as np

from hashstop.config import Settings
from hashstop.matching.video import DEFAULT_QUERY_SHARE, DEFAULT_STORED_SHARE, is_match, shares


def codes(*values: int) -> np.ndarray:
    """PDQ codes whose first byte is each value (the rest zeros) and, for distance, flips."""
    out = np.zeros((len(values), 32), dtype=np.uint8)
    for i, v in enumerate(values):
        out[i, : v // 8] = 0xFF
        out[i, v // 8] = (1 << (v % 8)) - 1 if v % 8 else 0
    return out


def test_shares_count_each_side_by_its_own_frames() -> None:
    # code(k) has its first k bits set: distance |a - b|.
    query = codes(0, 40, 200)
    stored = codes(10, 60, 120, 130)
    q, s = shares(query, stored)
    assert q == 2 / 3  # 0 and 40 matched, 200 is 70 bits from 130
    assert s == 2 / 4  # 10 and 60 matched; 120 is 80 from 40 and 80 from 200, 130 is 70
    assert shares(query, stored, distance=9) == (0.0, 0.0)
    assert shares(codes(), stored) == (0.0, 0.0) == shares(query, codes())


def test_the_rule_needs_both_shares_and_something_matched() -> None:
    assert is_match(0.5, 0.5, 0.5, 0.5)
    assert not is_match(0.49, 1.0, 0.5, 0.5)
    assert not is_match(1.0, 0.49, 0.5, 0.5)
    assert not is_match(0.0, 0.0, 0.0, 0.0)


def test_the_settings_default_to_the_measured_thresholds() -> None:
    fields = Settings.model_fields
    assert fields["video_min_query_share"].default == DEFAULT_QUERY_SHARE
    assert fields["video_min_stored_share"].default == DEFAULT_STORED_SHARE
