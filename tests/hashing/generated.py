"""Generated test images: seeded, synthetic, never real imagery."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Rgb = npt.NDArray[np.uint8]


def noise(rng: np.random.Generator, rows: int, cols: int) -> Rgb:
    """Uniform noise: every coefficient different, median well defined."""
    return rng.integers(0, 256, (rows, cols, 3), dtype=np.uint8)


def scene(rng: np.random.Generator, rows: int, cols: int) -> Rgb:
    """Smooth gradients and blobs with a little noise: photo-like low frequencies."""
    y = np.linspace(0.0, 1.0, rows)[:, None]
    x = np.linspace(0.0, 1.0, cols)[None, :]
    image = np.empty((rows, cols, 3))
    for channel in range(3):
        fx, fy, phase = rng.uniform(0.5, 4.0), rng.uniform(0.5, 4.0), rng.uniform(0, 6.3)
        image[:, :, channel] = 128 + 90 * np.sin(fx * 6.3 * x + phase) * np.cos(fy * 6.3 * y)
    image += rng.normal(0.0, 6.0, image.shape)
    return np.clip(image, 0, 255).astype(np.uint8)


def blocks(rng: np.random.Generator, rows: int, cols: int) -> Rgb:
    """A few flat rectangles: long runs of equal values and many tied coefficients."""
    image = np.full((rows, cols, 3), rng.integers(0, 256, 3), dtype=np.uint8)
    for _ in range(4):
        r0, c0 = rng.integers(0, rows), rng.integers(0, cols)
        image[r0 : r0 + rows // 3 + 1, c0 : c0 + cols // 3 + 1] = rng.integers(0, 256, 3)
    return image


def flat(rng: np.random.Generator, rows: int, cols: int) -> Rgb:
    """One colour: the degenerate case (all coefficients near zero, ties at the median)."""
    return np.full((rows, cols, 3), rng.integers(0, 256, 3), dtype=np.uint8)


KINDS = {"noise": noise, "scene": scene, "blocks": blocks, "flat": flat}
