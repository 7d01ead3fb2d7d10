"""The edits of the robustness benchmark: what a re-poster does to a photo before uploading it.

Exactly the list of issue 8. Each edit is a function of the photo and a seeded random generator,
so a run is reproducible. Lossy formats go through real encoders (Pillow's libjpeg and libwebp).
Edge crops are measured on every side of every photo (four copies per photo, one row).
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageFont, ImageOps

Edit = Callable[[Image.Image, np.random.Generator], Image.Image]


@dataclass(frozen=True)
class EditRow:
    """One row of the results table: one edit, or a family measured together (edge crops)."""

    name: str
    copies: tuple[tuple[str, Edit], ...]


def _encode(im: Image.Image, fmt: str, quality: int) -> Image.Image:
    buf = io.BytesIO()
    im.save(buf, format=fmt, quality=quality)
    buf.seek(0)
    with Image.open(buf) as out:
        return out.convert("RGB")


def _scale(im: Image.Image, factor: float) -> Image.Image:
    w, h = im.size
    size = (max(1, round(w * factor)), max(1, round(h * factor)))
    return im.resize(size, Image.Resampling.BICUBIC, reducing_gap=3.0)


def _thumbnail(im: Image.Image) -> Image.Image:
    out = im.copy()
    out.thumbnail((256, 256), Image.Resampling.LANCZOS)
    return out


def _crop(im: Image.Image, left: float, top: float, right: float, bottom: float) -> Image.Image:
    w, h = im.size
    return im.crop((round(w * left), round(h * top), w - round(w * right), h - round(h * bottom)))


def _straighten(im: Image.Image, degrees: float) -> Image.Image:
    """Rotate about the centre, then crop to the largest centred box of the same aspect ratio
    that holds no fill, resized back: what a phone's "straighten" tool does."""
    w, h = im.size
    rotated = im.rotate(degrees, resample=Image.Resampling.BICUBIC, expand=False)
    a = math.radians(abs(degrees))
    zoom = math.cos(a) + max(w / h, h / w) * math.sin(a)
    cw, ch = w / zoom, h / zoom
    box = (round((w - cw) / 2), round((h - ch) / 2), round((w + cw) / 2), round((h + ch) / 2))
    return rotated.crop(box).resize((w, h), Image.Resampling.BICUBIC)


def _noise(im: Image.Image, rng: np.random.Generator) -> Image.Image:
    a = np.asarray(im, dtype=np.float64)
    a = a + rng.normal(0.0, 12.0, a.shape)
    return Image.fromarray(np.clip(a + 0.5, 0, 255).astype(np.uint8))


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=max(8, size))


def _random_words(rng: np.random.Generator, n: int) -> str:
    words = ["look", "at", "this", "wow", "lol", "when", "you", "see", "it", "omg", "new", "post"]
    return " ".join(words[int(i)] for i in rng.integers(0, len(words), n)).upper()


