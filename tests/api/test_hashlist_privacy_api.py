"""Issue 12, attack 5: the hash list no longer links a victim's photos.

The attack: a platform mirroring `/v1/hashlist` saw a case's additions as consecutive entries,
its withdrawal as one consecutive block naming every hash of the case, and the same `photo` id
as every other platform. Now changes are published in batches that mix cases, shuffled within a
batch; a withdrawal is spread through a batch with other cases' changes; each platform has its
own names for photos. The service's own matching still changes at once. A client that follows
`next` as before still gets every change exactly once.
"""

from __future__ import annotations

import time
from typing import Any

from fastapi.testclient import TestClient

from hashstop.app import create_app
from tests import sample_hashes
from tests.service_fixtures import bearer, make_settings, wait_ready


def _app_client(database_url: str, **overrides: object) -> TestClient:
    settings = make_settings(database_url, **overrides)
    return TestClient(create_app(settings), raise_server_exceptions=False)


def _open(client: TestClient, seeds: range, photo_size: int = 1) -> dict[str, str]:
    hashes = [
        sample_hashes.pdq_entry(s, photo=f"photo-{(s - seeds.start) // photo_size}") for s in seeds
    ]
    r = client.post("/v1/cases", json={"hashes": hashes})
    assert r.status_code == 201, r.text
    opened: dict[str, str] = r.json()
    return opened


def _feed(client: TestClient, key: dict[str, str], after: int = 0, limit: int = 1000) -> list[Any]:
    entries = []
    while True:
        page = client.get(
            "/v1/hashlist", params={"after": after, "limit": limit}, headers=key
        ).json()
        entries += page["entries"]
        after = page["next"]
        if not page["has_more"]:
            return entries


def _longest_run(owners: list[str], owner: str) -> int:
    best = run = 0
    for o in owners:
        run = run + 1 if o == owner else 0
        best = max(best, run)
    return best


def _owner_of(values: dict[str, str], hash_ids: dict[int, str], entry: dict[str, Any]) -> str:
    if entry["value"] is not None:
        hash_ids[entry["hash_id"]] = values[entry["value"]]
    return hash_ids[entry["hash_id"]]


def test_a_lone_case_waits_for_a_batch_that_mixes_cases_but_matches_at_once(database_url, make_key):
    with _app_client(database_url, hashlist_batch_cases=3, hashlist_batch_min_seconds=0) as c:
        wait_ready(c)
        platform = bearer(make_key("platform", platform="mirror"))
        _open(c, range(1, 11))
        assert _feed(c, platform) == []  # one case alone is not published
        query = {
            "items": [{"ref": "u", "hashes": [{"algorithm": "pdq", "value": sample_hashes.pdq(3)}]}]
        }
        assert c.post("/v1/match", json=query, headers=platform).json()["results"][0]["matched"]
        _open(c, range(101, 111))
        assert _feed(c, platform) == []
        _open(c, range(201, 211))
        assert len(_feed(c, platform)) == 30


def test_a_case_is_not_consecutive_and_its_withdrawal_is_not_a_block(database_url, make_key):
    cases = {"A": range(1, 21), "B": range(101, 121), "C": range(201, 221)}
    values = {sample_hashes.pdq(s): name for name, seeds in cases.items() for s in seeds}
    with _app_client(database_url, hashlist_batch_cases=3, hashlist_batch_min_seconds=0) as c:
        wait_ready(c)
        platform = bearer(make_key("platform", platform="mirror"))
        opened = {name: _open(c, seeds, photo_size=5) for name, seeds in cases.items()}
        first = _feed(c, platform)
        hash_ids: dict[int, str] = {}
        owners = [_owner_of(values, hash_ids, e) for e in first]
        assert sorted(owners) == ["A"] * 20 + ["B"] * 20 + ["C"] * 20
        assert [e["seq"] for e in first] == list(range(1, 61))
        # the attack: read each case's additions as one run of entries
        assert max(_longest_run(owners, name) for name in cases) < 20
        assert [e["hash_id"] for e in first] != sorted(e["hash_id"] for e in first)

        # A withdraws; B and C add a photo each. Until then A's withdrawal waits for company.
        a = opened["A"]
        c.delete(f"/v1/cases/{a['case_id']}", headers=bearer(a["secret"]))
        assert _feed(c, platform, after=60) == []
        for name, seeds in (("B", range(121, 126)), ("C", range(221, 226))):
            o = opened[name]
            added = [sample_hashes.pdq_entry(s, photo="late") for s in seeds]
            r = c.post(
                f"/v1/cases/{o['case_id']}/hashes",
                json={"hashes": added},
                headers=bearer(o["secret"]),
            )
            assert r.status_code == 200
            values.update({sample_hashes.pdq(s): name for s in seeds})
        delta = _feed(c, platform, after=60)
        owners = [_owner_of(values, hash_ids, e) for e in delta]
        assert owners.count("A") == 20 and len(delta) == 30
        withdrawn = [i for i, e in enumerate(delta) if e["change"] == "withdrawn"]
        assert len(withdrawn) == 20
        # the withdrawal is not one block: other cases' entries fall between its entries
        assert withdrawn[-1] - withdrawn[0] + 1 > 20
        assert _longest_run(owners, "A") < 20


