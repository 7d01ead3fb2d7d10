"""Randomised edits (issue 14): each parameter drawn per photo from a distribution, never a grid.

The grid edits of robustness_edits.py use exactly the parameters of a stored variant, so they
measure what the variants enumerate. These draw every parameter afresh for each photo from a
seeded generator: the crop of each side independently, the angle of a turn, the aspect of a
resize, where an overlay lands and how big it is, the colour and width of a border, and which two
edits are combined. Every edited copy then goes through what a re-post goes through: a resize to
a random long side (60-100% of the photo's) and a JPEG re-encode at a random quality (70-95).

Families (issue 14's list):
  - crop: each side independently 0-15%;
  - rotate, cropped to content: +-2..10 degrees, then the largest centred box without fill;
  - rotate, corners filled: +-2..10 degrees, canvas kept, uncovered corners in a random colour;
  - resize + crop: aspect 0.85-1.15 (one axis stretched), then each side 0-10% cropped;
  - overlay: a sticker (disc with a face), an emoji-like badge or a text block, 5-15% of the
    area, at a random place;
  - border: one random colour, 2-15% of the width and height on every side;
  - two edits combined: two distinct families above, in a random order.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFont

RandomEdit = Callable[[Image.Image, np.random.Generator], Image.Image]


@dataclass(frozen=True)
class RandomFamily:
    name: str
    edit: RandomEdit


def _crop_fractions(im: Image.Image, fr: tuple[float, float, float, float]) -> Image.Image:
    w, h = im.size
    left, top, right, bottom = fr
    box = (round(w * left), round(h * top), w - round(w * right), h - round(h * bottom))
    return im.crop(box)


def random_crop(im: Image.Image, rng: np.random.Generator) -> Image.Image:
    fr = rng.uniform(0.0, 0.15, 4)
    return _crop_fractions(im, (fr[0], fr[1], fr[2], fr[3]))


def _angle(rng: np.random.Generator) -> float:
    return float(rng.uniform(2.0, 10.0) * rng.choice([-1.0, 1.0]))


def random_rotate_inside(im: Image.Image, rng: np.random.Generator) -> Image.Image:
    """Turn, then keep the largest centred box of the same aspect that holds no fill."""
    degrees = _angle(rng)
    w, h = im.size
    turned = im.rotate(degrees, resample=Image.Resampling.BICUBIC, expand=False)
    a = math.radians(abs(degrees))
    zoom = math.cos(a) + max(w / h, h / w) * math.sin(a)
    cw, ch = w / zoom, h / zoom
    box = (round((w - cw) / 2), round((h - ch) / 2), round((w + cw) / 2), round((h + ch) / 2))
    return turned.crop(box)


def _colour(rng: np.random.Generator) -> tuple[int, int, int]:
    c = rng.integers(0, 256, 3)
    return int(c[0]), int(c[1]), int(c[2])


def random_rotate_corners(im: Image.Image, rng: np.random.Generator) -> Image.Image:
    """Turn with the canvas kept (or expanded, half the time); corners in a random colour."""
    degrees = _angle(rng)
    expand = bool(rng.integers(0, 2))
    return im.rotate(
        degrees, resample=Image.Resampling.BICUBIC, expand=expand, fillcolor=_colour(rng)
    )


def random_resize_crop(im: Image.Image, rng: np.random.Generator) -> Image.Image:
    aspect = float(rng.uniform(0.85, 1.15))
    w, h = im.size
    stretched = im.resize(
        (max(1, round(w * aspect)), h) if rng.integers(0, 2) else (w, max(1, round(h * aspect))),
        Image.Resampling.BICUBIC,
    )
    fr = rng.uniform(0.0, 0.10, 4)
    return _crop_fractions(stretched, (fr[0], fr[1], fr[2], fr[3]))


def _words(rng: np.random.Generator, n: int) -> str:
    words = ["look", "at", "this", "wow", "lol", "omg", "new", "post", "see", "her", "him", "2am"]
    return " ".join(words[int(i)] for i in rng.integers(0, len(words), n))


def random_overlay(im: Image.Image, rng: np.random.Generator) -> Image.Image:
    """A sticker, emoji-like badge or text block over 5-15% of the area, anywhere on the photo."""
    out = im.copy()
    w, h = out.size
    area = float(rng.uniform(0.05, 0.15)) * w * h
    kind = int(rng.integers(0, 3))
    aspect = 1.0 if kind < 2 else float(rng.uniform(1.5, 4.0))
    ow = min(w, max(4, round(math.sqrt(area * aspect))))
    oh = min(h, max(4, round(area / ow)))
    x0 = int(rng.integers(0, max(1, w - ow + 1)))
    y0 = int(rng.integers(0, max(1, h - oh + 1)))
    draw = ImageDraw.Draw(out)
    fill = _colour(rng)
    if kind == 0:  # a sticker: a disc with a face
        draw.ellipse(
            (x0, y0, x0 + ow, y0 + oh), fill=fill, outline=(0, 0, 0), width=max(1, ow // 30)
        )
        ex, ey, r = ow * 0.3, oh * 0.35, max(1, ow // 12)
        for cx in (x0 + ex, x0 + ow - ex):
            draw.ellipse((cx - r, y0 + ey - r, cx + r, y0 + ey + r), fill=(0, 0, 0))
        draw.arc(
            (x0 + ow * 0.25, y0 + oh * 0.4, x0 + ow * 0.75, y0 + oh * 0.8),
            20,
            160,
            fill=(0, 0, 0),
            width=max(1, ow // 25),
        )
    elif kind == 1:  # an emoji-like badge: a rounded square with a heart
        draw.rounded_rectangle((x0, y0, x0 + ow, y0 + oh), radius=ow // 5, fill=fill)
        heart = _colour(rng)
        s = ow * 0.25
        cx, cy = x0 + ow / 2, y0 + oh / 2
        draw.ellipse((cx - 2 * s, cy - s * 1.2, cx, cy + s * 0.6), fill=heart)
        draw.ellipse((cx, cy - s * 1.2, cx + 2 * s, cy + s * 0.6), fill=heart)
        draw.polygon([(cx - 1.9 * s, cy), (cx + 1.9 * s, cy), (cx, cy + 1.9 * s)], fill=heart)
    else:  # a text block
        draw.rectangle((x0, y0, x0 + ow, y0 + oh), fill=fill)
        ink = (0, 0, 0) if sum(fill) > 380 else (255, 255, 255)
        lines = max(1, min(4, oh // 20))
        font = ImageFont.load_default(size=max(8, int(oh / lines * 0.6)))
        for k in range(lines):
            y = y0 + (k + 0.5) * oh / lines
            draw.text((x0 + 4, y), _words(rng, 4), fill=ink, font=font, anchor="lm")
    return out


def random_border(im: Image.Image, rng: np.random.Generator) -> Image.Image:
    w, h = im.size
    f = float(rng.uniform(0.02, 0.15))
    bw, bh = max(1, round(w * f)), max(1, round(h * f))
    canvas = Image.new("RGB", (w + 2 * bw, h + 2 * bh), _colour(rng))
    canvas.paste(im, (bw, bh))
    return canvas


SINGLE: tuple[RandomFamily, ...] = (
    RandomFamily("crop 0-15% each side", random_crop),
    RandomFamily("rotate 2-10 deg, cropped to content", random_rotate_inside),
    RandomFamily("rotate 2-10 deg, corners filled", random_rotate_corners),
    RandomFamily("resize aspect 0.85-1.15 + crop 0-10%", random_resize_crop),
    RandomFamily("overlay 5-15% of the area", random_overlay),
    RandomFamily("border 2-15%, random colour", random_border),
)


def combined(im: Image.Image, rng: np.random.Generator) -> Image.Image:
    first, second = rng.choice(len(SINGLE), 2, replace=False)
    return SINGLE[int(second)].edit(SINGLE[int(first)].edit(im, rng), rng)


def repost(im: Image.Image, rng: np.random.Generator) -> Image.Image:
    """What a re-post goes through after the edit: a resize to 60-100% and JPEG q70-95."""
    f = float(rng.uniform(0.6, 1.0))
    w, h = im.size
    out = im.resize((max(8, round(w * f)), max(8, round(h * f))), Image.Resampling.BICUBIC)
    buf = io.BytesIO()
    out.save(buf, format="JPEG", quality=int(rng.integers(70, 96)))
    buf.seek(0)
    with Image.open(buf) as decoded:
        return decoded.convert("RGB")


FAMILIES: tuple[RandomFamily, ...] = (
    *SINGLE,
    RandomFamily("two edits combined", combined),
)


def edited_copy(family: RandomFamily, im: Image.Image, rng: np.random.Generator) -> Image.Image:
    """The family's edit with its parameters drawn from `rng`, then re-posted."""
    return repost(family.edit(im.convert("RGB"), rng), rng)
