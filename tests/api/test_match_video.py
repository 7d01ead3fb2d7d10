"""POST /v1/match with video items (issue 13): the vPDQ share rule, stills, limits, bad input.

A registered video is one photo of its case whose PDQ hashes have the variant `frame`. A video
item (`"kind": "video"`) carries an upload's frame hashes; it matches a stored video only when
enough of its frames match the video's frames and enough of the video's frames match its frames.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests import sample_hashes
from tests.service_fixtures import bearer

VIDEO_FRAMES = 20


@pytest.fixture
def platform(make_key):
    return bearer(make_key("platform", platform="acme"))


def frame(k: int) -> str:
    return sample_hashes.pdq(5000 + k)


def register_video(client, frames: int = VIDEO_FRAMES, key: str = "video-1") -> None:
    entries = [
        {"algorithm": "pdq", "value": frame(k), "quality": 90, "photo": key, "variant": "frame"}
        for k in range(frames)
    ]
    entries += [
        {"algorithm": "md5", "value": sample_hashes.md5(7), "photo": key},
        {"algorithm": "sha256", "value": sample_hashes.sha256(7), "photo": key},
    ]
    response = client.post("/v1/cases", json={"hashes": entries})
    assert response.status_code == 201 and response.json()["accepted"] == len(entries)


def video_item(values: list[str], ref: str = "upload-1", **extra: Any) -> dict[str, Any]:
    hashes = [{"algorithm": "pdq", "value": v} for v in values]
    return {"ref": ref, "kind": "video", "hashes": hashes, **extra}


def match(client, headers, *items: Any) -> list[dict[str, Any]]:
    response = client.post("/v1/match", json={"items": list(items)}, headers=headers)
    assert response.status_code == 200, response.text
    results: list[dict[str, Any]] = response.json()["results"]
    return results


def near(k: int, bits: int = 10) -> str:
    """Frame k of the registered video as a re-encode would give it: `bits` bits away."""
    return sample_hashes.flip(frame(k), bits, seed=k)


def other(k: int) -> str:
    """A frame of another video: far from every registered frame."""
    return sample_hashes.pdq(90_000 + k)


def test_a_reencoded_video_matches_with_both_shares(client, platform):
    register_video(client)
    (result,) = match(client, platform, video_item([near(k) for k in range(VIDEO_FRAMES)]))
    assert result["matched"] is True and result["match_id"].startswith("m_")
    (video,) = result["videos"]
    assert video == {
        "photo": result["matches"][0]["photo"],
        "query_frames": VIDEO_FRAMES,
        "stored_frames": VIDEO_FRAMES,
        "query_share": 1.0,
        "stored_share": 1.0,
    }
    assert len(result["matches"]) == VIDEO_FRAMES
    assert {h["variant"] for h in result["matches"]} == {"frame"}
    record = client.get(f"/v1/matches/{result['match_id']}", headers=platform).json()
    assert len(record["matches"]) == VIDEO_FRAMES


def test_a_trimmed_copy_matches_and_reports_the_stored_share(client, platform):
    register_video(client)
    kept = range(4, 16)  # 20% cut at each end: 12 of the 20 frames
    (result,) = match(client, platform, video_item([near(k) for k in kept]))
    assert result["matched"] is True
    (video,) = result["videos"]
    assert video["query_share"] == 1.0 and video["stored_share"] == 0.6


def test_one_frame_of_a_long_video_does_not_match_a_video_item(client, platform):
    """An upload that shares one frame with a registered 20-frame video is another video."""
    register_video(client)
    values = [near(3)] + [other(k) for k in range(29)]
    (result,) = match(client, platform, video_item(values))
    assert result == {"ref": "upload-1", "matched": False, "matches": []}


def test_repeating_the_one_matching_frame_counts_it_once(client, platform):
    register_video(client)
    (result,) = match(client, platform, video_item([near(3)] * 300))
    assert result["matched"] is False  # query share 1/1, but 1 of the video's 20 frames


def test_a_still_of_one_frame_matches_as_a_photo_item(client, platform):
    register_video(client)
    item = {"ref": "screenshot", "hashes": [{"algorithm": "pdq", "value": near(3)}]}
    (result,) = match(client, platform, item)
    assert result["matched"] is True and result["matches"][0]["variant"] == "frame"
    assert "videos" not in result  # a photo item's result keeps its shape


def test_a_video_whose_frame_matches_a_registered_photo_matches(client, platform):
    photo = sample_hashes.pdq(77)
    response = client.post("/v1/cases", json={"hashes": [sample_hashes.pdq_entry(77)]})
    assert response.status_code == 201
    values = [other(k) for k in range(40)] + [sample_hashes.flip(photo, 12)]
    (result,) = match(client, platform, video_item(values))
    assert result["matched"] is True
    assert [h["variant"] for h in result["matches"]] == ["original"]
    assert result["videos"] == []  # no stored video matched, a photo did


def test_a_video_item_matches_an_identical_file_by_its_digests(client, platform):
    register_video(client)
    item = video_item([other(k) for k in range(5)])
    item["hashes"] += [{"algorithm": "sha256", "value": sample_hashes.sha256(7)}]
    (result,) = match(client, platform, item)
    assert result["matched"] is True
    assert [h["algorithm"] for h in result["matches"]] == ["sha256"]


def test_a_video_item_of_random_or_degenerate_frames_matches_nothing(client, platform):
    register_video(client)
    values = [other(k) for k in range(360)]
    (result,) = match(client, platform, video_item(values))
    assert result["matched"] is False
    degenerate = ["0" * 64, "f" * 64, "5" * 64, "a" * 64]
    (result,) = match(client, platform, video_item(degenerate))
    assert result["matched"] is False


def test_near_misses_are_not_told(client, platform):
    """Below the shares, the answer says nothing of how close it came."""
    register_video(client)
    values = [near(k) for k in range(3)] + [other(k) for k in range(17)]
    (result,) = match(client, platform, video_item(values))
    assert result == {"ref": "upload-1", "matched": False, "matches": []}


def test_photo_and_video_items_in_one_request(client, platform):
    register_video(client)
    photo_item = {"ref": "p", "hashes": [{"algorithm": "pdq", "value": near(0)}]}
    video = video_item([near(k) for k in range(VIDEO_FRAMES)], ref="v")
    unknown = video_item([other(k) for k in range(10)], ref="u")
    results = match(client, platform, photo_item, video, unknown)
    assert [r["matched"] for r in results] == [True, True, False]
    assert "videos" not in results[0] and len(results[1]["videos"]) == 1


def test_withdrawn_video_no_longer_matches(client, platform):
    entries = [
        {"algorithm": "pdq", "value": frame(k), "quality": 90, "photo": "v", "variant": "frame"}
        for k in range(VIDEO_FRAMES)
    ]
    opened = client.post("/v1/cases", json={"hashes": entries}).json()
    item = video_item([near(k) for k in range(VIDEO_FRAMES)])
    assert match(client, platform, item)[0]["matched"] is True
    headers = bearer(opened["secret"])
    assert client.delete(f"/v1/cases/{opened['case_id']}", headers=headers).status_code == 200
    assert match(client, platform, item)[0]["matched"] is False


@pytest.mark.parametrize(
    ("query_share", "stored_share", "matched"),
    [(0.5, 0.5, True), (0.5, 0.7, False), (0.8, 0.5, False), (0.25, 0.25, True)],
)
def test_each_share_is_held_to_its_threshold(
    database_url, make_key, query_share, stored_share, matched
):
    """The query covers 12 of the video's 20 frames (stored share 0.6), among 16 frames of its
    own (query share 0.75)."""
    from hashstop.app import create_app
    from tests.service_fixtures import make_settings, running_client, wait_ready

    settings = make_settings(
        database_url, video_min_query_share=query_share, video_min_stored_share=stored_share
    )
    with running_client(create_app(settings)) as client:
        wait_ready(client)
        register_video(client)
        values = [near(k) for k in range(12)] + [other(k) for k in range(4)]
        (result,) = match(client, bearer(make_key("platform")), video_item(values))
        assert result["matched"] is matched
        if matched:
            assert result["videos"][0]["query_share"] == 0.75
            assert result["videos"][0]["stored_share"] == 0.6


def test_a_suspended_frame_leaves_the_stored_count(client, platform, make_key):
    """The stored share counts the video's active frames: suspending frames shrinks it."""
    register_video(client, frames=4)
    moderator = bearer(make_key("moderator"))
    first = match(client, platform, video_item([near(0), near(1), near(2), near(3)]))[0]
    ids = sorted(h["hash_id"] for h in first["matches"])
    for hash_id in ids[:2]:
        response = client.post(
            f"/v1/review/hashes/{hash_id}/suspend", json={"reason": "test"}, headers=moderator
        )
        assert response.status_code == 200, response.text
    (result,) = match(client, platform, video_item([near(2), near(3)]))
    assert result["matched"] is True
    assert result["videos"][0]["stored_frames"] == 2
    assert result["videos"][0]["stored_share"] == 1.0


