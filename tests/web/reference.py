"""The reference side of the browser tests: pixels as Python decodes them, hashes as `pdqhash`
(the C++ reference) computes them, in the hex the JavaScript returns."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pdqhash
from PIL import Image, ImageOps

RGB = npt.NDArray[np.uint8]


def displayed_rgb(path: Path) -> RGB:
    """The image as expected.json's `pdq` was computed: EXIF orientation applied, then RGB."""
    with Image.open(path) as image:
        return np.asarray(ImageOps.exif_transpose(image).convert("RGB"), dtype=np.uint8)


def bits_to_hex(bits: Any) -> str:
    """pdqhash's bit vector (most significant first) as the 64-hex string."""
    return bytes(np.packbits(np.asarray(bits, dtype=np.uint8))).hex()


def reference_pdq(rgb: RGB) -> tuple[str, int, list[str]]:
    """(hash, quality, the 8 dihedral hashes) from the C++ reference."""
    rgb = np.ascontiguousarray(rgb)
    bits, quality = pdqhash.compute(rgb)
    dihedral, _ = pdqhash.compute_dihedral(rgb)
    return bits_to_hex(bits), int(quality), [bits_to_hex(b) for b in dihedral]


def reference_dct_matrix() -> npt.NDArray[np.float32]:
    """The reference's 16x64 DCT matrix: float scale times double cosine, rounded to float."""
    scale = np.float32(math.sqrt(2.0 / 64))
    matrix = np.empty((16, 64), dtype=np.float32)
    for i in range(16):
        for j in range(64):
            matrix[i, j] = np.float32(
                float(scale) * math.cos(math.pi / 2.0 / 64 * (i + 1) * (2 * j + 1))
            )
    return matrix


def hamming(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()
