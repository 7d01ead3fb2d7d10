"""Generated video clips for the browser tests (no real imagery): a pan across a blocky random
texture, a new texture every `cut_seconds`, encoded with PyAV."""

from __future__ import annotations

import io
from typing import Any

import av
import numpy as np


def make_clip(
    *,
    seconds: float = 4,
    width: int = 320,
    height: int = 240,
    rate: int = 30,
    codec: str = "libx264",
    container: str = "mp4",
    cut_seconds: float = 1,
    seed: int = 7,
) -> bytes:
    """The bytes of a clip: `codec` in `container` ("mp4", "webm", "matroska")."""
    rng = np.random.default_rng(seed)
    out = io.BytesIO()
    with av.open(out, mode="w", format=container) as muxer:
        stream: Any = muxer.add_stream(codec, rate=rate)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        if codec == "libx264":
            stream.options = {"preset": "veryfast"}
        texture = None
        cut = max(1, round(cut_seconds * rate))
        for i in range(round(seconds * rate)):
            if i % cut == 0:
                small = rng.integers(0, 256, size=(height // 8 + 1, (width + 4 * cut) // 8 + 1, 3))
                texture = np.kron(small.astype(np.uint8), np.ones((8, 8, 1), dtype=np.uint8))
            assert texture is not None  # noqa: S101  # nosec B101
            x = 2 * (i % cut)
            picture = np.ascontiguousarray(texture[:height, x : x + width], dtype=np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(picture, format="rgb24")):
                muxer.mux(packet)
        for packet in stream.encode():
            muxer.mux(packet)
    return out.getvalue()
