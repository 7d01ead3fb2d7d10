"""Time the stored variants (`photo_variants`) and the query hashes (`query_hashes`) of a 12 MP
phone photo, and check that they are what they were.

    .venv/bin/python -m benchmarks.variants [--repeat 5] [--profile]

The photo is the conformance set's `exif-rotn-1.jpg` (4032x3024), decoded once; the times are
of hashing the decoded pixels (decoding is `benchmarks/hashing.py`'s business). Medians of
`--repeat` runs after one warm-up. `--profile` prints a pyinstrument profile of one run of each.
The hashes themselves are pinned by tests/data/variants-expected.json and the tests.
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import time
from pathlib import Path

import numpy as np

from hashstop.hashing import open_image, photo_variants, query_hashes

ROOT = Path(__file__).resolve().parents[1]
PHOTO_12MP = ROOT / "tests/data/pdq-conformance/images/exif-rotn/exif-rotn-1.jpg"


def _median_seconds(run: object, rgb: np.ndarray, repeat: int) -> tuple[float, str]:
    assert callable(run)  # noqa: S101 - a benchmark's own argument
    result = run(rgb)  # warm-up; also the fingerprint of the output
    digest = hashlib.sha256(repr(result).encode()).hexdigest()[:12]
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run(rgb)
        times.append(time.perf_counter() - start)
    return statistics.median(times), digest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    rgb = np.asarray(open_image(PHOTO_12MP))
    print(f"photo: {PHOTO_12MP.name}, {rgb.shape[1]}x{rgb.shape[0]}")  # noqa: T201
    for name, run in (("photo_variants", photo_variants), ("query_hashes", query_hashes)):
        if args.profile:
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.001)
            with profiler:
                run(rgb)
            print(profiler.output_text(unicode=False, color=False, show_all=False))  # noqa: T201
            continue
        seconds, digest = _median_seconds(run, rgb, args.repeat)
        print(f"{name:<15} median {seconds:.3f} s over {args.repeat} runs, output {digest}")  # noqa: T201


if __name__ == "__main__":
    main()
