"""What local hashes cost a platform's upload at scale: matching time per upload, side by side.

Issue 14's cost target: per-upload matching time at 1,000,000 stored photos on one core, at most
2x today's design at the same count. Both designs are built in one process and timed on the
same uploads, alternating (today, then issue 14, upload by upload), so machine load hits both:

  - today (issue 8): `--pdq-per-photo` (19) stored PDQ hashes per photo in a 256-bit index; an
    upload sends `--query-pdq` (16) PDQ hashes, searched at distance 31;
  - issue 14: the same, plus `--local-per-photo` (48) local hashes per photo in a 64-bit index;
    the upload also sends `--query-local` (48), searched at `LOCAL_MAX_DISTANCE`, then the hits
    are grouped by photo and every photo with at least `MIN_AGREEING` hits goes through the
    geometric check (`hashstop.matching.geometry.agreeing`).

Codes are uniform random (an upload matching nothing: the common case, and the costly one for
an exact index; hits are rare). Real patch hashes are not uniform: `--real` measures how much
more often two real local hashes share a 16-bit chunk than uniform codes do (the candidates per
query scale with that factor) from the photos of the robustness benchmark, and prints it.

    .venv/bin/python benchmarks/local_cost.py --photos 1000000        # ~6 GB of memory
    .venv/bin/python benchmarks/local_cost.py --photos 100000 --uploads 300
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from hashstop.matching import HammingIndex
from hashstop.matching.geometry import LOCAL_MAX_DISTANCE, MIN_AGREEING, agreeing

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _build(bits: int, n: int, rng: np.random.Generator, chunk: int = 4_000_000) -> HammingIndex:
    index = HammingIndex(bits, engine="compiled")
    start = 0
    while start < n:
        k = min(chunk, n - start)
        ids = np.arange(start, start + k, dtype=np.int64)
        index.add(ids, rng.integers(0, 256, (k, bits // 8), dtype=np.uint8))
        start += k
    index.compact()
    return index


def _local_match(
    index: HammingIndex, queries: np.ndarray, frames: np.ndarray, per_photo: int, radius: int
) -> tuple[int, int]:
    """Search, group the hits by photo, check geometry where enough hits landed: (hits,
    photos checked)."""
    found = index.search(queries, radius)
    q_rows = [q for q, hits in enumerate(found) for _ in hits]
    ids = np.array([i for hits in found for i, _ in hits], dtype=np.int64)
    if not ids.size:
        return 0, 0
    photos = ids // per_photo
    order = np.argsort(photos, kind="stable")
    photos, ids, q_rows_a = photos[order], ids[order], np.asarray(q_rows)[order]
    starts = np.flatnonzero(np.r_[True, photos[1:] != photos[:-1]])
    ends = np.r_[starts[1:], photos.size]
    checked = 0
    for a, b in zip(starts, ends, strict=True):
        if b - a >= MIN_AGREEING:
            checked += 1
            stored = frames[ids[a:b] % len(frames)]
            agreeing(frames[q_rows_a[a:b] % len(frames)], stored, q_rows_a[a:b], ids[a:b])
    return int(ids.size), checked


def _real_chunk_factor() -> float | None:
    """How much likelier two real local hashes share a 16-bit chunk than uniform codes."""
    from benchmarks.robustness_photos import candidate_photos, dev_photos, load_photo
    from hashstop.hashing.local import local_hashes_of_rgb

    photos = dev_photos()[0] + candidate_photos()[0]
    codes = []
    for p in photos:
        for h in local_hashes_of_rgb(np.asarray(load_photo(p)), 48):
            codes.append(np.frombuffer(h.code, np.uint8))
    if len(codes) < 100:
        return None
    c = np.array(codes).view(">u2")  # (n, 4) chunks
    factors = []
    for j in range(c.shape[1]):
        _, counts = np.unique(c[:, j], return_counts=True)
        n = c.shape[0]
        same = float((counts * (counts - 1)).sum()) / (n * (n - 1))  # P(two share the chunk)
        factors.append(same * 65536)
    print(f"real local hashes: {len(codes)} from {len(photos)} photos")
    return float(np.mean(factors))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--photos", type=int, default=1_000_000)
    parser.add_argument("--pdq-per-photo", type=int, default=19)
    parser.add_argument("--local-per-photo", type=int, default=48)
    parser.add_argument("--query-pdq", type=int, default=16)
    parser.add_argument("--query-local", type=int, default=48)
    parser.add_argument("--uploads", type=int, default=200)
    parser.add_argument(
        "--radius",
        type=lambda text: [int(v) for v in text.split(",")],
        default=[LOCAL_MAX_DISTANCE],
        help="local distance(s), comma-separated: each timed on the same uploads",
    )
    parser.add_argument("--real", action="store_true", help="measure real codes' chunk skew")
    args = parser.parse_args()
    rng = np.random.default_rng(14)
    if args.real:
        factor = _real_chunk_factor()
        print(f"chunk collision factor of real local hashes vs uniform: {factor:.2f}")
    t = time.perf_counter()
    pdq = _build(256, args.photos * args.pdq_per_photo, rng)
    print(f"pdq index: {len(pdq):,} codes, {pdq.memory_bytes() / 1e6:,.0f} MB, "
          f"{time.perf_counter() - t:.0f} s")  # fmt: skip
    gc.collect()
    t = time.perf_counter()
    local = _build(64, args.photos * args.local_per_photo, rng)
    print(f"local index: {len(local):,} codes, {local.memory_bytes() / 1e6:,.0f} MB, "
          f"{time.perf_counter() - t:.0f} s")  # fmt: skip
    frames = np.stack(
        [rng.integers(0, 1024, 4096), rng.integers(0, 1024, 4096),
         rng.integers(0, 64, 4096), rng.integers(0, 64, 4096)], axis=1,
    )  # fmt: skip
    # warm up the compiled kernels
    pdq.search(rng.integers(0, 256, (2, 32), dtype=np.uint8), 31)
    for r in args.radius:
        local.search(rng.integers(0, 256, (2, 8), dtype=np.uint8), r)
    today: list[float] = []
    local_s: dict[int, list[float]] = {r: [] for r in args.radius}
    hits: dict[int, list[int]] = {r: [] for r in args.radius}
    for _ in range(args.uploads):
        qp = rng.integers(0, 256, (args.query_pdq, 32), dtype=np.uint8)
        ql = rng.integers(0, 256, (args.query_local, 8), dtype=np.uint8)
        t0 = time.perf_counter()
        pdq.search(qp, 31)
        today.append(time.perf_counter() - t0)
        for r in args.radius:  # the same upload's local hashes, at each distance in turn
            t0 = time.perf_counter()
            h, _ = _local_match(local, ql, frames, args.local_per_photo, r)
            local_s[r].append(time.perf_counter() - t0)
            hits[r].append(h)
    med_today = statistics.median(today)
    print(f"{args.photos:,} photos, {args.uploads} uploads, one core, medians:")
    print(f"  today (issue 8): {med_today * 1000:.2f} ms per upload "
          f"(p99 {np.percentile(today, 99) * 1000:.2f}), {args.query_pdq} PDQ queries")  # fmt: skip
    for r in args.radius:
        total = [a + b for a, b in zip(today, local_s[r], strict=True)]
        print(f"  issue 14, local distance {r}: {statistics.median(total) * 1000:.2f} ms per "
              f"upload (p99 {np.percentile(total, 99) * 1000:.2f}), of which local "
              f"{statistics.median(local_s[r]) * 1000:.2f} ms; ratio "
              f"{statistics.median(total) / med_today:.2f}x; local hits per upload median "
              f"{statistics.median(hits[r]):.0f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
