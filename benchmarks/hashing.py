"""Per-image hashing time: the default path, the full-resolution path and the reference path.

Run by hand (never by pytest), from the repository root, in the test environment:

    .venv/bin/python benchmarks/hashing.py [--repeat 15]

Two images: a 12 MP phone photo from the conformance set (`exif-rotn-1.jpg`, 4032x3024, EXIF
orientation 1 so every path sees the same pixels) and a 1 MP JPEG made by resizing a conformance
photo into a temporary folder. Each repetition runs every path once on each image, interleaved,
so the machine's load (shared, 2 cores) hits all paths alike; the table gives medians.

- reference: what python-threatexchange does: Pillow decode, convert to RGB, `pdqhash.compute`
  (the C++ reference).
- default PDQ / full-res PDQ: our decode and PDQ only, the work the reference path does.
- default file / full-res file: `hash_file` end to end (adds pHash, MD5 and SHA-256).
- pdqhash on array / our PDQ on array: PDQ alone on the same decoded RGB array (decoded once,
  outside the timing): our numpy port of the exact algorithm against the C++ reference.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pdqhash
from PIL import Image

from hashstop.hashing import displayed_rgb, hash_file, open_image, pdq_from_rgb
from hashstop.hashing.decoding import opened_image
from hashstop.hashing.reduced import decode_reduced, pdq_from_reduced

ROOT = Path(__file__).resolve().parent.parent
PHOTO_12MP = ROOT / "tests/data/pdq-conformance/images/exif-rotn/exif-rotn-1.jpg"
SOURCE_1MP = ROOT / "tests/data/pdq-conformance/images/bridge-mods/aaa-orig.jpg"


def reference(path: Path) -> object:
    with Image.open(path) as image:
        rgb = np.asarray(image.convert("RGB"))
    return pdqhash.compute(rgb)


def default_pdq(path: Path) -> object:
    with opened_image(path) as image:
        reduced = decode_reduced(image)
        if reduced is not None:
            return pdq_from_reduced(reduced)
        return pdq_from_rgb(np.asarray(displayed_rgb(image)))


def full_resolution_pdq(path: Path) -> object:
    return pdq_from_rgb(np.asarray(open_image(path)))


_DECODED: dict[Path, np.ndarray] = {}


def decoded(path: Path) -> np.ndarray:
    if path not in _DECODED:
        _DECODED[path] = np.asarray(open_image(path))
    return _DECODED[path]


PATHS: dict[str, Callable[[Path], object]] = {
    "reference (decode + pdqhash)": reference,
    "default PDQ": default_pdq,
    "full-res PDQ": full_resolution_pdq,
    "default file (hash_file)": hash_file,
    "full-res file": lambda path: hash_file(path, full_resolution=True),
    "pdqhash on array": lambda path: pdqhash.compute(decoded(path)),
    "our PDQ on array": lambda path: pdq_from_rgb(decoded(path)),
}


def one_megapixel_jpeg(folder: Path) -> Path:
    path = folder / "bridge-1mp.jpg"
    with Image.open(SOURCE_1MP) as image:
        image.convert("RGB").resize((1260, 790), Image.Resampling.LANCZOS).save(path, quality=92)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15, help="repetitions (default 15)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        images = {"12 MP JPEG": PHOTO_12MP, "1 MP JPEG": one_megapixel_jpeg(Path(folder))}
        for path in images.values():  # warm up: caches, lazy imports, filter operators
            for run in PATHS.values():
                run(path)
        times: dict[tuple[str, str], list[float]] = {}
        for _ in range(args.repeat):
            for image_name, path in images.items():
                for path_name, run in PATHS.items():
                    start = time.perf_counter()
                    run(path)
                    times.setdefault((image_name, path_name), []).append(
                        time.perf_counter() - start
                    )
    print(f"median of {args.repeat} interleaved runs, milliseconds per image\n")
    print(f"| path | {' | '.join(images)} |")
    print(f"|---|{'---:|' * len(images)}")
    medians = {key: statistics.median(values) * 1000 for key, values in times.items()}
    for path_name in PATHS:
        cells = [f"{medians[(image, path_name)]:.1f}" for image in images]
        print(f"| {path_name} | {' | '.join(cells)} |")
    print()
    for image in images:
        ref = medians[(image, "reference (decode + pdqhash)")]
        ratios = ", ".join(
            f"{name}: {ref / medians[(image, name)]:.1f}x" for name in list(PATHS)[1:5]
        )
        print(f"{image}: reference time / path time = {ratios}")
        alone = medians[(image, "our PDQ on array")] / medians[(image, "pdqhash on array")]
        print(f"{image}: our exact PDQ takes {alone:.2f}x the C++ reference's time on an array")


if __name__ == "__main__":
    main()
