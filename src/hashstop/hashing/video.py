"""vPDQ: a video's fingerprint as PDQ hashes of its frames, compatible with the reference.

The reference is ThreatExchange's `vpdq` (C++ hasher, Python binding, pytx's `vpdq_util`). Its
hash of a video is a list of features, one per kept frame: the frame number (decode order,
from 0), PDQ's quality (0-100), the frame's PDQ hash and its timestamp (frame number divided by
the stream's average frame rate). We reproduce it without a compiler anywhere: PyAV's wheels
bundle FFmpeg, and PDQ is our own (`hashing.pdq`):

- every decoded frame of the first video stream is counted; a frame is kept when its number is
  a multiple of `int(fps * seconds_per_hash)` (at least 1; `seconds_per_hash=0` keeps every
  frame), as the reference's `frameMod`;
- a kept frame is converted to RGB24 by swscale with area interpolation (the reference's
  `SWS_AREA`), optionally scaled to a fixed size first (the reference's downsample option);
- luma is the reference's `fillFloatLumaFromRGB`, float32 `0.299 R + 0.587 G + 0.114 B`, and
  PDQ is then `pdqHash256FromFloatLuma` (bit-exact with the C++ on the same pixels).

Decoders differ slightly between FFmpeg builds, so frame hashes may differ from the reference's
by a few bits; `tests/hashing/test_video_conformance.py` measures it on the reference's clips.

Formats: only the container formats in `VIDEO_FORMATS` are demuxed (never playlists, network
protocols or image sequences, which could make FFmpeg open other files). Work is bounded:
`MAX_DURATION_SECONDS`, `MAX_FRAMES` decoded and `MAX_FRAME_PIXELS` per frame, each refused
with a one-line `VideoDecodeError`. Nothing here writes or keeps the video's bytes.

Serialised forms: the reference hasher's lines (`frame,quality,pdq_hex,timestamp`, timestamp
with 3 decimals) and pytx's JSON (a list of `"pdq_hex,quality,timestamp"` strings).
"""

from __future__ import annotations

import io
import json
import math
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from hashstop.hashing.digests import open_regular_file
from hashstop.hashing.errors import EmptyFileError, HashingError
from hashstop.hashing.pdq import FloatArray, RgbArray, pdq_from_luma
from hashstop.hashing.types import HashFormatError, PdqHash

Source = str | os.PathLike[str] | bytes
"""A path, or the bytes of a file already in memory."""

DEFAULT_SECONDS_PER_HASH = 1.0
"""One frame a second, as the reference's default."""

MAX_DURATION_SECONDS = 3 * 3600
"""Longest video hashed: 3 hours (checked from the container, then as frames are decoded)."""

MAX_FRAMES = 720_000
"""Most frames decoded: 3 hours at 60 frames a second."""

MAX_FRAME_PIXELS = 8192 * 4352
"""Largest frame decoded, in pixels: 8K (35.7 MP)."""

MAX_SECONDS_PER_HASH = 3600.0
"""The widest spacing of kept frames accepted."""

QUALITY_THRESHOLD = 50
"""Frames below this PDQ quality are left out of matching (the reference's threshold)."""

VIDEO_FORMATS = (
    "mov,mp4,m4a,3gp,3g2,mj2",
    "matroska,webm",
    "avi",
    "flv",
    "mpegts",
    "mpeg",
    "ogg",
    "asf",
)
"""FFmpeg demuxers read (their FFmpeg names): MP4/MOV, Matroska/WebM, AVI, FLV, MPEG-TS/PS,
Ogg, ASF/WMV. Nothing else is probed."""

_FORMAT_WHITELIST = ",".join(VIDEO_FORMATS)
_LUMA = (np.float32(0.299), np.float32(0.587), np.float32(0.114))


class VideoDecodeError(HashingError):
    """The bytes are a video that cannot be decoded, or one refused (too long, too large)."""


class NotAVideoError(VideoDecodeError):
    """The bytes are in no video format hashstop reads (the file may still be hashed exactly)."""