# -- limits and bad input: 4xx problem+json, never a 500 ------------------------------------


def test_an_oversized_video_item_is_413_with_the_limit(client, platform):
    response = client.post(
        "/v1/match",
        json={"items": [video_item([other(k) for k in range(361)])]},
        headers=platform,
    )
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert "at most 360 per video item" in response.json()["detail"]


def test_a_video_item_of_360_frames_is_answered(client, platform):
    (result,) = match(client, platform, video_item([other(k) for k in range(360)]))
    assert result["matched"] is False


def test_too_many_frames_in_one_request_is_413(client, platform):
    items = [video_item([other(k) for k in range(360)], ref=f"v{i}") for i in range(11)]
    response = client.post("/v1/match", json={"items": items}, headers=platform)
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert "more than 3600 frame hashes together" in response.json()["detail"]
    assert client.post("/v1/match", json={"items": items[:10]}, headers=platform).is_success


def test_a_video_item_bounds_its_other_hashes(client, platform):
    item = video_item([other(0)])
    item["hashes"] += [{"algorithm": "md5", "value": sample_hashes.md5(k)} for k in range(17)]
    response = client.post("/v1/match", json={"items": [item]}, headers=platform)
    assert response.status_code == 413 and "besides its frames" in response.json()["detail"]


@pytest.mark.parametrize(
    ("item", "where"),
    [
        (video_item(["zz" * 32]), "items[0].hashes[0]"),
        (video_item([other(0), "12"]), "items[0].hashes[1]"),
        ({**video_item([other(0)]), "kind": "film"}, "items[0].kind"),
        ({**video_item([other(0)]), "kind": 3}, "items[0].kind"),
        ({"ref": "r", "kind": "video", "hashes": []}, "items[0].hashes"),
        ({"ref": "r", "kind": "video"}, "items[0].hashes"),
        (
            {
                "ref": "r",
                "kind": "video",
                "hashes": [{"algorithm": "local", "value": "0" * 8 + "12345678" + "0" * 8}],
            },
            "a video item carries no local hashes",
        ),
        ({**video_item([other(0)]), "frames": [other(1)]}, "frames"),
    ],
)
def test_bad_video_items_are_422_saying_where(client, platform, item, where):
    response = client.post("/v1/match", json={"items": [item]}, headers=platform)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert where in response.json()["detail"]
