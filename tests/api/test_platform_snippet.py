"""The platform snippet of docs/platforms.md, run as it is written, against a real service.

The code between the `platform-snippet` markers is executed with `upload_path` and `api_key`
set and the placeholder server address replaced by a live service's: a photo whose variants a
victim registered is found, a registered video is found by its exact fingerprints, and an
unknown file, an empty file and a damaged JPEG give no hit and no exception.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from hashstop.hashing import file_digests, open_image, photo_variants
from tests.conftest import CONFORMANCE_DIR, REPO_ROOT
from tests.web.live_service import LiveService, running_service

DOC = REPO_ROOT / "docs" / "platforms.md"
PHOTO = CONFORMANCE_DIR / "images" / "bridge-mods" / "aaa-orig.jpg"


def snippet() -> str:
    text = DOC.read_text()
    block = re.search(
        r"<!-- platform-snippet -->\n```python\n(.*?)```\n<!-- /platform-snippet -->", text, re.S
    )
    assert block is not None, "docs/platforms.md has no platform-snippet block"
    return block[1]


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveService]:
    with running_service(tmp_path_factory.mktemp("snippet-service")) as live:
        yield live


def run_snippet(service: LiveService, upload: Path, capsys: pytest.CaptureFixture[str]) -> str:
    code = snippet().replace("https://hashstop.example.org", service.url)
    namespace: dict[str, Any] = {
        "upload_path": str(upload),
        "api_key": service.platform_key("snippet"),
    }
    capsys.readouterr()
    exec(compile(code, str(DOC), "exec"), namespace)  # noqa: S102 - the documentation's own code
    return capsys.readouterr().out


def register(service: LiveService, hashes: list[dict[str, Any]]) -> None:
    with httpx.Client(base_url=service.url, timeout=30) as api:
        response = api.post("/v1/cases", json={"hashes": hashes})
    assert response.status_code == 201, response.text


def test_a_registered_photo_is_found_by_the_snippet(service, tmp_path, capsys):
    variants = photo_variants(open_image(PHOTO))
    register(
        service,
        [
            {
                "algorithm": "pdq",
                "value": v.pdq.hex,
                "quality": v.quality,
                "variant": v.name,
                "photo": "p1",
            }
            for v in variants
        ],
    )
    out = run_snippet(service, PHOTO, capsys)
    lines = out.splitlines()
    assert lines, "the registered photo was not found"
    assert all(re.fullmatch(r"p_[0-9a-f]+ pdq \S+ \d+", line) for line in lines)
    assert any(line.endswith(" original 0") for line in lines)


def test_a_registered_video_is_found_by_its_exact_fingerprints(service, tmp_path, capsys):
    video = tmp_path / "clip.mp4"
    video.write_bytes(b"\x00\x00\x00\x18ftypmp42" + random.Random(5).randbytes(50_000))
    md5, sha256 = file_digests(video)
    register(
        service,
        [
            {"algorithm": "md5", "value": md5.hex, "photo": "v1"},
            {"algorithm": "sha256", "value": sha256.hex, "photo": "v1"},
        ],
    )
    out = run_snippet(service, video, capsys)
    assert sorted(line.split()[1] for line in out.splitlines()) == ["md5", "sha256"]


@pytest.mark.parametrize(
    "content",
    [
        random.Random(7).randbytes(4096),  # an unknown file
        b"",  # an empty file
        PHOTO.read_bytes()[:3000],  # a damaged (truncated) JPEG
    ],
    ids=["unknown", "empty", "truncated-jpeg"],
)
def test_a_file_that_is_no_registered_image_gives_no_hit_and_no_error(
    service, tmp_path, capsys, content
):
    upload = tmp_path / "upload.bin"
    upload.write_bytes(content)
    assert run_snippet(service, upload, capsys) == ""


def test_a_registered_video_is_found_by_its_frames_in_a_video_item(service, tmp_path, capsys):
    from hashstop.client.collection import collect
    from tests.api.test_match_video_clips import clip

    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "clip.mp4").write_bytes(clip(11))
    (entries,) = list(collect((str(mine),)).batches())
    register(service, entries)

    out = run_snippet(service, mine / "clip.mp4", capsys)  # the identical file
    assert {line.split()[1] for line in out.splitlines()} == {"pdq", "md5", "sha256"}
    copy = tmp_path / "copy.mp4"
    copy.write_bytes(clip(11, size=(120, 90)))  # re-encoded smaller: no digest in common
    lines = run_snippet(service, copy, capsys).splitlines()
    assert lines and all(re.fullmatch(r"p_[0-9a-f]+ pdq frame \d+", line) for line in lines)
    other = tmp_path / "other.mp4"
    other.write_bytes(clip(12))
    assert run_snippet(service, other, capsys) == ""