@dataclass(frozen=True, slots=True)
class VpdqFeature:
    """One kept frame: its number (decode order, from 0), PDQ quality, PDQ hash, timestamp."""

    frame: int
    quality: int
    pdq: PdqHash
    timestamp: float

    def line(self) -> str:
        """The reference hasher's line: `frame,quality,pdq_hex,timestamp` (3 decimals)."""
        return f"{self.frame},{self.quality},{self.pdq.hex},{self.timestamp:.3f}"

    def compact(self) -> str:
        """pytx's `VpdqCompactFeature` string: `pdq_hex,quality,timestamp` (3 significant)."""
        return f"{self.pdq.hex},{self.quality},{self.timestamp:.3}"

    def as_json(self) -> dict[str, Any]:
        """`{"frame", "quality", "pdq", "timestamp"}`, as `hashstop hash --json` prints it."""
        return {
            "frame": self.frame,
            "quality": self.quality,
            "pdq": self.pdq.hex,
            "timestamp": round(self.timestamp, 3),
        }


@dataclass(frozen=True)
class VideoHashes:
    """A video's vPDQ features and what was decoded to get them."""

    features: tuple[VpdqFeature, ...]
    frame_rate: float
    frames_decoded: int
    width: int
    height: int
    seconds_per_hash: float
    unframed: tuple[VpdqFeature, ...] = ()
    """With `vpdq_hash(..., unframed=True)`: each kept frame that has steady uniform borders
    (letterbox or pillarbox bars: `STEADY_BORDER_SHARE`), hashed again without them; the frame
    number says which frame."""

    @property
    def duration(self) -> float:
        """Seconds of video decoded (frames decoded / frame rate)."""
        return self.frames_decoded / self.frame_rate if self.frame_rate > 0 else 0.0


Progress = Callable[[int, int | None], None]
"""Called as frames are decoded: (frames decoded so far, frames expected or None)."""


def luma_from_rgb_float32(rgb: RgbArray) -> FloatArray:
    """Luma as the reference's `fillFloatLumaFromRGB`: float32 products and sums, R+G first."""
    red = rgb[..., 0].astype(np.float32)
    green = rgb[..., 1].astype(np.float32)
    blue = rgb[..., 2].astype(np.float32)
    red *= _LUMA[0]
    green *= _LUMA[1]
    blue *= _LUMA[2]
    red += green
    red += blue
    return red


def frame_step(frame_rate: float, seconds_per_hash: float) -> int:
    """Keep every n-th decoded frame: `int(fps * seconds_per_hash)`, at least 1 (the reference)."""
    return max(1, int(frame_rate * seconds_per_hash))


def _check_seconds_per_hash(seconds_per_hash: float) -> float:
    value = float(seconds_per_hash)
    if not (0 <= value <= MAX_SECONDS_PER_HASH):  # also refuses NaN
        raise ValueError(
            f"seconds per hash must be between 0 (every frame) and {MAX_SECONDS_PER_HASH:g}, "
            f"got {seconds_per_hash!r}"
        )
    return value


@contextmanager
def _opened(source: Source, name: str) -> Iterator[Any]:
    import av  # PyAV: imported here so that image hashing never loads FFmpeg

    stream: io.BufferedIOBase | io.BytesIO
    if isinstance(source, bytes | bytearray | memoryview):
        if len(source) == 0:
            raise EmptyFileError(f"the file is empty, nothing to hash: {name}")
        stream = io.BytesIO(bytes(source))
    else:
        stream = open_regular_file(source)  # type: ignore[assignment]
    try:
        av.logging.set_level(None)
        try:
            container = av.open(
                stream,
                mode="r",
                options={"format_whitelist": _FORMAT_WHITELIST},
                metadata_errors="ignore",
            )
        except (av.FFmpegError, ValueError, OSError) as error:
            raise NotAVideoError(f"not a video hashstop can read: {name}") from error
        try:
            yield container
        finally:
            container.close()
    finally:
        stream.close()


