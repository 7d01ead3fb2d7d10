"""vPDQ robustness on generated clips: the shares of the service's video rule, per edit.

Run by hand from the repository root, in the test environment:

    .venv/bin/python -m benchmarks.video_robustness [--clips 10] [--seconds 20]

Each clip is made here (no real video): shots of pans and zooms across the PDQ conformance
photos (tests/data/pdq-conformance: street scenes, a bridge, a pen) and across generated scenes
(smooth random fields with shapes), joined by cuts; no two clips share a picture. Each clip is
encoded once as the registered "original" (libx264, 30 frames a second, 640x360), and once per
edit. The original is hashed as a client stores it (`vpdq_hash` at one frame a second, then
`frame_hashes`: distinct frames of quality >= 50, at most 360), each edited clip as a platform
sends it (`query_frames`: each frame also without its uniform borders, where it has any, as
`match_item` does), and each pair is scored with the
rule of `POST /v1/match` for a video item (`hashstop.matching.video`): the share of the
query's frames within distance 31 of some frame of the other, and the share of the stored
video's frames within 31 of some query frame.

Printed: per edit, the recall at the service's default thresholds and the lowest and median
shares over the clips; then, for distinct clips (every edited clip against every other clip's
original), the largest shares and the false matches at those thresholds; then recall and false
matches over a small grid of thresholds. "still frame" is one decoded frame of the clip sent as
a photo (its plain PDQ): it matches when any stored frame is within 31 (the photo rule).
"""

from __future__ import annotations

import argparse
import io
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import av
import numpy as np
from PIL import Image

from hashstop.hashing import open_image, pdq_from_rgb
from hashstop.hashing.video import frame_hashes, query_frames, vpdq_hash
from hashstop.matching.video import DEFAULT_QUERY_SHARE, DEFAULT_STORED_SHARE, shares

WIDTH, HEIGHT, RATE = 640, 360, 30
PHOTOS = Path(__file__).resolve().parent.parent / "tests" / "data" / "pdq-conformance" / "images"
PHOTO_FILES = [
    *sorted((PHOTOS / "labelme-subset").glob("*.jpg")),
    PHOTOS / "bridge-mods" / "aaa-orig.jpg",
    PHOTOS / "misc" / "pen-and-coaster.png",
]
Frame = np.ndarray
Edit = Callable[[list[Frame]], tuple[list[Frame], int, int]]  # frames -> frames, rate, crf


def generated_scene(seed: int) -> np.ndarray:
    """A 1280x720 picture: a smooth random field with a few bright and dark shapes."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, size=(9, 16, 3)).astype(np.uint8)
    field = np.asarray(Image.fromarray(small).resize((1280, 720), Image.Resampling.BICUBIC))
    field = field.copy()
    yy, xx = np.mgrid[0:720, 0:1280]
    for _ in range(6):
        cx, cy, r = rng.integers(0, 1280), rng.integers(0, 720), rng.integers(40, 200)
        colour = rng.integers(0, 256, size=3)
        field[(xx - cx) ** 2 + (yy - cy) ** 2 < r * r] = colour
    return field


def pictures(count: int) -> list[np.ndarray]:
    photos = [np.ascontiguousarray(open_image(str(p))) for p in PHOTO_FILES if p.exists()]
    out = [p for p in photos if pdq_from_rgb(p)[1] >= 50]  # two labelme photos are near flat
    seed = 100
    while len(out) < count:
        out.append(generated_scene(seed))
        seed += 1
    return out[:count]


def _fit(picture: np.ndarray, box: tuple[float, float, float, float]) -> Frame:
    """The part `box` (x0, y0, x1, y1 as fractions) of `picture`, resized to the clip's size."""
    h, w = picture.shape[:2]
    x0, y0, x1, y1 = box
    part = picture[int(y0 * h) : max(int(y1 * h), int(y0 * h) + 2), int(x0 * w) : int(x1 * w)]
    return np.asarray(Image.fromarray(part).resize((WIDTH, HEIGHT), Image.Resampling.BILINEAR))


def clip_frames(shots: list[np.ndarray], seconds: int) -> list[Frame]:
    """Shots of equal length, one per picture, cut together: pan, zoom in, pan back, zoom out."""
    total = seconds * RATE
    per = total // len(shots)
    frames: list[Frame] = []
    for s, picture in enumerate(shots):
        for i in range(per):
            t = i / max(per - 1, 1)
            kind = s % 4
            if kind == 0:  # pan left to right over 70% of the width
                box = (0.3 * t, 0.1, 0.3 * t + 0.7, 0.9)
            elif kind == 1:  # zoom in to the centre
                m = 0.3 * t
                box = (m, m, 1 - m, 1 - m)
            elif kind == 2:  # pan right to left, lower part
                box = (0.3 - 0.3 * t, 0.2, 1.0 - 0.3 * t, 1.0)
            else:  # zoom out
                m = 0.3 * (1 - t)
                box = (m, m, 1 - m, 1 - m)
            frames.append(_fit(picture, box))
    return frames


