"""The local index: hits grouped by photo, a photo reported only when enough of its hits agree
on one transform, exactly what a brute-force scan with the same rule finds; removals hold."""

from __future__ import annotations

import math

import numpy as np

from hashstop.matching.geometry import agreement
from hashstop.matching.local_index import LocalIndex, frames_of
from tests.matching.test_geometry import transformed


def values(codes: np.ndarray, frames: np.ndarray) -> list[bytes]:
    word = (frames[:, 0] << 22) | (frames[:, 1] << 12) | (frames[:, 2] << 6) | frames[:, 3]
    return [c.tobytes() + int(w).to_bytes(4, "big") for c, w in zip(codes, word, strict=True)]


def flip(codes: np.ndarray, rng: np.random.Generator, bits: int) -> np.ndarray:
    out = codes.copy()
    for row in out:
        for b in rng.choice(64, bits, replace=False):
            row[b // 8] ^= 1 << (b % 8)
    return out


def brute(stored_codes, stored_frames, photos, query_codes, query_frames, r, m):
    d = np.bitwise_count(query_codes[:, None, :] ^ stored_codes[None, :, :]).sum(axis=2)
    qi, si = np.nonzero(d <= r)
    found = set()
    for p in set(photos[si].tolist()):
        sel = photos[si] == p
        count, mask = agreement(query_frames[qi[sel]], stored_frames[si[sel]], qi[sel], si[sel])
        if count >= m:
            found |= {int(i) for i in si[sel][mask]}
    return found


def test_search_is_brute_force_with_the_rule() -> None:
    rng = np.random.default_rng(5)
    n_photos, per = 40, 24
    codes = rng.integers(0, 256, (n_photos * per, 8), dtype=np.uint8)
    frames_s = np.concatenate(
        [transformed(rng, per, 1.0, 0.0, (0.0, 0.0))[1] for _ in range(n_photos)]
    )
    photos = np.repeat(np.arange(n_photos), per)
    index = LocalIndex(engine="numpy")
    index.add(list(range(len(codes))), values(codes, frames_s), photos.tolist())
    # the upload: photo 7 cropped and turned (its patches moved by one transform, bits flipped)
    q, s = transformed(rng, per, 0.9, math.radians(6), (12.0, -4.0))
    stored_rows = np.arange(7 * per, 8 * per)
    frames_s2 = frames_s.copy()
    frames_s2[stored_rows] = s
    index.add(stored_rows.tolist(), values(codes[stored_rows], s), [7] * per)
    query_codes = flip(codes[stored_rows][:20], rng, 5)
    noise = rng.integers(0, 256, (20, 8), dtype=np.uint8)
    qc = np.concatenate([query_codes, noise])
    qf = np.concatenate([q[:20], transformed(rng, 20, 1.0, 0.0, (0, 0))[0]])
    hits = index.search(values(qc, qf), 7, 4)
    assert {h.photo for h in hits} == {7}
    assert {h.hash_id for h in hits} == brute(codes, frames_s2, photos, qc, qf, 7, 4)
    assert len(hits) >= 15
    # withdrawn: nothing of photo 7 is found any more
    index.remove(stored_rows.tolist())
    assert index.search(values(qc, qf), 7, 4) == []


def test_too_few_agreeing_hits_match_nothing() -> None:
    rng = np.random.default_rng(6)
    codes = rng.integers(0, 256, (10, 8), dtype=np.uint8)
    q, s = transformed(rng, 10, 1.0, 0.0, (0.0, 0.0))
    index = LocalIndex(engine="numpy")
    index.add(list(range(10)), values(codes, s), [1] * 10)
    assert len(index.search(values(codes[:4], q[:4]), 0, 4)) == 4
    assert index.search(values(codes[:3], q[:3]), 0, 4) == []
    # the same 4 patches, scattered: the codes hit but the geometry does not agree
    scattered = q[:4].copy()
    scattered[:, 0] = [10, 900, 40, 700]
    scattered[:, 3] = [0, 20, 40, 60]
    assert index.search(values(codes[:4], scattered), 0, 4) == []


def test_frames_round_trip() -> None:
    frames = np.array([[1023, 0, 63, 5], [0, 1023, 0, 63], [512, 256, 31, 32]])
    raw = np.frombuffer(b"".join(values(np.zeros((3, 8), np.uint8), frames)), np.uint8)
    assert (frames_of(raw.reshape(3, 12)) == frames).all()