def _video_stream(container: Any, name: str) -> Any:
    for stream in container.streams.video:
        if stream.disposition & 0x0400:  # AV_DISPOSITION_ATTACHED_PIC: cover art, not video
            continue
        return stream
    raise NotAVideoError(f"no video stream in {name}")


def _frame_rate(stream: Any, name: str) -> float:
    rate: Fraction | None = stream.average_rate
    if not rate:
        rate = stream.base_rate or stream.guessed_rate
    if not rate or rate <= 0:
        raise VideoDecodeError(f"the video's frame rate is unknown: {name}")
    return float(rate)


def is_video(source: Source) -> bool:
    """Whether the bytes are a video hashstop reads (a demuxable container with a video stream)."""
    name = "<bytes>" if isinstance(source, bytes | bytearray | memoryview) else os.fspath(source)
    try:
        with _opened(source, name) as container:
            _video_stream(container, name)
    except NotAVideoError:
        return False
    return True


def vpdq_hash(
    source: Source,
    *,
    seconds_per_hash: float = DEFAULT_SECONDS_PER_HASH,
    downsample: tuple[int, int] | None = None,
    progress: Progress | None = None,
    threads: int = 0,
    unframed: bool = False,
) -> VideoHashes:
    """vPDQ of a video file (path) or its bytes; raise a HashingError with a one-line message.

    `seconds_per_hash` spaces the kept frames (0: every frame); `downsample=(width, height)`
    scales each kept frame before PDQ (the reference's option, e.g. 128x128); `threads` is the
    decoder's thread count (0: FFmpeg decides, 1: one core). `unframed=True` also hashes each
    kept frame with its uniform borders removed, where it has any (`VideoHashes.unframed`): the
    query side of a letterboxed re-post, as `query_pdq` does for a photo.
    """
    from hashstop.hashing.query import unletterbox

    spacing = _check_seconds_per_hash(seconds_per_hash)
    name = "<bytes>" if isinstance(source, bytes | bytearray | memoryview) else os.fspath(source)
    import av

    with _opened(source, name) as container:
        stream = _video_stream(container, name)
        width, height = int(stream.codec_context.width), int(stream.codec_context.height)
        if width <= 0 or height <= 0:
            raise VideoDecodeError(f"the video has no frame size: {name}")
        if width * height > MAX_FRAME_PIXELS:
            raise VideoDecodeError(
                f"video frames too large to hash ({width}x{height}, more than "
                f"{MAX_FRAME_PIXELS:,} pixels): {name}"
            )
        frame_rate = _frame_rate(stream, name)
        declared = _declared_seconds(container, stream)
        if declared is not None and declared > MAX_DURATION_SECONDS:
            raise VideoDecodeError(
                f"video too long to hash ({declared / 3600:.1f} h, at most "
                f"{MAX_DURATION_SECONDS / 3600:g} h): {name}"
            )
        expected = stream.frames or (round(declared * frame_rate) if declared else None)
        step = frame_step(frame_rate, spacing)
        stream.thread_type = "SLICE"  # as the reference; frame threads add latency only
        stream.codec_context.thread_count = threads
        scale = downsample or (None, None)
        features: list[VpdqFeature] = []
        without_borders: list[tuple[tuple[int, int, int, int], VpdqFeature]] = []
        decoded = 0
        try:
            for frame in container.decode(stream):
                number = decoded
                decoded += 1
                if decoded > MAX_FRAMES or decoded / frame_rate > MAX_DURATION_SECONDS:
                    raise VideoDecodeError(
                        f"video too long to hash (over {MAX_FRAMES:,} frames or "
                        f"{MAX_DURATION_SECONDS / 3600:g} h): {name}"
                    )
                if frame.width * frame.height > MAX_FRAME_PIXELS:
                    raise VideoDecodeError(f"video frames too large to hash: {name}")
                if number % step == 0:
                    rgb = frame.to_ndarray(
                        format="rgb24", width=scale[0], height=scale[1], interpolation="AREA"
                    )
                    pdq, quality = pdq_from_luma(luma_from_rgb_float32(rgb))
                    features.append(VpdqFeature(number, quality, pdq, number / frame_rate))
                    if unframed:
                        box = unletterbox(rgb)
                        x0, y0, x1, y1 = box
                        if (x1 - x0, y1 - y0) != (rgb.shape[1], rgb.shape[0]):
                            inner = np.ascontiguousarray(rgb[y0:y1, x0:x1])
                            pdq, quality = pdq_from_luma(luma_from_rgb_float32(inner))
                            feature = VpdqFeature(number, quality, pdq, number / frame_rate)
                            without_borders.append((box, feature))
                if progress is not None and decoded % 30 == 0:
                    progress(decoded, expected)
        except av.FFmpegError as error:
            if decoded == 0:
                raise VideoDecodeError(f"cannot decode the video: {name}") from error
            # A truncated or damaged tail: keep the frames decoded before it, as players do.
        if decoded == 0:
            raise VideoDecodeError(f"the video has no frames: {name}")
        if progress is not None:
            progress(decoded, decoded)
    steady = _steady_borders(without_borders, len(features))
    return VideoHashes(tuple(features), frame_rate, decoded, width, height, spacing, steady)


