"""vPDQ (hashing/video.py): the frame rule, the features, the serialised forms, the bounds."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from hashstop.hashing import (
    EmptyFileError,
    HashFormatError,
    NotAVideoError,
    PdqHash,
    VideoDecodeError,
    VpdqFeature,
    hash_file,
    is_video,
    pdq_from_rgb,
    vpdq_hash,
)
from hashstop.hashing import video as video_module
from hashstop.hashing.video import (
    dedupe,
    frame_step,
    luma_from_rgb_float32,
    parse_lines,
    parse_pytx_json,
    quality_filter,
    to_lines,
    to_pytx_json,
)
from tests.hashing.synthetic_video import encode, moving_texture


@pytest.fixture(scope="module")
def clip() -> bytes:
    return encode(25, rate=10)


def test_every_frame_is_kept_with_zero_seconds_per_hash(clip: bytes) -> None:
    hashes = vpdq_hash(clip, seconds_per_hash=0)
    assert hashes.frames_decoded == 25
    assert [f.frame for f in hashes.features] == list(range(25))
    assert hashes.frame_rate == 10.0
    assert (hashes.width, hashes.height) == (96, 64)


@pytest.mark.parametrize(
    ("seconds", "frames"), [(1.0, [0, 10, 20]), (0.25, list(range(0, 25, 2))), (5.0, [0])]
)
def test_frame_rule_is_int_of_fps_times_seconds(clip: bytes, seconds: float, frames: list[int]):
    hashes = vpdq_hash(clip, seconds_per_hash=seconds)
    assert [f.frame for f in hashes.features] == frames


def test_frame_step_matches_the_reference_rule() -> None:
    assert frame_step(29.97, 1.0) == 29
    assert frame_step(30.0, 0.5) == 15
    assert frame_step(0.5, 1.0) == 1  # never 0
    assert frame_step(30.0, 0.0) == 1


def test_features_carry_quality_timestamp_and_the_frames_pdq(clip: bytes) -> None:
    hashes = vpdq_hash(clip, seconds_per_hash=0)
    for feature in hashes.features:
        assert feature.timestamp == pytest.approx(feature.frame / 10.0)
        assert 0 <= feature.quality <= 100
    # Each frame differs (a pan), and the hashes move with it.
    assert len({f.pdq for f in hashes.features}) == 25
    assert hashes.features[0].pdq.distance(hashes.features[24].pdq) > 31


def test_frame_hash_is_pdq_of_the_decoded_rgb(clip: bytes) -> None:
    import io

    import av

    with av.open(io.BytesIO(clip), mode="r") as container:
        first = np.asarray(next(container.decode(video=0)).to_ndarray(format="rgb24"), np.uint8)
    feature = vpdq_hash(clip, seconds_per_hash=0).features[0]
    # float32 luma (the reference's fillFloatLumaFromRGB) may differ from the image path's
    # float64 luma by rounding only.
    image_pdq, image_quality = pdq_from_rgb(first)
    assert feature.pdq.distance(image_pdq) <= 4
    assert abs(feature.quality - image_quality) <= 1


def test_float32_luma_is_the_references_operation_order() -> None:
    rgb = np.array([[[255, 1, 77], [3, 200, 9]]], dtype=np.uint8)
    luma = luma_from_rgb_float32(rgb)
    f = np.float32
    expected = (f(0.299) * f(255) + f(0.587) * f(1)) + f(0.114) * f(77)
    assert luma.dtype == np.float32
    assert luma[0, 0] == expected


def test_path_and_bytes_hash_alike(clip: bytes, tmp_path: Path) -> None:
    path = tmp_path / "clip.mp4"
    path.write_bytes(clip)
    assert vpdq_hash(path).features == vpdq_hash(clip).features
    assert is_video(path) and is_video(clip)


def test_downsample_scales_each_frame_first(clip: bytes) -> None:
    full = vpdq_hash(clip, seconds_per_hash=0).features
    small = vpdq_hash(clip, seconds_per_hash=0, downsample=(32, 32)).features
    assert [f.frame for f in small] == [f.frame for f in full]
    assert any(a.pdq != b.pdq for a, b in zip(full, small, strict=True))


def test_progress_is_reported_and_ends_at_the_frame_count() -> None:
    calls: list[tuple[int, int | None]] = []
    vpdq_hash(encode(70, rate=10), progress=lambda done, total: calls.append((done, total)))
    assert calls[-1] == (70, 70)
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)
    assert len(calls) >= 3


def test_dedupe_keeps_the_first_of_each_hash() -> None:
    still = np.full((64, 96, 3), 0, dtype=np.uint8)
    still[:, :48] = 220
    still[20:40, 60:90] = 90
    hashes = vpdq_hash(encode(12, rate=4, maker=lambda i: still), seconds_per_hash=0)
    unique = dedupe(hashes.features)
    assert len(unique) < len(hashes.features)
    assert len({f.pdq for f in unique}) == len(unique)
    assert unique[0].frame == 0


def test_quality_filter_keeps_quality_50_and_up() -> None:
    pdq = PdqHash(bytes(32))
    features = [VpdqFeature(i, q, pdq, i / 30) for i, q in enumerate([0, 49, 50, 100])]
    assert [f.quality for f in quality_filter(features)] == [50, 100]


def test_reference_lines_round_trip(clip: bytes) -> None:
    features = vpdq_hash(clip, seconds_per_hash=0).features
    text = to_lines(features)
    first = text.splitlines()[0].split(",")
    assert first[0] == "0" and len(first[2]) == 64 and first[3] == "0.000"
    assert text.splitlines()[3].endswith(",0.300")
    back = parse_lines(text)
    assert [(f.frame, f.quality, f.pdq) for f in back] == [
        (f.frame, f.quality, f.pdq) for f in features
    ]


def test_pytx_json_form(clip: bytes) -> None:
    features = vpdq_hash(clip, seconds_per_hash=0.5).features
    items = json.loads(to_pytx_json(features))
    assert items[0] == f"{features[0].pdq.hex},{features[0].quality},0.0"
    assert items[1].endswith(",0.5")
    back = parse_pytx_json(to_pytx_json(features), frame_rate=10.0)
    assert [(f.frame, f.quality, f.pdq) for f in back] == [
        (f.frame, f.quality, f.pdq) for f in features
    ]


@pytest.mark.parametrize(
    "text",
    ["0,100,abc,0.0", "0,101," + "0" * 64 + ",0.0", "-1,5," + "0" * 64 + ",0", "x"],
)
def test_bad_lines_are_refused_with_the_line_number(text: str) -> None:
    with pytest.raises(HashFormatError, match="line 1"):
        parse_lines(text)


@pytest.mark.parametrize("text", ['{"a": 1}', '["zz,1,0"]', "[1]", "not json"])
def test_bad_pytx_json_is_refused(text: str) -> None:
    with pytest.raises(HashFormatError):
        parse_pytx_json(text)


def test_seconds_per_hash_is_bounded(clip: bytes) -> None:
    for bad in (-1.0, float("nan"), 1e9):
        with pytest.raises(ValueError, match="seconds per hash"):
            vpdq_hash(clip, seconds_per_hash=bad)


def test_too_many_frames_is_refused(clip: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(video_module, "MAX_FRAMES", 10)
    with pytest.raises(VideoDecodeError, match="too long"):
        vpdq_hash(clip)


def test_too_long_a_video_is_refused_before_decoding(
    clip: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(video_module, "MAX_DURATION_SECONDS", 1)
    with pytest.raises(VideoDecodeError, match="too long"):
        vpdq_hash(clip)


def test_too_large_frames_are_refused(clip: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(video_module, "MAX_FRAME_PIXELS", 96 * 64 - 1)
    with pytest.raises(VideoDecodeError, match="too large"):
        vpdq_hash(clip)


@pytest.mark.parametrize(
    "data",
    [
        b"hello, this is a text file\n" * 20,
        b"#EXTM3U\n#EXTINF:1,\nfile:///etc/passwd\n",  # a playlist: never followed
        b"\x89PNG\r\n\x1a\n" + bytes(100),
    ],
)
def test_other_bytes_are_not_videos(data: bytes) -> None:
    assert not is_video(data)
    with pytest.raises(NotAVideoError):
        vpdq_hash(data)


def test_empty_bytes_are_refused() -> None:
    with pytest.raises(EmptyFileError):
        vpdq_hash(b"")


def test_a_truncated_video_fails_in_one_line_or_keeps_its_decodable_frames(clip: bytes) -> None:
    cut = clip[: len(clip) // 2]
    try:
        hashes = vpdq_hash(cut, seconds_per_hash=0)
    except VideoDecodeError as error:
        assert "\n" not in str(error)
    else:
        assert 0 < hashes.frames_decoded <= 25


def test_moving_texture_frames_differ() -> None:
    make = moving_texture()
    assert not np.array_equal(make(0), make(1))


def test_hash_file_of_a_video_gives_vpdq_and_digests(clip: bytes, tmp_path: Path) -> None:
    path = tmp_path / "clip.mp4"
    path.write_bytes(clip)
    hashes = hash_file(path)
    assert hashes.kind == "video" and hashes.pdq is None
    assert hashes.vpdq == vpdq_hash(clip).features
    out = hashes.as_json()
    assert out["frame_rate"] == 10.0
    assert [f["frame"] for f in out["vpdq"]] == [0, 10, 20]
    assert set(out["vpdq"][0]) == {"frame", "quality", "pdq", "timestamp"}
    assert [f.frame for f in hash_file(path, seconds_per_hash=0).vpdq or ()] == list(range(25))


def test_a_video_refused_by_the_bounds_keeps_its_digests_and_says_why(
    clip: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "clip.mp4"
    path.write_bytes(clip)
    monkeypatch.setattr(video_module, "MAX_FRAMES", 5)
    hashes = hash_file(path)
    assert hashes.kind == "file" and hashes.vpdq is None
    assert "too long" in (hashes.note or "")
    assert hashes.as_json()["note"] == hashes.note


def test_frame_hashes_are_distinct_good_and_bounded() -> None:
    from hashstop.hashing.video import frame_hashes

    def pdq(i: int) -> PdqHash:
        return PdqHash(i.to_bytes(32, "big"))

    features = [VpdqFeature(i, 40 if i % 5 == 0 else 90, pdq(i // 2), i / 30) for i in range(100)]
    kept = frame_hashes(features)
    assert all(f.quality >= 50 for f in kept)
    assert len({f.pdq for f in kept}) == len(kept) == 50
    few = frame_hashes(features, limit=10)
    assert len(few) == 10 and few[0] == kept[0] and few[-1] == kept[-1]


def test_query_hashes_of_a_video(clip: bytes, tmp_path: Path) -> None:
    from hashstop.hashing import query_hashes
    from hashstop.hashing.video import frame_hashes

    path = tmp_path / "clip.mp4"
    path.write_bytes(clip)
    pairs = query_hashes(path)
    frames = frame_hashes(vpdq_hash(clip).features)
    assert pairs[: len(frames)] == [("pdq", f.pdq.hex) for f in frames]
    digests = hash_file(path)
    assert pairs[len(frames) :] == [("md5", digests.md5.hex), ("sha256", digests.sha256.hex)]
    assert query_hashes(clip) == pairs


def _codes(features: list[VpdqFeature]) -> np.ndarray:
    return np.array([np.frombuffer(f.pdq.data, np.uint8) for f in features], dtype=np.uint8)


def test_a_letterboxed_repost_is_found_by_its_frames_without_borders() -> None:
    """A wide clip re-posted in a taller canvas (black bars above and below): its frames as
    they are miss the registered video; the same frames without their bars match it."""
    from hashstop.hashing.video import frame_hashes, query_frames
    from hashstop.matching.video import DEFAULT_QUERY_SHARE, DEFAULT_STORED_SHARE, shares

    wide = moving_texture(192, 108, seed=11)

    def boxed(i: int) -> np.ndarray:
        canvas = np.zeros((144, 192, 3), dtype=np.uint8)
        canvas[18:126] = wide(i)
        return canvas

    stored = _codes(frame_hashes(vpdq_hash(encode(30, maker=wide, width=192, height=108)).features))
    upload = vpdq_hash(encode(30, maker=boxed, width=192, height=144), unframed=True)
    assert len(upload.unframed) == len(upload.features)  # every frame has the bars
    as_they_are = shares(_codes(frame_hashes(list(upload.features))), stored)
    assert as_they_are[0] < DEFAULT_QUERY_SHARE  # the plain frames alone would miss it
    query, stored_share = shares(_codes(query_frames(upload)), stored)
    assert query >= DEFAULT_QUERY_SHARE and stored_share >= DEFAULT_STORED_SHARE


def test_frames_without_borders_add_nothing_to_a_clip_without_borders(clip: bytes) -> None:
    from hashstop.hashing.video import frame_hashes, query_frames

    hashes = vpdq_hash(clip, unframed=True)
    assert hashes.unframed == ()
    assert query_frames(hashes) == frame_hashes(list(hashes.features))


def test_only_steady_borders_give_frames_without_borders() -> None:
    """Bars that stay put (letterbox) are kept; a box seen on one frame (a dark scene's edge)
    is not, so a clip without bars is not diluted by second hashes of a few frames."""
    from hashstop.hashing.video import _steady_borders

    def feature(i: int) -> VpdqFeature:
        return VpdqFeature(i, 90, PdqHash(i.to_bytes(32, "big")), float(i))

    bars = (0, 18, 192, 126)
    found = [(bars, feature(i)) for i in range(0, 20, 2)]
    found += [((0, 0, 100 + i, 108), feature(i)) for i in range(1, 20, 2)]
    kept = _steady_borders(found, 20)
    assert [f.frame for f in kept] == list(range(0, 20, 2))
    assert _steady_borders(found[:3], 20) == ()  # 3 of 20 frames: under a fifth
    assert _steady_borders([(bars, feature(0))], 1) == ()  # one frame is never steady