def _caption_bar(im: Image.Image, rng: np.random.Generator) -> Image.Image:
    """A bar over the bottom tenth, black or white, with a line of text in the other colour."""
    out = im.copy()
    w, h = out.size
    bar_h = max(1, round(h * 0.10))
    dark = bool(rng.integers(0, 2))
    bg, fg = ((0, 0, 0), (255, 255, 255)) if dark else ((255, 255, 255), (0, 0, 0))
    draw = ImageDraw.Draw(out)
    draw.rectangle((0, h - bar_h, w, h), fill=bg)
    font = _font(int(bar_h * 0.6))
    draw.text((w // 2, h - bar_h // 2), _random_words(rng, 4), fill=fg, font=font, anchor="mm")
    return out


def _white_border(im: Image.Image) -> Image.Image:
    w, h = im.size
    return ImageOps.expand(im, border=(round(w * 0.1), round(h * 0.1)), fill=(255, 255, 255))


def _screenshot(im: Image.Image, rng: np.random.Generator) -> Image.Image:
    """The photo shown in a phone app, captured as a screenshot: a 720x1560 canvas (light or
    dark theme) with a status bar, a header with an avatar and a name, the photo across the
    full width, a row of buttons and two lines of comments; saved as PNG."""
    cw, ch = 720, 1560
    dark = bool(rng.integers(0, 2))
    bg, fg, bar = (
        ((0, 0, 0), (240, 240, 240), (20, 20, 20)) if dark else ((255,) * 3, (20,) * 3, (245,) * 3)
    )
    canvas = Image.new("RGB", (cw, ch), bg)
    draw = ImageDraw.Draw(canvas)
    draw.rectangle((0, 0, cw, 48), fill=bar)
    draw.text((24, 24), "9:41", fill=fg, font=_font(26), anchor="lm")
    for i in range(3):  # signal, wifi, battery
        draw.rectangle((cw - 130 + i * 38, 14, cw - 104 + i * 38, 34), fill=fg)
    draw.ellipse((20, 70, 84, 134), fill=tuple(int(v) for v in rng.integers(60, 200, 3)))
    draw.text((100, 102), _random_words(rng, 2).lower(), fill=fg, font=_font(28), anchor="lm")
    w, h = im.size
    ph = round(h * cw / w)
    ph = min(ph, ch - 160 - 260)
    pw = round(w * ph / h)
    photo = im.resize((pw, ph), Image.Resampling.BICUBIC, reducing_gap=3.0)
    top = 156
    canvas.paste(photo, ((cw - pw) // 2, top))
    y = top + ph + 24
    for i in range(4):  # like, comment, share, save
        x = 24 + i * 64 if i < 3 else cw - 64
        draw.ellipse((x, y, x + 40, y + 40), outline=fg, width=4)
    draw.text((24, y + 80), _random_words(rng, 5).lower(), fill=fg, font=_font(26), anchor="lm")
    draw.text((24, y + 120), _random_words(rng, 6).lower(), fill=fg, font=_font(26), anchor="lm")
    buf = io.BytesIO()
    canvas.save(buf, format="PNG")
    buf.seek(0)
    with Image.open(buf) as out:
        return out.convert("RGB")


def _edge(side: str) -> Edit:
    cut = {"left": (0.15, 0, 0, 0), "top": (0, 0.15, 0, 0), "right": (0, 0, 0.15, 0)}
    fractions = cut.get(side, (0, 0, 0, 0.15))
    return lambda im, rng: _crop(im, *fractions)


def _one(name: str, edit: Edit) -> EditRow:
    return EditRow(name, ((name, edit),))


EDITS: tuple[EditRow, ...] = (
    _one("JPEG q70", lambda im, rng: _encode(im, "JPEG", 70)),
    _one("JPEG q30", lambda im, rng: _encode(im, "JPEG", 30)),
    _one("WebP q60", lambda im, rng: _encode(im, "WEBP", 60)),
    _one("scale 50%", lambda im, rng: _scale(im, 0.5)),
    _one("scale 20%", lambda im, rng: _scale(im, 0.2)),
    _one("thumbnail 256 px", lambda im, rng: _thumbnail(im)),
    _one("crop 5% per side", lambda im, rng: _crop(im, 0.05, 0.05, 0.05, 0.05)),
    _one("crop 10% per side", lambda im, rng: _crop(im, 0.10, 0.10, 0.10, 0.10)),
    EditRow(
        "edge crop 15% (each side)",
        tuple((f"edge crop 15% {s}", _edge(s)) for s in ("left", "top", "right", "bottom")),
    ),
    _one("rotate 3 degrees", lambda im, rng: _straighten(im, 3.0)),
    _one(
        "(extra) rotate 3 degrees, black corners",
        lambda im, rng: im.rotate(3.0, resample=Image.Resampling.BICUBIC),
    ),
    _one("brightness +30%", lambda im, rng: ImageEnhance.Brightness(im).enhance(1.3)),
    _one("contrast -30%", lambda im, rng: ImageEnhance.Contrast(im).enhance(0.7)),
    _one("grayscale", lambda im, rng: im.convert("L").convert("RGB")),
    _one("blur", lambda im, rng: im.filter(ImageFilter.GaussianBlur(radius=3))),
    _one("noise", _noise),
    _one("caption bar 10% (bottom)", _caption_bar),
    _one("white border 10%", lambda im, rng: _white_border(im)),
    _one("screenshot canvas", _screenshot),
    _one("mirror", lambda im, rng: ImageOps.mirror(im)),
    _one("rotate 90", lambda im, rng: im.transpose(Image.Transpose.ROTATE_90)),
)
