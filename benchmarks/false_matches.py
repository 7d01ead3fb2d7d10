"""False PDQ matches per upload at N stored hashes, from the left tail of unrelated distances.

    .venv/bin/python -m benchmarks.false_matches [--n 1000000 10000000]

Every photo `benchmarks/robustness_photos.py` finds installed (held-out and development sets;
`pip install -e '.[bench]'` and the Debian wallpaper packages it lists add photos, people's
faces among them from insightface and scikit-image) is hashed as the service would see it: the
victim's stored PDQ variants (`photo_variants`) and an upload's PDQ query hashes
(`query_hashes`, local hashes left out: they match only when several agree on one transform).
For every ordered pair of distinct photos, every stored variant of one is compared with every
query hash of the other: these are unrelated comparisons, the ones a false match comes from.

Printed: the number of photos, pairs and comparisons; the smallest unrelated distances; how
many comparisons fall at or under 31, 47, 63 and 79 bits; and an estimate of the chance that
one comparison is at or under 31, extrapolated from the left tail (a straight line through
log10 of the empirical CDF at its 0.01%, 0.1% and 1% quantiles, in distance), with the expected
false matches per upload at each N: N x (query hashes per upload) x that chance.

What it does not cover: photos of the same scene or person (they are left out as true
matches would be), intimate images (none ship in packages), and the tail beyond what the
extrapolation assumes: with a few thousand pairs, the measured counts at 31 are 0 and the
estimate is a model, not a measurement.
"""

from __future__ import annotations

import argparse
import json
import math
import sys

import numpy as np

from benchmarks.robustness_photos import candidate_photos, dev_photos, load_photo
from hashstop.hashing import photo_variants, query_hashes

THRESHOLD = 31


def _packed(values: list[str]) -> np.ndarray:
    return np.array([np.frombuffer(bytes.fromhex(v), np.uint8) for v in values])


def unrelated_distances(stored: list[np.ndarray], query: list[np.ndarray]) -> np.ndarray:
    """Every distance between one photo's stored variants and another photo's query hashes."""
    out = []
    for i, s in enumerate(stored):
        for j, q in enumerate(query):
            if i != j:
                x = np.bitwise_xor(s[:, None, :], q[None, :, :])
                out.append(np.unpackbits(x, axis=2).sum(axis=2).ravel())
    return np.concatenate(out)


def tail_estimate(d: np.ndarray, at: int = THRESHOLD) -> tuple[float, list[tuple[float, float]]]:
    """log10 CDF fitted as a line through the 0.01%, 0.1% and 1% quantiles, evaluated at `at`."""
    points = []
    for q in (1e-4, 1e-3, 1e-2):
        x = float(np.quantile(d, q))
        points.append((x, math.log10(max(float(np.mean(d <= x)), 1 / len(d)))))
    xs, ys = np.array([p[0] for p in points]), np.array([p[1] for p in points])
    if np.ptp(xs) == 0:
        return float("nan"), points
    slope, intercept = np.polyfit(xs, ys, 1)
    return float(10 ** (slope * at + intercept)), points


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, nargs="+", default=[100_000, 1_000_000, 10_000_000])
    args = parser.parse_args()
    held, missing = candidate_photos()
    dev, missing_dev = dev_photos()
    photos = {p.name: p for p in [*held, *dev]}
    stored: list[np.ndarray] = []
    query: list[np.ndarray] = []
    sources: dict[str, int] = {}
    skipped: list[str] = []
    for photo in photos.values():
        image = load_photo(photo)
        kept = [v.pdq.hex for v in photo_variants(image)]
        asked = [h for a, h in query_hashes(image, local=False) if a == "pdq"]
        if not kept or not asked:  # too flat for PDQ: nothing stored, nothing to compare
            skipped.append(photo.name)
            continue
        stored.append(_packed(kept))
        query.append(_packed(asked))
        sources[photo.source] = sources.get(photo.source, 0) + 1
    d = unrelated_distances(stored, query)
    chance, points = tail_estimate(d)
    per_upload = float(np.mean([len(q) for q in query]))
    print(
        json.dumps(
            {
                "photos": len(stored),
                "skipped_no_pdq": skipped,
                "sources": sources,
                "not_installed": len(missing) + len(missing_dev),
                "ordered_pairs": len(stored) * (len(stored) - 1),
                "comparisons": int(d.size),
                "stored_variants_per_photo": float(np.mean([len(s) for s in stored])),
                "query_hashes_per_upload": per_upload,
                "smallest": sorted(int(x) for x in np.partition(d, 5)[:5]),
                "at_or_under": {t: int((d <= t).sum()) for t in (31, 47, 63, 79)},
                "tail_points": [(round(x, 1), round(y, 2)) for x, y in points],
                "chance_per_comparison_at_31": chance,
                "false_matches_per_upload": {n: n * per_upload * chance for n in args.n},
            },
            indent=1,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