STEADY_BORDER_SHARE = 0.2
"""A video's frames are also hashed without their borders only where the borders are *steady*:
the same content box on at least this share of its kept frames (and on two of them at least).
Letterbox and pillarbox bars are the same on every frame; the borders that a dark scene or a
flat edge of a picture seems to have change from frame to frame, and hashing those frames twice
only dilutes the query share (measured: crop 5% recall fell from 100% to 90% with every
bordered frame sent twice)."""


def _steady_borders(
    found: list[tuple[tuple[int, int, int, int], VpdqFeature]], kept: int
) -> tuple[VpdqFeature, ...]:
    counts: dict[tuple[int, int, int, int], int] = {}
    for box, _ in found:
        counts[box] = counts.get(box, 0) + 1
    least = max(2, math.ceil(STEADY_BORDER_SHARE * kept))
    return tuple(feature for box, feature in found if counts[box] >= least)


def _declared_seconds(container: Any, stream: Any) -> float | None:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return float(container.duration) / 1_000_000
    return None


def dedupe(features: Iterable[VpdqFeature]) -> list[VpdqFeature]:
    """The features with distinct hashes, each at its first occurrence (pytx's `dedupe`)."""
    seen: set[bytes] = set()
    kept: list[VpdqFeature] = []
    for feature in features:
        if feature.pdq.data not in seen:
            seen.add(feature.pdq.data)
            kept.append(feature)
    return kept


def quality_filter(
    features: Iterable[VpdqFeature], minimum: int = QUALITY_THRESHOLD
) -> list[VpdqFeature]:
    """The features whose quality is at least `minimum` (pytx's `quality_filter`)."""
    return [f for f in features if f.quality >= minimum]


MAX_STORED_FRAMES = 360
"""Most frame hashes a client stores (or sends to match) for one video: its distinct frames of
quality >= 50, thinned evenly beyond this (6 minutes at one frame a second). They travel with
the video's MD5 and SHA-256 in one request (facts.json's `hashes_per_request`, 400)."""


def frame_hashes(
    features: Iterable[VpdqFeature], limit: int = MAX_STORED_FRAMES
) -> list[VpdqFeature]:
    """The frames a video is stored and matched by: distinct hashes of quality >= 50, in order,
    at most `limit` (kept evenly spread, first and last included)."""
    kept = dedupe(quality_filter(features))
    if len(kept) <= limit:
        return kept
    step = (len(kept) - 1) / (limit - 1)
    return [kept[round(i * step)] for i in range(limit)]


def query_frames(hashes: VideoHashes, limit: int = MAX_STORED_FRAMES) -> list[VpdqFeature]:
    """The frame hashes a platform sends for a video upload: each kept frame's hash followed by
    the same frame's hash without its borders (when it has borders), through `frame_hashes`.

    A letterboxed re-post (a wide video in a 4:3 or square canvas) has other PDQ hashes than
    the video: its unframed hashes are what match. Both are sent because the registered video
    may itself carry the bars. Each counts as a frame of the query, so a letterboxed upload's
    query share is at most about one half; the default threshold (0.2) is below that."""
    extra: dict[int, list[VpdqFeature]] = {}
    for feature in hashes.unframed:
        extra.setdefault(feature.frame, []).append(feature)
    both = [g for f in hashes.features for g in (f, *extra.get(f.frame, ()))]
    return frame_hashes(both, limit)


