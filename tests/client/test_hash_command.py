"""`hashstop hash`: output formats, order, exit statuses, and no traceback on any input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from hashstop.cli import main
from hashstop.hashing import hash_file
from tests.conftest import CONFORMANCE_DIR
from tests.hashing.generated import scene

PHOTO = CONFORMANCE_DIR / "images" / "bridge-mods" / "aaa-orig.jpg"  # 1.6 MP
SMALL = CONFORMANCE_DIR / "images" / "labelme-subset" / "q2821.jpg"
IMAGE_KEYS = {"path", "kind", "pdq", "pdq_quality", "phash", "md5", "sha256"}
HASHSTOP = Path(sys.executable).with_name("hashstop")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A victim's folder: images in subfolders, a document, an empty and a broken file."""
    root = tmp_path / "photos"
    (root / "a" / "sub").mkdir(parents=True)
    (root / "b").mkdir()
    (root / "c").mkdir()  # empty folder
    Image.fromarray(scene(np.random.default_rng(1), 120, 160)).save(root / "b" / "scene.png")
    (root / "a" / "sub" / "photo.jpg").write_bytes(SMALL.read_bytes())
    (root / "a.txt").write_text("not an image\n")
    (root / "empty.jpg").write_bytes(b"")
    (root / "cut.jpg").write_bytes(SMALL.read_bytes()[:3000])
    return root


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["hash", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result.exit_code, result.stdout, result.stderr


def test_json_lines_in_sorted_order_and_the_run_goes_on(folder: Path) -> None:
    code, out, err = run("--json", str(folder))
    lines = [json.loads(line) for line in out.splitlines()]
    paths = [Path(line["path"]).relative_to(folder).as_posix() for line in lines]
    assert paths == ["a/sub/photo.jpg", "a.txt", "b/scene.png", "cut.jpg", "empty.jpg"]
    by_name = dict(zip(paths, lines, strict=True))
    for name in ("a/sub/photo.jpg", "b/scene.png"):
        assert set(by_name[name]) == IMAGE_KEYS and by_name[name]["kind"] == "image"
        assert by_name[name] == {"path": str(folder / name), **hash_file(folder / name).as_json()}
    assert set(by_name["a.txt"]) == {"path", "kind", "md5", "sha256"}
    assert by_name["a.txt"]["kind"] == "file"
    assert (
        set(by_name["cut.jpg"]) == {"path", "error"} and "truncated" in by_name["cut.jpg"]["error"]
    )
    assert "empty" in by_name["empty.jpg"]["error"]
    assert code == 1
    assert err.strip() == "hashstop hash: 2 of 5 files could not be hashed"
    assert "Traceback" not in out + err


def test_success_exits_zero_without_noise_on_stderr(folder: Path) -> None:
    code, out, err = run("--json", str(folder / "a"), str(folder / "b"), str(folder / "a.txt"))
    assert code == 0 and err == ""  # no progress bar when stderr is not a terminal
    assert len(out.splitlines()) == 3


def test_dihedral_adds_eight_hashes(folder: Path) -> None:
    code, out, _ = run("--json", "--dihedral", str(folder / "b" / "scene.png"))
    (line,) = [json.loads(x) for x in out.splitlines()]
    assert code == 0 and len(line["pdq_dihedral"]) == 8 and line["pdq_dihedral"][0] == line["pdq"]


def test_full_resolution_is_the_reference_hash(conformance: dict[str, Any]) -> None:
    (expected,) = [c for c in conformance["cases"] if c["path"] == PHOTO]
    _, out, _ = run("--json", "--full-resolution", str(PHOTO))
    assert json.loads(out)["pdq"] == expected["pdq"]
    _, out, _ = run("--json", str(PHOTO))
    assert json.loads(out)["pdq_quality"] == expected["quality"]


def test_a_missing_path_stops_before_hashing(folder: Path) -> None:
    code, out, err = run("--json", str(folder / "a.txt"), str(folder / "nope.jpg"))
    assert code == 2 and out == ""
    assert err.splitlines() == [f"hashstop hash: no such file or folder: {folder / 'nope.jpg'}"]


def test_the_table_is_readable(folder: Path) -> None:
    code, out, _ = run(str(folder / "a" / "sub" / "photo.jpg"), str(folder / "cut.jpg"))
    hashes = hash_file(folder / "a" / "sub" / "photo.jpg")
    assert code == 1
    assert hashes.pdq is not None and hashes.phash is not None
    for text in ("photo.jpg", hashes.pdq.hex, hashes.phash.hex, hashes.sha256.hex, "truncated"):
        assert text in out
    assert "Traceback" not in out


def test_names_that_are_not_utf8(tmp_path: Path) -> None:
    name = tmp_path / os.fsdecode(b"caf\xe9 [bold]x.png")
    Image.fromarray(scene(np.random.default_rng(4), 40, 40)).save(name, format="PNG")
    code, out, _ = run("--json", str(tmp_path))
    assert code == 0 and json.loads(out)["path"] == str(name)
    code, out, _ = run(str(tmp_path))
    assert code == 0 and "[bold]x" in out  # shown as text, not as markup


def test_the_installed_script_never_prints_a_traceback(folder: Path) -> None:
    (folder / "noise.bin").write_bytes(np.random.default_rng(0).bytes(10_000))
    done = subprocess.run(
        [str(HASHSTOP), "hash", "--json", str(folder)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert len([json.loads(line) for line in done.stdout.splitlines()]) == 6
    missing = subprocess.run(
        [str(HASHSTOP), "hash", str(folder / "gone")], capture_output=True, text=True, timeout=60
    )
    assert missing.returncode == 2 and len(missing.stderr.splitlines()) == 1
    assert "Traceback" not in missing.stderr


def test_a_closed_pipe_ends_the_run_quietly(tmp_path: Path) -> None:
    for index in range(400):  # more output than a pipe buffers
        (tmp_path / f"{index:03}.txt").write_text(str(index))
    process = subprocess.Popen(
        [str(HASHSTOP), "hash", "--json", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    first = process.stdout.readline()
    process.stdout.close()
    error = process.stderr.read().decode()
    process.wait(timeout=60)
    assert json.loads(first)["kind"] == "file"
    assert "Traceback" not in error and "Exception" not in error


def test_variants_and_query_hashes_in_json(folder: Path) -> None:
    from hashstop.hashing import open_image, photo_variants, query_hashes

    code, out, _ = run("--json", "--variants", "--query", str(folder / "b"), str(folder / "a.txt"))
    assert code == 0
    scene_line, text_line = (json.loads(line) for line in out.splitlines())
    image = open_image(folder / "b" / "scene.png")
    expected = [
        {"name": v.name, "pdq": v.pdq.hex, "pdq_quality": v.quality} for v in photo_variants(image)
    ]
    assert scene_line["variants"] == expected and len(expected) > 10
    assert scene_line["variants"][0]["name"] == "original"
    assert all(v["pdq_quality"] >= 50 for v in scene_line["variants"])
    assert scene_line["query_hashes"] == [
        {"algorithm": a, "value": v} for a, v in query_hashes(image)
    ]
    assert scene_line["query_hashes"][0]["algorithm"] == "pdq"
    assert scene_line["query_kind"] == text_line["query_kind"] == "photo"
    # A file that is no image: no variants; a platform matches it by its exact digests.
    assert text_line["variants"] == []
    assert text_line["query_hashes"] == [
        {"algorithm": "md5", "value": text_line["md5"]},
        {"algorithm": "sha256", "value": text_line["sha256"]},
    ]
    # Without the flags, neither key is there.
    _, plain, _ = run("--json", str(folder / "b"))
    assert "variants" not in json.loads(plain) and "query_hashes" not in json.loads(plain)


def test_variants_and_query_hashes_in_the_table(folder: Path) -> None:
    from hashstop.hashing import photo_variants

    code, out, _ = run("--variants", "--query", str(folder / "b" / "scene.png"))
    assert code == 0
    variants = photo_variants(folder / "b" / "scene.png")
    for v in variants:
        assert f"stored {v.name} q{v.quality}" in out and v.pdq.hex in out
    assert "query 1 pdq" in out


def test_a_flat_photo_has_no_variants_and_a_broken_one_an_error(folder: Path) -> None:
    flat = folder / "flat.png"
    Image.new("RGB", (200, 150), (90, 90, 90)).save(flat)
    code, out, _ = run("--json", "--variants", str(flat))
    assert code == 0 and json.loads(out)["variants"] == []
    code, out, err = run("--variants", str(flat))
    assert "none: too little detail" in out
    code, out, err = run("--json", "--variants", "--query", str(folder / "cut.jpg"))
    assert code == 1 and "error" in json.loads(out) and "Traceback" not in err


@pytest.fixture
def video(tmp_path: Path) -> Path:
    from tests.hashing.synthetic_video import encode

    path = tmp_path / "clip.mp4"
    path.write_bytes(encode(25, rate=10))
    return path


def test_a_video_gets_vpdq_in_json(video: Path) -> None:
    code, out, err = run("--json", str(video))
    assert code == 0, err
    line = json.loads(out)
    assert line["kind"] == "video" and line["frame_rate"] == 10.0
    assert [f["frame"] for f in line["vpdq"]] == [0, 10, 20]
    assert line == {"path": str(video), **hash_file(video).as_json()}
    code, out, _err = run("--json", "--seconds-per-hash", "0", str(video))
    assert [f["frame"] for f in json.loads(out)["vpdq"]] == list(range(25))


def test_seconds_per_hash_is_checked(video: Path) -> None:
    code, _out, err = run("--seconds-per-hash", "-1", str(video))
    assert code == 2 and "seconds-per-hash" in err and "Traceback" not in err


def test_a_videos_query_hashes_are_its_frames_and_digests(video: Path) -> None:
    from hashstop.hashing.video import frame_hashes, vpdq_hash

    code, out, _err = run("--json", "--query", str(video))
    sent = json.loads(out)["query_hashes"]
    frames = frame_hashes(vpdq_hash(video).features)
    assert [q["algorithm"] for q in sent] == ["pdq"] * len(frames) + ["md5", "sha256"]
    assert [q["value"] for q in sent[: len(frames)]] == [f.pdq.hex for f in frames]
    # They go in a video item of POST /v1/match, as `match_item` makes it.
    assert json.loads(out)["query_kind"] == "video"
    from hashstop.hashing import match_item

    assert match_item(video, "r") == {"ref": "r", "kind": "video", "hashes": sent}


def test_a_video_in_the_table(video: Path) -> None:
    code, out, _err = run(str(video))
    assert code == 0 and "video" in out and "frame 10" in out


def test_a_video_is_one_item_of_a_submission(video: Path) -> None:
    from hashstop.client.collection import collect
    from hashstop.hashing.video import frame_hashes

    collection = collect((str(video),))
    assert len(collection.files) == 1
    (item,) = collection.files
    assert item.is_video and not item.is_photo and collection.other_files == 1
    frames = frame_hashes(hash_file(video).vpdq or ())
    assert [e["algorithm"] for e in item.entries] == ["pdq"] * len(frames) + ["md5", "sha256"]
    assert {e["variant"] for e in item.entries[: len(frames)]} == {"frame"}
    assert len({e["photo"] for e in item.entries}) == 1
