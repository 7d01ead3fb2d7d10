"""Issue 12, attack 1: one platform key tries to suspend victims' hashes everywhere.

The attacker holds one valid platform key and the hash list. It matches each victim hash from
three uploads and calls every match a false positive, as a poisoner would. Before issue 12 this
suspended each hash for every platform; now one platform's verdicts only flag the photo (top of
the review queue), and a spike of them flags the platform itself.
"""

from __future__ import annotations

from tests import sample_hashes
from tests.api.moderation import audit, feedback, headers, match, open_case
from tests.api.test_quarantine_api import app_with, hash_state
from tests.service_fixtures import OPERATOR

VICTIMS = 4


def test_one_platform_cannot_suspend_victim_hashes(database_url, make_key):
    attacker = headers(make_key("platform", name="attacker", platform="attacker"))
    honest = headers(make_key("platform", name="honest", platform="honest"))
    admin = headers(make_key("admin", name="root"))
    moderator = headers(make_key("moderator", name="mod"))
    values = [sample_hashes.pdq(700 + i) for i in range(VICTIMS)]
    settings = {"quarantine_platform_false_positives": 5}  # 12 verdicts below: a spike
    with app_with(database_url, **settings) as client:
        for i in range(VICTIMS):
            open_case(client, sample_hashes.pdq_entry(700 + i))
        hash_ids = []
        for i, value in enumerate(values):
            for upload in range(3):  # three distinct uploads, as the default policy wants
                result = match(client, attacker, value, f"upload-{i}-{upload}")
                assert result["matched"]
                answer = feedback(client, attacker, result["match_id"], "false_positive")
                assert answer.status_code == 201, answer.text
            hash_ids.append(result["matches"][0]["hash_id"])

        # The attack achieved nothing: every hash still matches for another platform.
        for value in values:
            assert match(client, honest, value, "honest-upload")["matched"]
        for hash_id in hash_ids:
            assert hash_state(client, admin, hash_id)["status"] == "active"
        assert audit(client, admin, "hash.quarantined") == []

        # Each photo is flagged once, and its matches lead the review queue, marked.
        flagged = audit(client, admin, "photo.flagged")
        assert sorted(e["target"] for e in flagged) == sorted(f"hash:{h}" for h in hash_ids)
        assert all("by 1 platform" in e["details"]["reason"] for e in flagged)
        queue = client.get("/v1/review/queue", params={"status": "all"}, headers=moderator).json()[
            "items"
        ]
        assert queue[0]["flagged"] is True and queue[0]["quarantined"] is False
        assert {i["flagged"] for i in queue} == {True}  # every record hits a flagged photo
        assert queue[0]["hits"][0]["photo"].startswith("p_")

        # The platform itself is flagged: audit, metric, review list.
        (spike,) = audit(client, admin, "platform.flagged")
        assert spike["target"] == "platform:attacker" and spike["details"]["verdicts"] == 6
        metrics = client.get("/metrics", headers=OPERATOR).text
        assert 'hashstop_platforms_flagged_total{platform="attacker"} 1.0' in metrics
        assert 'hashstop_false_positive_verdicts_total{platform="attacker"} 12.0' in metrics
        flags = client.get("/v1/review/flags", headers=moderator).json()
        assert [p["platform"] for p in flags["platforms"]] == ["attacker"]
        assert len(flags["photos"]) == VICTIMS


def test_the_same_upload_judged_again_counts_once(database_url, make_key):
    attacker = headers(make_key("platform", name="attacker", platform="attacker"))
    admin = headers(make_key("admin", name="root"))
    value = sample_hashes.pdq(720)
    with app_with(database_url, quarantine_platforms=1) as client:
        open_case(client, sample_hashes.pdq_entry(720))
        for _ in range(3):  # one upload, matched and judged three times
            result = match(client, attacker, value, "the-same-upload")
            feedback(client, attacker, result["match_id"], "false_positive")
        hash_id = result["matches"][0]["hash_id"]
        assert hash_state(client, admin, hash_id)["status"] == "active"


def test_false_positives_from_enough_platforms_still_quarantine(database_url, make_key):
    keys = {
        name: headers(make_key("platform", name=name, platform=name))
        for name in ("acme", "birch", "cedar")
    }
    admin = headers(make_key("admin", name="root"))
    value = sample_hashes.pdq(730)
    with app_with(database_url) as client:  # the defaults: 3 uploads from 3 platforms
        open_case(client, sample_hashes.pdq_entry(730))
        for name, key in keys.items():
            result = match(client, key, value, f"{name}-upload")
            feedback(client, key, result["match_id"], "false_positive")
        state = hash_state(client, admin, result["matches"][0]["hash_id"])
        assert state["status"] == "suspended" and state["quarantined"] is True
        assert "3 uploads judged false positives by 3 platforms" in state["suspension"]["reason"]
