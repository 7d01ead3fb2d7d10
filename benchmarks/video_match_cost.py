"""Cost of matching one video upload: its frame hashes against many stored videos' frames.

Run by hand from the repository root, in the test environment:

    .venv/bin/python -m benchmarks.video_match_cost [--videos 10000] [--frames 600] [--uploads 20]

Issue 13's target: one 600-frame query against 10,000 stored videos of 600 frames, p50 under
100 ms. The stored frames are synthetic codes shaped like a video's: each video a random walk
(every frame a few bits from the one before, so that neighbouring frames sit close together as
they do in real footage), all in one `HammingIndex` as the service keeps them. Each upload is
searched as the service searches a video item: its frames in one call at distance 31, then the
videos hit are scored by the vPDQ shares from the hits (query frames with a hit in the video,
the video's frames hit), each against 0.2. The first re-encode is also checked against
`hashstop.matching.video.shares` by brute force. Two kinds of upload, interleaved: a re-encode
of a stored video (each frame a few bits off) and an unrelated video (another random walk).
Printed: build time, memory, and per upload the p50 and p90 of the search and of search plus
scoring, one thread.

What it does not cover: the database count of a hit video's active frames the service adds for
a request that matched (one grouped query), HTTP, and real frame hashes (the walk's step is an
assumption: 6 bits a frame).
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import numpy.typing as npt

from hashstop.matching import HammingIndex, wait_until_compiled
from hashstop.matching.video import shares

Codes = npt.NDArray[np.uint8]


def walk(rng: np.random.Generator, frames: int, step_bits: int = 6) -> Codes:
    """`frames` codes of 32 bytes, each `step_bits` random bits away from the one before."""
    bits = np.empty((frames, 256), dtype=np.uint8)
    current = rng.integers(0, 2, 256, dtype=np.uint8)
    for i in range(frames):
        current = current.copy()
        current[rng.choice(256, step_bits, replace=False)] ^= 1
        bits[i] = current
    packed: Codes = np.packbits(bits, axis=1)
    return packed


def reencoded(rng: np.random.Generator, video: Codes, flip_bits: int = 10) -> Codes:
    bits = np.unpackbits(video, axis=1)
    for row in bits:
        row[rng.choice(256, flip_bits, replace=False)] ^= 1
    packed: Codes = np.packbits(bits, axis=1)
    return packed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", type=int, default=10_000)
    parser.add_argument("--frames", type=int, default=600)
    parser.add_argument("--uploads", type=int, default=20, help="of each kind")
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)

    started = time.perf_counter()
    videos = [walk(rng, args.frames) for _ in range(args.videos)]
    made = time.perf_counter() - started
    index = HammingIndex(256, engine="compiled")
    wait_until_compiled()
    started = time.perf_counter()
    codes = np.concatenate(videos)
    index.add(np.arange(len(codes), dtype=np.int64), codes)
    built = time.perf_counter() - started
    print(
        f"{args.videos:,} videos x {args.frames} frames = {len(codes):,} codes "
        f"(made in {made:.0f} s); index built in {built:.1f} s, "
        f"{index.memory_bytes() / 2**20:,.0f} MB"
    )

    timings: dict[str, list[tuple[float, float]]] = {"re-encode": [], "unrelated": []}
    outcome: dict[str, list[bool]] = {"re-encode": [], "unrelated": []}
    index.search(walk(rng, 4), 31)  # first call out of the timings
    for u in range(args.uploads):
        target = int(rng.integers(args.videos))
        for kind, query in (
            ("re-encode", reencoded(rng, videos[target])),
            ("unrelated", walk(rng, args.frames)),
        ):
            t0 = time.perf_counter()
            hits = index.search(query, 31)
            t1 = time.perf_counter()
            # The shares from the hits, as the service scores them (it counts a hit video's
            # active frames in the database; here every video has `frames`).
            query_frames: dict[int, set[int]] = {}
            stored_frames: dict[int, set[int]] = {}
            for q, found in enumerate(hits):
                for i, _ in found:
                    v = int(i) // args.frames
                    query_frames.setdefault(v, set()).add(q)
                    stored_frames.setdefault(v, set()).add(int(i))
            matched = any(
                len(query_frames[v]) / len(query) >= 0.2
                and len(stored_frames[v]) / args.frames >= 0.2
                for v in query_frames
            )
            t2 = time.perf_counter()
            if u == 0 and kind == "re-encode":
                brute = shares(query, videos[target])
                from_hits = (
                    len(query_frames.get(target, ())) / len(query),
                    len(stored_frames.get(target, ())) / args.frames,
                )
                assert np.allclose(brute, from_hits), (brute, from_hits)
            timings[kind].append((t1 - t0, t2 - t0))
            outcome[kind].append(matched)
    for kind, pairs in timings.items():
        search = sorted(1000 * a for a, _ in pairs)
        whole = sorted(1000 * b for _, b in pairs)
        p90 = max(0, int(0.9 * len(pairs)) - 1)
        print(
            f"{kind:10} matched {sum(outcome[kind])} of {len(pairs)}; search p50 "
            f"{statistics.median(search):.1f} ms (p90 {search[p90]:.1f}), with scoring p50 "
            f"{statistics.median(whole):.1f} ms (p90 {whole[p90]:.1f})"
        )


if __name__ == "__main__":
    main()