def encode(frames: list[Frame], rate: int = RATE, crf: int = 23) -> bytes:
    out = io.BytesIO()
    h, w = frames[0].shape[:2]
    with av.open(out, mode="w", format="mp4") as muxer:
        stream: Any = muxer.add_stream("libx264", rate=rate)
        stream.width, stream.height, stream.pix_fmt = w - w % 2, h - h % 2, "yuv420p"
        stream.options = {"crf": str(crf), "preset": "ultrafast"}
        for f in frames:
            picture = av.VideoFrame.from_ndarray(np.ascontiguousarray(f[: h - h % 2, : w - w % 2]))
            for packet in stream.encode(picture):
                muxer.mux(packet)
        for packet in stream.encode():
            muxer.mux(packet)
    return out.getvalue()


def _resized(f: Frame, w: int, h: int) -> Frame:
    return np.asarray(Image.fromarray(f).resize((w, h), Image.Resampling.BILINEAR))


def _boxed(f: Frame, canvas_w: int, canvas_h: int, w: int, h: int) -> Frame:
    out = np.zeros((canvas_h, canvas_w, 3), dtype=np.uint8)
    y, x = (canvas_h - h) // 2, (canvas_w - w) // 2
    out[y : y + h, x : x + w] = _resized(f, w, h)
    return out


