"""The vPDQ conformance set (ThreatExchange's sample clips and the C++ hasher's every-frame hashes)
and the comparison of our hashes with it, shared by the tests and benchmarks/vpdq_conformance.py.

The set is in the repository, beside the PDQ set (`tests/data/vpdq-conformance`, 26 MB of video
with the reference's hashes and licence), so a fresh clone runs it; `HASHSTOP_VPDQ_CONFORMANCE_DIR`
points elsewhere.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hashstop.hashing.video import VpdqFeature, parse_lines, vpdq_hash

REPO_ROOT = Path(__file__).resolve().parents[2]

REFERENCE_TOLERANCE = 31
"""The reference's own regression rule: frames whose qualities are both >= 50 lie closer than 31."""

REFERENCE_QUALITY = 50

CLIPS = (
    "chair-19-sd-bar",
    "chair-20-sd-bar",
    "chair-22-sd-grey-bar",
    "chair-22-sd-sepia-bar",
    "chair-22-with-large-logo-bar",
    "chair-22-with-small-logo-bar",
    "chair-orig-22-sd-bar",
    "doorknob-hd-no-bar",
    "pattern-hd-no-bar",
    "pattern-longer-no-bar",
    "pattern-sd-grey-bar",
    "pattern-sd-with-large-logo-bar",
    "pattern-sd-with-small-logo-bar",
    "test-padded-dimensions",
)

CLIPS_128 = tuple(c for c in CLIPS if c != "test-padded-dimensions")
"""The clips the reference also hashed at 128x128 (all but test-padded-dimensions)."""


def conformance_dir() -> Path | None:
    """Where the set is, or None."""
    candidates = [
        os.environ.get("HASHSTOP_VPDQ_CONFORMANCE_DIR", ""),
        str(REPO_ROOT / "tests" / "data" / "vpdq-conformance"),
    ]
    for parent in REPO_ROOT.parents:
        candidates.append(str(parent / "shared" / "vpdq-conformance"))
    for candidate in candidates:
        if candidate and (Path(candidate) / "videos").is_dir():
            return Path(candidate)
    return None


@dataclass(frozen=True)
class Comparison:
    """Our every-frame hashes of one clip against the reference's."""

    clip: str
    downsampled: bool
    ours: tuple[VpdqFeature, ...]
    reference: tuple[VpdqFeature, ...]

    @property
    def same_frames(self) -> bool:
        return [f.frame for f in self.ours] == [f.frame for f in self.reference]

    @property
    def distances(self) -> np.ndarray:
        return np.array(
            [a.pdq.distance(b.pdq) for a, b in zip(self.ours, self.reference, strict=False)]
        )

    @property
    def both_good(self) -> np.ndarray:
        return np.array(
            [
                a.quality >= REFERENCE_QUALITY and b.quality >= REFERENCE_QUALITY
                for a, b in zip(self.ours, self.reference, strict=False)
            ],
            dtype=bool,
        )

    @property
    def outside_tolerance(self) -> int:
        """Frames (both of quality >= 50) at distance >= 31: the reference's rule says 0."""
        return int((self.distances[self.both_good] >= REFERENCE_TOLERANCE).sum())

    @property
    def max_quality_gap(self) -> int:
        return max(
            abs(a.quality - b.quality) for a, b in zip(self.ours, self.reference, strict=False)
        )


def compare(directory: Path, clip: str, *, downsampled: bool = False) -> Comparison:
    """Hash `clip` at every frame (at 128x128 when `downsampled`) and pair it with the reference."""
    suffix = "-128x128" if downsampled else ""
    reference = parse_lines((directory / "hashes" / f"{clip}{suffix}.txt").read_text())
    ours = vpdq_hash(
        directory / "videos" / f"{clip}.mp4",
        seconds_per_hash=0,
        downsample=(128, 128) if downsampled else None,
    ).features
    return Comparison(clip, downsampled, tuple(ours), tuple(reference))
