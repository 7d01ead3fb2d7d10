"""Photo-like generated images for the variant and query tests: smooth random light and colour
with a few shapes, so PDQ quality is high and nothing real is needed."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFilter


def synthetic_photo(seed: int, width: int = 480, height: int = 360) -> Image.Image:
    """A seeded RGB image with smooth shading at several scales and some solid shapes."""
    rng = np.random.default_rng(seed)
    layers = []
    for cells in (4, 9, 23):
        coarse = rng.random((cells, cells, 3)) * 255
        img = Image.fromarray(coarse.astype(np.uint8)).resize(
            (width, height), Image.Resampling.BICUBIC
        )
        layers.append(np.asarray(img, dtype=np.float32))
    base = 0.5 * layers[0] + 0.3 * layers[1] + 0.2 * layers[2]
    # light and shade: real photos vary in brightness far more than random colours do
    light = layers[1].mean(axis=2, keepdims=True) / 255
    base = base * (0.25 + 1.5 * light)
    im = Image.fromarray(np.clip(base, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(im)
    for _ in range(6):
        x0, y0 = int(rng.integers(0, width - 40)), int(rng.integers(0, height - 40))
        x1, y1 = x0 + int(rng.integers(20, width // 3)), y0 + int(rng.integers(20, height // 3))
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        if rng.random() < 0.5:
            draw.ellipse((x0, y0, x1, y1), fill=colour)
        else:
            draw.rectangle((x0, y0, x1, y1), fill=colour)
    return im.filter(ImageFilter.GaussianBlur(1.5))
