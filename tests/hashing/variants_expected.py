"""A regression snapshot: the variants and query hashes of a few conformance images, recorded
from this package's own code, for every implementation of variants.json (the JavaScript client
compares against the same file). Agreeing with it shows that nothing changed, not that the
hashes are right: `tests/hashing/test_variants_reference.py` checks the stored variants against
an independent reference (Pillow's operations and Meta's C++ PDQ).

The file changes only when variants.json or PDQ does; then regenerate it on purpose:
    .venv/bin/python -m tests.hashing.variants_expected
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from PIL import Image, ImageOps

from hashstop.hashing import local_hashes, photo_variants, query_hashes
from hashstop.hashing.variant_spec import load_spec

REPO_ROOT = Path(__file__).resolve().parents[2]
EXPECTED = REPO_ROOT / "tests" / "data" / "variants-expected.json"
IMAGES = [
    "images/misc/pen-and-coaster.png",  # lossless: every decoder gives the same pixels
    "images/bridge-mods/aaa-orig.jpg",  # 1600 px wide: exercises the working copy
    "images/labelme-subset/q1050.jpg",
]


def compute(conformance_dir: Path) -> dict[str, Any]:
    cases = []
    for name in IMAGES:
        with Image.open(conformance_dir / name) as im:
            image = ImageOps.exif_transpose(im).convert("RGB")
        cases.append(
            {
                "file": name,
                "variants": [
                    {"name": v.name, "pdq": v.pdq.hex, "pdq_quality": v.quality}
                    for v in photo_variants(image)
                ],
                "query_hashes": [
                    {"algorithm": a, "value": v} for a, v in query_hashes(image, local=False)
                ],
                "local_hashes": [h.hex for h in local_hashes(image)],
            }
        )
    return {
        "about": "A regression snapshot, recorded from hashstop's own code (see "
        "tests/hashing/test_variants_reference.py for the independent reference): "
        "photo_variants and query_hashes of conformance images (paths relative to "
        "tests/data/pdq-conformance), decoded as displayed and converted to RGB by Pillow. "
        "Hashes of resampled variants (rotate) may differ by a few bits in another implementation",
        "variants_version": load_spec().version,
        "cases": cases,
    }


if __name__ == "__main__":
    from tests.conftest import CONFORMANCE_DIR

    EXPECTED.write_text(json.dumps(compute(CONFORMANCE_DIR), indent=1) + "\n")
    print(f"wrote {EXPECTED}")  # noqa: T201
