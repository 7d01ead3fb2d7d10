"""Cost of vPDQ hashing in Python: one minute of 720p at 30 frames a second, one frame a second.

Run by hand from the repository root, in the test environment:

    .venv/bin/python -m benchmarks.video_cost [--seconds 60] [--repeat 3]

Makes the clip in a temporary folder with PyAV (libx264, a pan across a smooth random texture,
with a cut every 10 s), then hashes it with `vpdq_hash(seconds_per_hash=1)` on one decoder
thread, and prints the median wall time with the split between decoding every frame and the
PDQ of the kept frames. The reference `vpdq` Python package is timed beside it when it is
installed (it has no wheels and needs FFmpeg's development files to build).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import av
import numpy as np

from hashstop.hashing.video import vpdq_hash

WIDTH, HEIGHT, RATE = 1280, 720, 30


def make_clip(path: Path, seconds: int) -> None:
    rng = np.random.default_rng(13)
    with av.open(str(path), mode="w") as muxer:
        stream: Any = muxer.add_stream("libx264", rate=RATE)
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        texture = None
        for i in range(seconds * RATE):
            if i % (10 * RATE) == 0:  # a cut: a new scene
                small = rng.integers(0, 256, size=(HEIGHT // 16, (WIDTH + 900) // 16, 3))
                texture = np.kron(small.astype(np.uint8), np.ones((16, 16, 1), dtype=np.uint8))
            assert texture is not None
            x = 3 * (i % (10 * RATE))
            picture: Any = np.ascontiguousarray(texture[:HEIGHT, x : x + WIDTH], dtype=np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(picture, format="rgb24")):
                muxer.mux(packet)
        for packet in stream.encode():
            muxer.mux(packet)


def decode_only(path: Path) -> int:
    with av.open(str(path), mode="r") as container:
        stream = container.streams.video[0]
        stream.codec_context.thread_count = 1
        return sum(1 for _ in container.decode(stream))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    try:
        import vpdq  # type: ignore[import-not-found]
    except ImportError:
        vpdq = None
    with tempfile.TemporaryDirectory() as folder:
        clip = Path(folder) / "clip.mp4"
        make_clip(clip, args.seconds)
        ours, decoding, reference = [], [], []
        for _ in range(args.repeat):
            start = time.perf_counter()
            hashes = vpdq_hash(clip, seconds_per_hash=1.0, threads=1)
            ours.append(time.perf_counter() - start)
            start = time.perf_counter()
            decode_only(clip)
            decoding.append(time.perf_counter() - start)
            if vpdq is not None:
                start = time.perf_counter()
                vpdq.computeHash(str(clip), seconds_per_hash=1.0)
                reference.append(time.perf_counter() - start)
    kept = len(hashes.features)
    o, d = statistics.median(ours), statistics.median(decoding)
    print(f"clip: {args.seconds} s of {WIDTH}x{HEIGHT} at {RATE} fps; {kept} frames kept")
    print(
        f"hashstop vpdq_hash, one thread: {o:.2f} s (decoding every frame {d:.2f} s, "
        f"PDQ of the kept frames {o - d:.2f} s, {1000 * (o - d) / kept:.0f} ms a frame)"
    )
    if vpdq is None:
        print("reference vpdq: not installed (no wheels; it does not build here)")
    else:
        print(f"reference vpdq.computeHash: {statistics.median(reference):.2f} s")


if __name__ == "__main__":
    main()
