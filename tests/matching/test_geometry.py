"""The geometric agreement of local hits: hits that one transform explains agree, scattered
hits do not, and a patch counts once however many others it hits."""

from __future__ import annotations

import math

import numpy as np

from hashstop.matching.geometry import agreeing, agreement


def frames(x, y, scale, angle) -> np.ndarray:
    """Quantised frames as packed: quarter pixels, twelfths of an octave, 64ths of a turn."""
    return np.stack(
        [
            np.clip(np.floor(4 * np.asarray(x) + 0.5), 0, 1023),
            np.clip(np.floor(4 * np.asarray(y) + 0.5), 0, 1023),
            np.clip(np.floor(12 * np.asarray(scale) + 0.5), 0, 63),
            np.floor(np.asarray(angle) * 64 / (2 * math.pi) + 0.5) % 64,
        ],
        axis=1,
    ).astype(np.int64)


def transformed(rng, n, zoom, turn, shift, stretch=1.0):
    """n query keypoints and where a crop/turn/resize puts them in the stored photo."""
    qx, qy = rng.uniform(20, 230, n), rng.uniform(20, 180, n)
    qs, qa = rng.uniform(0.5, 3.5, n), rng.uniform(0, 2 * math.pi, n)
    c, s = math.cos(turn), math.sin(turn)
    sx = (zoom * (c * qx - s * qy) + shift[0]) * stretch
    sy = zoom * (s * qx + c * qy) + shift[1]
    ss, sa = qs + math.log2(zoom), (qa + turn) % (2 * math.pi)
    return frames(qx, qy, qs, qa), frames(sx, sy, ss, sa)


def test_hits_of_one_transform_agree() -> None:
    rng = np.random.default_rng(1)
    for zoom, turn in ((1.0, 0.0), (0.8, math.radians(7)), (1.3, math.radians(-9))):
        q, s = transformed(rng, 12, zoom, turn, (10.0, -5.0))
        keep = (s[:, 0] < 1023) & (s[:, 1] < 1023) & (s[:, 0] > 0) & (s[:, 1] > 0)
        assert agreeing(q[keep], s[keep]) == int(keep.sum()) >= 8


def test_a_stretch_of_the_aspect_still_agrees() -> None:
    rng = np.random.default_rng(2)
    q, s = transformed(rng, 15, 0.9, 0.0, (5.0, 5.0), stretch=1.1)
    assert agreeing(q, s) >= 10


def test_scattered_hits_do_not_agree() -> None:
    rng = np.random.default_rng(3)
    worst = 0
    for _ in range(200):
        n = 6
        q = frames(rng.uniform(0, 256, n), rng.uniform(0, 256, n), rng.uniform(0, 5, n),
                   rng.uniform(0, 2 * math.pi, n))  # fmt: skip
        s = frames(rng.uniform(0, 256, n), rng.uniform(0, 256, n), rng.uniform(0, 5, n),
                   rng.uniform(0, 2 * math.pi, n))  # fmt: skip
        worst = max(worst, agreeing(q, s))
    assert worst <= 2


def test_a_patch_counts_once() -> None:
    rng = np.random.default_rng(4)
    q, s = transformed(rng, 1, 1.0, 0.0, (0.0, 0.0))
    # one query patch that hits the same stored patch eight times (a repeated query value)
    qs, ss = np.repeat(q, 8, axis=0), np.repeat(s, 8, axis=0)
    assert agreeing(qs, ss, np.arange(8), np.zeros(8, int)) == 1
    assert agreeing(qs, ss, np.zeros(8, int), np.arange(8)) == 1
    count, mask = agreement(qs, ss)
    assert count == 8 and mask.all()  # without ids every row is its own patch


def test_no_hits_no_agreement() -> None:
    empty = np.zeros((0, 4), np.int64)
    count, mask = agreement(empty, empty)
    assert count == 0 and mask.size == 0
    assert agreeing(empty, empty) == 0
