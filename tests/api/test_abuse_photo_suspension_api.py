"""Issue 12, attack 7: suspending the hash a match hit left the photo matching.

A photo is stored as several variants (photo, crops, mirror, turns) and exact hashes. A
moderator suspended the hash an upload hit; an edited copy then matched through another variant.
Now the moderator suspends (and restores) the *photo*, every hash of it in one action, from the
API and from the match page on /review, which shows the variant that hit and the others' states.
"""

from __future__ import annotations

from tests import sample_hashes
from tests.api.moderation import audit, headers, match, open_case, review
from tests.api.test_review_pages_api import csrf_of, sign_in
from tests.service_fixtures import running_client, wait_ready

VARIANTS = ("original", "crop5", "crop10", "mirror", "rot90", "rot180", "rot270")


def photo_entries(seed):
    values = {name: sample_hashes.pdq(seed + i) for i, name in enumerate(VARIANTS)}
    entries = [
        {"algorithm": "pdq", "value": v, "quality": 100, "photo": "ph", "variant": name}
        for name, v in values.items()
    ]
    entries.append({"algorithm": "md5", "value": sample_hashes.md5(seed), "photo": "ph"})
    return values, entries


def test_a_moderator_suspends_and_restores_the_whole_photo(client, make_key):
    platform = headers(make_key("platform", name="acme", platform="acme"))
    moderator = headers(make_key("moderator", name="mod"))
    admin = headers(make_key("admin", name="root"))
    values, entries = photo_entries(800)
    open_case(client, *entries)
    hit = match(client, platform, values["original"], "upload-1")
    view = review(client, moderator, hit["match_id"])
    (photo,) = view["photos"]
    assert len(photo["hashes"]) == len(entries) and photo["status"] == "active"
    hit_id = view["matches"][0]["hash_id"]
    assert view["hits"][0]["variant"] == "original" and view["hits"][0]["photo"] == photo["photo"]
    assert {h["variant"] for h in photo["hashes"]} >= set(VARIANTS)

    # The attack before issue 12: the single hash suspended, an edited copy still matches.
    one = client.post(
        f"/v1/review/hashes/{hit_id}/suspend", json={"reason": "one hash"}, headers=moderator
    )
    assert one.status_code == 200
    assert match(client, platform, values["crop5"], "upload-2")["matched"]
    again = review(client, moderator, hit["match_id"])["photos"][0]
    assert again["status"] == "partly suspended"

    # The photo as a whole: no variant matches any more.
    suspended = client.post(
        f"/v1/review/photos/{photo['photo']}/suspend",
        json={"reason": "a meme, not a victim's photo"},
        headers=moderator,
    )
    assert suspended.status_code == 200, suspended.text
    body = suspended.json()
    assert body["status"] == "suspended"
    assert {h["status"] for h in body["hashes"]} == {"suspended"}
    for name, value in values.items():
        assert not match(client, platform, value, f"after-{name}")["matched"], name
    md5 = {"items": [{"ref": "file", "hashes": [entries[-1] | {"photo": None}]}]}
    md5["items"][0]["hashes"] = [{"algorithm": "md5", "value": entries[-1]["value"]}]
    assert not client.post("/v1/match", json=md5, headers=platform).json()["results"][0]["matched"]
    (entry,) = audit(client, admin, "photo.suspended")
    assert entry["target"] == f"photo:{photo['photo']}"
    assert entry["details"]["hashes_suspended"] == len(entries) - 1  # one was suspended already

    restored = client.post(
        f"/v1/review/photos/{photo['photo']}/restore",
        json={"reason": "it was a victim's photo after all"},
        headers=moderator,
    )
    assert restored.status_code == 200 and restored.json()["status"] == "active"
    for name, value in values.items():
        assert match(client, platform, value, f"restored-{name}")["matched"], name


def test_a_scoped_moderator_cannot_suspend_a_photo(client, make_key):
    platform = headers(make_key("platform", name="acme", platform="acme"))
    scoped = headers(make_key("moderator", name="mod-acme", platform="acme"))
    values, entries = photo_entries(820)
    open_case(client, *entries)
    hit = match(client, platform, values["original"])
    moderator = headers(make_key("moderator", name="mod-all"))
    (photo,) = [p["photo"] for p in review(client, moderator, hit["match_id"])["photos"]]
    answer = client.post(f"/v1/review/photos/{photo}/suspend", json={"reason": "x"}, headers=scoped)
    assert answer.status_code == 403
    assert (
        client.get(
            "/v1/review/photos/p_0000000000000000",
            headers=headers(make_key("moderator", name="mod")),
        ).status_code
        == 404
    )


def test_the_match_page_suspends_the_photo_by_default(settings, make_key):
    from hashstop.app import create_app

    platform = headers(make_key("platform", name="acme", platform="acme"))
    moderator_key = make_key("moderator", name="mod")
    values, entries = photo_entries(840)
    with running_client(create_app(settings)) as client:
        wait_ready(client)
        open_case(client, *entries)
        hit = match(client, platform, values["original"], "upload-1")
        sign_in(client, moderator_key)
        page = client.get(f"/review/matches/{hit['match_id']}").text
        assert "Suspend the photo (every variant)" in page
        assert "crop5" in page and "<strong>(hit)</strong>" in page
        assert "Suspend this hash only" in page
        # The moderator's id of the photo (a platform sees its own keyed name for it).
        (photo,) = [
            p["photo"] for p in review(client, headers(moderator_key), hit["match_id"])["photos"]
        ]
        done = client.post(
            f"/review/photos/{photo}/suspend",
            data={
                "csrf": csrf_of(client),
                "reason": "not a victim's photo",
                "back": f"/review/matches/{hit['match_id']}",
            },
            follow_redirects=False,
        )
        assert done.status_code == 303, done.text
        for name, value in values.items():
            assert not match(client, platform, value, f"after-{name}")["matched"], name
