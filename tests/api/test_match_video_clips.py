"""Video items end to end with real (generated) clips: the victim's client registers a clip as
one item; a platform's `match_item` of a re-encoded, trimmed or downscaled copy matches it by
the share rule, a distinct clip does not, and a still of one frame matches as a photo item."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
from PIL import Image

from hashstop.client.collection import collect
from hashstop.hashing import match_item
from tests.hashing.synthetic_video import encode, moving_texture
from tests.service_fixtures import bearer

SIZE = (160, 120)


@pytest.fixture
def platform(make_key):
    return bearer(make_key("platform", platform="acme"))


def clip(seed: int, frames: int = 120, rate: int = 10, size: tuple[int, int] = SIZE) -> bytes:
    """`frames` frames of a slow pan over a texture of `seed`, at the original size."""
    w, h = SIZE
    pan = moving_texture(w, h, seed=seed)

    def frame(i: int) -> np.ndarray:
        picture = pan(i // 3)  # a pixel a frame
        if size != SIZE:
            picture = np.asarray(Image.fromarray(picture).resize(size, Image.Resampling.BILINEAR))
        return picture

    return encode(frames, rate=rate, maker=frame, width=size[0], height=size[1])


def register(client: Any, tmp_path: Path, data: bytes) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "clip.mp4").write_bytes(data)
    (entries,) = list(collect((str(folder),)).batches())
    assert any(e.get("variant") == "frame" for e in entries)
    response = client.post("/v1/cases", json={"hashes": entries})
    assert response.status_code == 201, response.text


def result_of(client: Any, headers: dict[str, str], item: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/v1/match", json={"items": [item]}, headers=headers)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()["results"][0]
    return found


def test_copies_of_a_registered_clip_match_and_others_do_not(client, platform, tmp_path):
    original = clip(3)
    register(client, tmp_path, original)

    # The exact file: its digests and every frame.
    same = result_of(client, platform, match_item(original, "same"))
    assert same["matched"] and {"md5", "sha256", "pdq"} <= {h["algorithm"] for h in same["matches"]}
    assert same["videos"][0]["query_share"] == same["videos"][0]["stored_share"] == 1.0

    # Downscaled and re-encoded: no digest, the frames by the share rule.
    smaller = match_item(clip(3, size=(120, 90)), "smaller")
    assert smaller["kind"] == "video"
    found = result_of(client, platform, smaller)
    assert found["matched"], found
    assert {h["algorithm"] for h in found["matches"]} == {"pdq"}
    assert found["videos"][0]["query_share"] >= 0.5 <= found["videos"][0]["stored_share"]

    # The first 70% of it: the stored share drops, the query share does not.
    trimmed = result_of(client, platform, match_item(clip(3, frames=84), "trimmed"))
    assert trimmed["matched"], trimmed
    assert trimmed["videos"][0]["stored_share"] < 1.0

    # Another clip: nothing.
    assert not result_of(client, platform, match_item(clip(4), "other"))["matched"]

    # A still of a frame of the clip, as a photo (PNG bytes): a photo item that matches.
    with av.open(io.BytesIO(original), mode="r") as container:
        decoded = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    png = io.BytesIO()
    Image.fromarray(decoded[40]).save(png, format="PNG")
    still = match_item(png.getvalue(), "still", local=False)
    assert "kind" not in still
    assert result_of(client, platform, still)["matched"]
