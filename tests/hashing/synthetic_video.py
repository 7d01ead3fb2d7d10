"""Small videos made with PyAV for the tests: moving textures, every frame different."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import av
import numpy as np

FrameMaker = Callable[[int], np.ndarray]


def moving_texture(width: int = 96, height: int = 64, seed: int = 7) -> FrameMaker:
    """Frame i: a smooth random texture shifted i pixels to the right (a pan)."""
    rng = np.random.default_rng(seed)
    big = rng.integers(0, 256, size=(height // 8 + 2, (width + 400) // 8 + 2, 3), dtype=np.uint8)
    texture = np.kron(big, np.ones((8, 8, 1), dtype=np.uint8))

    def frame(i: int) -> np.ndarray:
        return np.ascontiguousarray(texture[:height, 3 * i : 3 * i + width])

    return frame


def encode(
    frames: int,
    *,
    rate: int = 10,
    maker: FrameMaker | None = None,
    codec: str = "libx264",
    container: str = "mp4",
    width: int = 96,
    height: int = 64,
) -> bytes:
    """The bytes of a video of `frames` frames at `rate` frames a second."""
    make = maker or moving_texture(width, height)
    out = io.BytesIO()
    with av.open(out, mode="w", format=container) as muxer:
        stream: Any = muxer.add_stream(codec, rate=rate)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for i in range(frames):
            picture = av.VideoFrame.from_ndarray(make(i), format="rgb24")
            for packet in stream.encode(picture):
                muxer.mux(packet)
        for packet in stream.encode():
            muxer.mux(packet)
    return out.getvalue()
