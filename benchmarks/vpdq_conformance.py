"""vPDQ against the reference C++ hasher's every-frame hashes of its 14 sample clips: the table.

Run by hand from the repository root, in the test environment:

    .venv/bin/python -m benchmarks.vpdq_conformance [--only-128]

For each clip, at full size and at 128x128 (the reference's downsampled files): frames (ours /
the reference's) and whether the frame numbers are identical, the per-frame PDQ distance
(median, 95th percentile, maximum; and the maximum over frames whose qualities are both >= 50),
the share of frames bit-identical, frames outside the reference's tolerance (distance >= 31 with
both qualities >= 50; the reference's rule says 0) and the largest quality difference.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
from tests.hashing.vpdq_conformance import CLIPS, CLIPS_128, compare, conformance_dir


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only-128", action="store_true", help="skip the full-size frames")
    args = parser.parse_args()
    directory = conformance_dir()
    if directory is None:
        print("the vPDQ conformance set is absent (HASHSTOP_VPDQ_CONFORMANCE_DIR)")
        return 1
    print(
        "| clip | size | frames (ours/ref) | same numbers | median | p95 | max | max q>=50 "
        "| identical | outside tolerance | quality gap |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    everything: dict[bool, list[np.ndarray]] = {False: [], True: []}
    for downsampled in [True] if args.only_128 else [False, True]:
        for clip in CLIPS_128 if downsampled else CLIPS:
            r = compare(directory, clip, downsampled=downsampled)
            d = r.distances
            good = d[r.both_good]
            everything[downsampled].append(d)
            print(
                f"| {clip} | {'128x128' if downsampled else 'full'} | "
                f"{len(r.ours)}/{len(r.reference)} | {r.same_frames} | {np.median(d):.0f} | "
                f"{np.percentile(d, 95):.0f} | {d.max()} | {good.max() if len(good) else '-'} | "
                f"{np.mean(d == 0):.0%} | {r.outside_tolerance} | {r.max_quality_gap} |",
                flush=True,
            )
    for downsampled, parts in everything.items():
        if parts:
            d = np.concatenate(parts)
            print(
                f"\nall frames, {'128x128' if downsampled else 'full size'}: {len(d)} frames, "
                f"median {np.median(d):.0f}, p95 {np.percentile(d, 95):.0f}, max {d.max()}, "
                f"identical {np.mean(d == 0):.1%}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
