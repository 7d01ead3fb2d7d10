"""Time the stored variants (`photo_variants`), the stored local hashes (`local_hashes`, issue
14) and the query hashes (`query_hashes`, PDQ and local) of a 12 MP phone photo, and check that
they are what they were.

    .venv/bin/python -m benchmarks.variants [--repeat 5] [--profile]

The photo is the conformance set's `exif-rotn-1.jpg` (4032x3024), decoded once; the times are
of hashing the decoded pixels (decoding is `benchmarks/hashing.py`'s business). Medians of
`--repeat` runs after one warm-up, wall-clock and CPU time (on a shared machine the CPU time is
the steadier figure). `--profile` prints a pyinstrument profile of one run of each. To compare
with an older version, run this script with `PYTHONPATH=<old checkout>/src`: the output digests
must be equal.
The hashes themselves are pinned by tests/data/variants-expected.json and the tests.
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import time
from pathlib import Path

import numpy as np

from hashstop.hashing import local_hashes, open_image, photo_variants, query_hashes

ROOT = Path(__file__).resolve().parents[1]
PHOTO_12MP = ROOT / "tests/data/pdq-conformance/images/exif-rotn/exif-rotn-1.jpg"


def _median_seconds(run: object, rgb: np.ndarray, repeat: int) -> tuple[float, float, str]:
    """Median wall-clock and CPU seconds of `run(rgb)`, and a digest of its output."""
    assert callable(run)  # noqa: S101 - a benchmark's own argument
    result = run(rgb)  # warm-up; also the fingerprint of the output
    digest = hashlib.sha256(repr(result).encode()).hexdigest()[:12]
    wall, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        run(rgb)
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(wall), statistics.median(cpu), digest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    rgb = np.asarray(open_image(PHOTO_12MP))
    print(f"photo: {PHOTO_12MP.name}, {rgb.shape[1]}x{rgb.shape[0]}")  # noqa: T201

    def query_pdq_only(image: np.ndarray) -> object:
        return query_hashes(image, local=False)

    runs = (
        ("photo_variants", photo_variants),
        ("local_hashes", local_hashes),
        ("query_hashes", query_hashes),
        ("query (PDQ only)", query_pdq_only),
    )
    for name, run in runs:
        if args.profile:
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.001)
            with profiler:
                run(rgb)
            print(profiler.output_text(unicode=False, color=False, show_all=False))  # noqa: T201
            continue
        wall, cpu, digest = _median_seconds(run, rgb, args.repeat)
        print(  # noqa: T201
            f"{name:<16} median {wall:.3f} s wall, {cpu:.3f} s CPU over {args.repeat} runs,"
            f" output {digest}"
        )


if __name__ == "__main__":
    main()