def video_query_hashes(
    source: Source, *, seconds_per_hash: float = DEFAULT_SECONDS_PER_HASH
) -> list[tuple[str, str]]:
    """`(algorithm, hex)` pairs a platform sends for one video upload: its frame hashes
    (`query_frames`: each frame as it is and without borders, as `pdq`), then its MD5 and
    SHA-256 when `source` is a path or bytes."""
    from hashstop.hashing.digests import file_digests

    hashes = vpdq_hash(source, seconds_per_hash=seconds_per_hash, unframed=True)
    out = [("pdq", f.pdq.hex) for f in query_frames(hashes)]
    if isinstance(source, bytes | bytearray | memoryview):
        import hashlib

        out.append(("md5", hashlib.md5(bytes(source), usedforsecurity=False).hexdigest()))
        out.append(("sha256", hashlib.sha256(bytes(source)).hexdigest()))
    else:
        md5, sha256 = file_digests(source)
        out += [("md5", md5.hex), ("sha256", sha256.hex)]
    return out


def to_lines(features: Iterable[VpdqFeature]) -> str:
    """The reference hasher's output: one `frame,quality,pdq_hex,timestamp` line per feature."""
    return "".join(f.line() + "\n" for f in features)


def _quality(text: str) -> int:
    quality = int(text)
    if not 0 <= quality <= 100:
        raise ValueError("quality is 0-100")
    return quality


def _timestamp(text: str) -> float:
    value = float(text)
    if not (value >= 0 and value < float("inf")):
        raise ValueError("timestamp is a non-negative number")
    return value


def parse_lines(text: str) -> list[VpdqFeature]:
    """Read the reference hasher's lines; raise HashFormatError naming the bad line."""
    features = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        parts = line.split(",")
        try:
            if len(parts) != 4:
                raise ValueError("4 fields")
            frame = int(parts[0])
            if frame < 0:
                raise ValueError("frame >= 0")
            features.append(
                VpdqFeature(
                    frame, _quality(parts[1]), PdqHash.from_hex(parts[2]), _timestamp(parts[3])
                )
            )
        except (ValueError, HashFormatError) as error:
            raise HashFormatError(
                f"line {number} is not `frame,quality,pdq_hex,timestamp`: {error}"
            ) from error
    return features


def to_pytx_json(features: Iterable[VpdqFeature]) -> str:
    """pytx's `vpdq_to_json`: a JSON list of `"pdq_hex,quality,timestamp"` strings."""
    return json.dumps([f.compact() for f in features])


def parse_pytx_json(text: str, frame_rate: float | None = None) -> list[VpdqFeature]:
    """Read pytx's JSON form. It has no frame numbers: they are taken as timestamp * frame_rate
    when a frame rate is given, else as the feature's position in the list."""
    try:
        items = json.loads(text or "[]")
    except json.JSONDecodeError as error:
        raise HashFormatError(f"not JSON: {error}") from error
    if not isinstance(items, list):
        raise HashFormatError('pytx vPDQ JSON is a list of "pdq_hex,quality,timestamp" strings')
    features = []
    for position, item in enumerate(items):
        parts = item.split(",") if isinstance(item, str) else []
        try:
            if len(parts) != 3:
                raise ValueError("3 fields")
            timestamp = _timestamp(parts[2])
            frame = round(timestamp * frame_rate) if frame_rate else position
            features.append(
                VpdqFeature(frame, _quality(parts[1]), PdqHash.from_hex(parts[0]), timestamp)
            )
        except (ValueError, HashFormatError) as error:
            raise HashFormatError(
                f'item {position} is not "pdq_hex,quality,timestamp": {error}'
            ) from error
    return features