def _logo(f: Frame) -> Frame:
    out = f.copy()
    h, w = out.shape[:2]
    lw, lh = w // 5, h // 8
    region = out[h // 20 : h // 20 + lh, w - lw - w // 20 : w - w // 20].astype(np.uint16)
    stripes = np.zeros_like(region)
    stripes[::4] = 255
    out[h // 20 : h // 20 + lh, w - lw - w // 20 : w - w // 20] = (
        (region * 2 + 255 + stripes) // 4
    ).astype(np.uint8)
    return out


def _grey(f: Frame) -> Frame:
    luma = (f[..., 0] * 0.299 + f[..., 1] * 0.587 + f[..., 2] * 0.114).astype(np.uint8)
    return np.repeat(luma[..., None], 3, axis=2)


def _crop(f: Frame, margin: float) -> Frame:
    h, w = f.shape[:2]
    dy, dx = int(h * margin), int(w * margin)
    return _resized(f[dy : h - dy, dx : w - dx], w, h)


def _trim(frames: list[Frame], start: float, end: float) -> list[Frame]:
    n = len(frames)
    return frames[int(n * start) : n - int(n * end)]


EDITS: dict[str, Edit] = {
    "re-encode (crf 23)": lambda fs: (fs, RATE, 23),
    "re-encode low bitrate (crf 42)": lambda fs: (fs, RATE, 42),
    "360p -> 240p (426x240)": lambda fs: ([_resized(f, 426, 240) for f in fs], RATE, 28),
    "30 -> 15 fps": lambda fs: (fs[::2], 15, 28),
    "trim 20% start": lambda fs: (_trim(fs, 0.2, 0), RATE, 28),
    "trim 20% end": lambda fs: (_trim(fs, 0, 0.2), RATE, 28),
    "trim 20% start and end": lambda fs: (_trim(fs, 0.2, 0.2), RATE, 28),
    "excerpt: the middle 30%": lambda fs: (_trim(fs, 0.35, 0.35), RATE, 28),
    "letterbox (4:3 canvas)": lambda fs: ([_boxed(f, 640, 480, 640, 360) for f in fs], RATE, 28),
    "pillarbox (in 16:9, 3:4 content)": lambda fs: (
        [_boxed(_crop_to(f, 270, 360), 640, 360, 270, 360) for f in fs],
        RATE,
        28,
    ),
    "logo overlay": lambda fs: ([_logo(f) for f in fs], RATE, 28),
    "grey": lambda fs: ([_grey(f) for f in fs], RATE, 28),
    "mirror": lambda fs: ([np.ascontiguousarray(f[:, ::-1]) for f in fs], RATE, 28),
    "crop 5%": lambda fs: ([_crop(f, 0.05) for f in fs], RATE, 28),
    "crop 5% + 240p + crf 36": lambda fs: (
        [_resized(_crop(f, 0.05), 426, 240) for f in fs],
        RATE,
        36,
    ),
}
COMPILATION = "compilation (as much other video around)"


def _crop_to(f: Frame, w: int, h: int) -> Frame:
    """The centre of `f` cut to the aspect w:h (a vertical re-post of a wide clip)."""
    fh, fw = f.shape[:2]
    cw = int(fh * w / h)
    x = (fw - cw) // 2
    return f[:, x : x + cw]


def codes(data: bytes, *, query: bool = False) -> np.ndarray:
    """The frame hashes of a video as stored (`frame_hashes`), or as a platform sends them for
    an upload (`query=True`: `query_frames`, each frame also without its borders)."""
    if query:
        features = query_frames(vpdq_hash(data, unframed=True))
    else:
        features = frame_hashes(vpdq_hash(data).features)
    return np.array([np.frombuffer(f.pdq.data, np.uint8) for f in features], dtype=np.uint8)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=10)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--shots", type=int, default=2, help="pictures (shots) per clip")
    args = parser.parse_args()
    started = time.monotonic()
    pool = pictures(args.clips * args.shots)
    originals: list[np.ndarray] = []
    edited: dict[str, list[np.ndarray]] = {name: [] for name in EDITS}
    stills: list[np.ndarray] = []
    compiled: list[np.ndarray] = []
    for c in range(args.clips):
        frames = clip_frames(pool[c * args.shots : (c + 1) * args.shots], args.seconds)
        originals.append(codes(encode(frames)))
        for name, edit in EDITS.items():
            out, rate, crf = edit(frames)
            edited[name].append(codes(encode(out, rate, crf), query=True))
        filler = clip_frames([generated_scene(9000 + c), generated_scene(9500 + c)], args.seconds)
        compilation = filler[: len(filler) // 2] + frames + filler[len(filler) // 2 :]
        compiled.append(codes(encode(compilation, RATE, 28), query=True))
        still = frames[len(frames) * 2 // 5]
        stills.append(np.frombuffer(pdq_from_rgb(still)[0].data, np.uint8)[None, :])
    print(
        f"{args.clips} clips of {args.seconds} s ({args.shots} shots each), "
        f"{statistics.median(len(o) for o in originals)} frame hashes each (median); "
        f"made and hashed in {time.monotonic() - started:.0f} s\n"
    )
    edited[COMPILATION] = compiled
    tq, ts = DEFAULT_QUERY_SHARE, DEFAULT_STORED_SHARE
    print(f"Defaults: query share >= {tq:.2f} and stored share >= {ts:.2f}\n")
    print(
        f"| {'edit':34} | recall | query share min / median | stored share min / median |\n"
        f"|{'-' * 36}|-------:|--------------------------:|---------------------------:|"
    )
    scored: dict[str, list[tuple[float, float]]] = {}
    for name, queries in edited.items():
        pairs = [shares(q, o) for q, o in zip(queries, originals, strict=True)]
        scored[name] = pairs
        hits = sum(1 for a, b in pairs if a >= tq and b >= ts)
        qs, ss = [a for a, _ in pairs], [b for _, b in pairs]
        print(
            f"| {name:34} | {hits / len(pairs):6.0%} | "
            f"{min(qs):11.2f} / {statistics.median(qs):.2f}{'':6} | "
            f"{min(ss):12.2f} / {statistics.median(ss):.2f}{'':6} |"
        )
    still_hits = sum(1 for s, o in zip(stills, originals, strict=True) if _near(s, o).any())
    print(f"| {'still frame (photo item: any hit)':34} | {still_hits / len(stills):6.0%} | |  |")

    false_pairs: list[tuple[float, float]] = []
    for queries in [*edited.values(), originals]:
        for i, q in enumerate(queries):
            for j, o in enumerate(originals):
                if i != j:
                    false_pairs.append(shares(q, o))
    false = sum(1 for a, b in false_pairs if a >= tq and b >= ts)
    print(
        f"\nDistinct clips: {len(false_pairs)} pairs, {false} false matches at the defaults; "
        f"largest query share {max(a for a, _ in false_pairs):.2f}, largest stored share "
        f"{max(b for _, b in false_pairs):.2f}, pairs with any frame within 31: "
        f"{sum(1 for a, _ in false_pairs if a > 0)}"
    )
    hard = ("mirror", "pillarbox (in 16:9, 3:4 content)")
    print(
        "\nRecall over every edit but mirror and pillarbox (which no threshold finds), and "
        "the false matches, by thresholds (rows: query share, columns: stored):"
    )
    grid = (0.1, 0.2, 0.25, 0.3, 0.4, 0.5, 0.8)
    print("| query \\ stored | " + " | ".join(f"{t:.2f}" for t in grid) + " |")
    print("|---|" + "---|" * len(grid))
    kept = [p for name, ps in scored.items() if name not in hard for p in ps]
    for a_t in grid:
        cells = []
        for b_t in grid:
            recall = sum(1 for a, b in kept if a >= a_t and b >= b_t) / len(kept)
            fm = sum(1 for a, b in false_pairs if a >= a_t and b >= b_t)
            cells.append(f"{recall:.0%} ({fm})")
        print(f"| {a_t:.2f} | " + " | ".join(cells) + " |")
    print(f"\n{time.monotonic() - started:.0f} s in all")


def _near(queries: np.ndarray, stored: np.ndarray) -> np.ndarray:
    if stored.ndim != 2 or len(stored) == 0:
        return np.zeros((len(queries), 0), dtype=bool)
    xor = np.bitwise_xor(queries[:, None, :], stored[None, :, :])
    near: np.ndarray = np.unpackbits(xor, axis=2).sum(axis=2) <= 31
    return near


if __name__ == "__main__":
    main()