def test_a_lone_withdrawal_is_published_after_the_longest_wait(database_url, make_key):
    with _app_client(
        database_url,
        hashlist_batch_cases=3,
        hashlist_batch_min_seconds=0,
        hashlist_batch_max_seconds=1,
    ) as c:
        wait_ready(c)
        platform = bearer(make_key("platform", platform="mirror"))
        opened = _open(c, range(1, 4))
        time.sleep(1.2)
        assert len(_feed(c, platform)) == 3
        c.delete(f"/v1/cases/{opened['case_id']}", headers=bearer(opened["secret"]))
        query = {
            "items": [{"ref": "u", "hashes": [{"algorithm": "pdq", "value": sample_hashes.pdq(2)}]}]
        }
        # the service stops matching at once; the mirror learns it within the longest wait
        assert not c.post("/v1/match", json=query, headers=platform).json()["results"][0]["matched"]
        assert _feed(c, platform, after=3) == []
        time.sleep(1.2)
        delta = _feed(c, platform, after=3)
        assert [e["value"] for e in delta] == [None] * 3


def test_each_platform_sees_its_own_photo_names(database_url, make_key):
    with _app_client(database_url) as c:
        wait_ready(c)
        one = bearer(make_key("platform", platform="one"))
        two = bearer(make_key("platform", platform="two"))
        also_one = bearer(make_key("platform", platform="one"))
        _open(c, range(1, 7), photo_size=3)
        feed_one, feed_two = _feed(c, one), _feed(c, two)
        by_hash_one = {e["hash_id"]: e["photo"] for e in feed_one}
        by_hash_two = {e["hash_id"]: e["photo"] for e in feed_two}
        assert by_hash_one.keys() == by_hash_two.keys()
        assert all(by_hash_one[h] != by_hash_two[h] for h in by_hash_one)  # cannot be joined
        assert len(set(by_hash_one.values())) == 2 == len(set(by_hash_two.values()))
        assert {e["hash_id"]: e["photo"] for e in _feed(c, also_one)} == by_hash_one
        # a platform's match results use its own names, the same as in its feed
        query = {
            "items": [{"ref": "u", "hashes": [{"algorithm": "pdq", "value": sample_hashes.pdq(2)}]}]
        }
        result = c.post("/v1/match", json=query, headers=one).json()["results"][0]
        hit = result["matches"][0]
        assert hit["photo"] == by_hash_one[hit["hash_id"]]
        record = c.get(f"/v1/matches/{result['match_id']}", headers=one).json()
        assert record["matches"][0]["photo"] == by_hash_one[hit["hash_id"]]
        result_two = c.post("/v1/match", json=query, headers=two).json()["results"][0]
        assert result_two["matches"][0]["photo"] == by_hash_two[hit["hash_id"]]


def test_a_client_following_next_mirrors_the_list_exactly(database_url, make_key):
    """The existing sync loop (after=next, small pages, across batches closed at different
    times) ends with exactly the matchable set: nothing missed, nothing left over."""
    with _app_client(database_url, hashlist_batch_cases=2, hashlist_batch_min_seconds=0) as c:
        wait_ready(c)
        platform = bearer(make_key("platform", platform="mirror"))
        mirror: dict[int, str] = {}
        seen_seqs: list[int] = []
        after = 0
        opened = []

        def sync() -> None:
            nonlocal after
            while True:
                page = c.get(
                    "/v1/hashlist", params={"after": after, "limit": 7}, headers=platform
                ).json()
                for e in page["entries"]:
                    seen_seqs.append(e["seq"])
                    if e["value"] is None:
                        mirror.pop(e["hash_id"], None)
                    else:
                        mirror[e["hash_id"]] = e["value"]
                after = page["next"]
                if not page["has_more"]:
                    return

        for round_ in range(6):
            opened.append(_open(c, range(1000 * round_ + 1, 1000 * round_ + 1 + 5 + round_)))
            sync()
            if round_ in (2, 4):
                gone = opened[round_ - 2]
                c.delete(f"/v1/cases/{gone['case_id']}", headers=bearer(gone["secret"]))
                sync()
        time.sleep(0.05)
        sync()
        live = {
            sample_hashes.pdq(1000 * r + 1 + i)
            for r in range(6)
            if r not in (0, 2)
            for i in range(5 + r)
        }
    assert set(mirror.values()) == live
    assert seen_seqs == sorted(set(seen_seqs))  # each position once, in order
