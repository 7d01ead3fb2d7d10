"""The allowlist: refuses nearby submissions, suspends stored hashes near a new entry; CLI too."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from hashstop.cli import main
from tests import sample_hashes
from tests.api.moderation import audit, headers, is_problem, match, open_case
from tests.service_fixtures import TEST_SECRET_KEY


@pytest.fixture
def keys(make_key):
    return {
        "acme": headers(make_key("platform", name="acme-key", platform="acme")),
        "moderator": headers(make_key("moderator", name="mod")),
        "admin": headers(make_key("admin", name="root")),
    }


def allow(client, admin, algorithm, value, reason="a widely shared news photo"):
    return client.post(
        "/v1/admin/allowlist",
        json={"algorithm": algorithm, "value": value, "reason": reason},
        headers=admin,
    )


def test_a_new_entry_suspends_stored_hashes_within_screening_distance(client, keys):
    # Each hash its own photo (no photo key); screening distance: 31 + a margin of 16.
    benign = sample_hashes.pdq(1)
    near, edge, far = (sample_hashes.flip(benign, n, seed=n) for n in (10, 47, 48))
    md5 = sample_hashes.md5(1)
    open_case(
        client,
        {"algorithm": "pdq", "value": near, "quality": 100},
        {"algorithm": "pdq", "value": edge, "quality": 100},
        {"algorithm": "pdq", "value": far, "quality": 100},
        {"algorithm": "md5", "value": md5},
    )
    ids = {
        v: match(client, keys["acme"], v, "p")["matches"][0]["hash_id"] for v in (near, edge, far)
    }

    added = allow(client, keys["admin"], "pdq", benign)
    assert added.status_code == 201, added.text
    body = added.json()
    assert body["suspended"] == sorted([ids[near], ids[edge]])
    assert body["value"] == benign and body["created_by"] == "key:root"
    assert not match(client, keys["acme"], near)["matched"]
    assert match(client, keys["acme"], far)["matched"]
    state = client.get(f"/v1/review/hashes/{ids[near]}", headers=keys["moderator"]).json()
    assert state["suspension"]["kind"] == "allowlist"
    assert (
        state["suspension"]["reason"] == f"allowlist entry {body['id']}: a widely shared news photo"
    )

    exact = allow(client, keys["admin"], "md5", md5.upper(), "an empty-ish test file")
    assert exact.status_code == 201 and len(exact.json()["suspended"]) == 1

    newest, oldest = audit(client, keys["admin"], "allowlist.added")
    suspended = audit(client, keys["admin"], "hash.suspended")
    assert len(suspended) == 3 and {e["details"]["kind"] for e in suspended} == {"allowlist"}
    assert all(e["actor"] == "key:root" for e in suspended)
    assert benign not in json.dumps(audit(client, keys["admin"], "allowlist.added"))
    assert (newest["details"]["hashes_suspended"], oldest["details"]["hashes_suspended"]) == (1, 2)
    assert oldest["details"]["distance"] == 47 and newest["details"]["distance"] == 0


def test_submissions_near_an_entry_are_refused_without_revealing_it(client, keys):
    benign = sample_hashes.pdq(2)
    entry_id = allow(client, keys["admin"], "pdq", benign).json()["id"]
    near = sample_hashes.flip(benign, 20, seed=3)
    response = client.post(
        "/v1/cases",
        json={
            "hashes": [
                sample_hashes.pdq_entry(3),
                {"algorithm": "pdq", "value": near, "quality": 90},
                {"algorithm": "pdq", "value": near, "quality": 90},
            ]
        },
    )
    # Refused whole: the unrelated photo too, with one reason that names no hash or entry.
    assert is_problem(response, 422), response.text
    body = response.json()
    assert [r["index"] for r in body["rejected"]] == [0, 1, 2]
    reason = body["rejected"][0]["reason"]
    assert "allowlist" in reason and f"entry {entry_id}" not in reason
    assert body["rejected"][1]["reason"] == reason
    assert body["rejected"][2]["reason"] == "duplicate of hashes[1]"
    assert benign not in response.text and benign.upper() not in response.text
    opened = client.post("/v1/cases", json={"hashes": [sample_hashes.pdq_entry(3)]})
    assert opened.status_code == 201
    body = opened.json()

    alone = client.post(
        "/v1/cases", json={"hashes": [{"algorithm": "pdq", "value": near, "quality": 90}]}
    )
    assert is_problem(alone, 422) and "allowlist" in alone.json()["rejected"][0]["reason"]
    added = client.post(
        f"/v1/cases/{body['case_id']}/hashes",
        json={"hashes": [{"algorithm": "pdq", "value": near, "quality": 90}]},
        headers=headers(body["secret"]),
    )
    assert added.json()["accepted"] == 0 and "allowlist" in added.json()["rejected"][0]["reason"]


def test_phash_uses_the_server_maximum_plus_a_margin_and_exact_hashes_equality(client, keys):
    benign = sample_hashes.phash(4)
    allow(client, keys["admin"], "phash", benign)
    allow(client, keys["admin"], "sha256", sample_hashes.sha256(4))
    submitted = [
        ({"algorithm": "phash", "value": sample_hashes.flip(benign, 6, seed=1)}, 422),
        ({"algorithm": "phash", "value": sample_hashes.flip(benign, 10, seed=1)}, 422),
        ({"algorithm": "phash", "value": sample_hashes.flip(benign, 11, seed=1)}, 201),
        ({"algorithm": "sha256", "value": sample_hashes.sha256(4)}, 422),
        ({"algorithm": "sha256", "value": sample_hashes.sha256(5)}, 201),
    ]
    for one, status in submitted:
        assert client.post("/v1/cases", json={"hashes": [one]}).status_code == status, one


def test_restore_waits_for_the_entry_to_go_and_a_quarantine_gives_way(client, keys):
    benign = sample_hashes.pdq(6)
    near = sample_hashes.flip(benign, 5, seed=6)
    open_case(client, {"algorithm": "pdq", "value": near, "quality": 100})
    hash_id = match(client, keys["acme"], near, "p")["matches"][0]["hash_id"]
    entry = allow(client, keys["admin"], "pdq", benign).json()
    restore = f"/v1/review/hashes/{hash_id}/restore"
    refused = client.post(restore, json={"reason": "looks fine"}, headers=keys["moderator"])
    assert is_problem(refused, 409) and f"allowlist entry {entry['id']}" in refused.json()["detail"]
    assert benign not in refused.text

    gone = client.delete(
        f"/v1/admin/allowlist/{entry['id']}", params={"reason": "added by mistake"},
        headers=keys["admin"],
    )  # fmt: skip
    assert gone.status_code == 204
    state = client.get(f"/v1/review/hashes/{hash_id}", headers=keys["moderator"]).json()
    assert state["status"] == "suspended"  # removal restores nothing by itself
    ok = client.post(restore, json={"reason": "entry removed"}, headers=keys["moderator"])
    assert ok.status_code == 200 and ok.json()["status"] == "active"
    assert match(client, keys["acme"], near)["matched"]
    assert [e["details"]["reason"] for e in audit(client, keys["admin"], "allowlist.removed")] == [
        "added by mistake"
    ]


def test_allowlist_management_errors_and_permissions(client, keys):
    value = sample_hashes.pdq(7)
    assert allow(client, keys["admin"], "pdq", value).status_code == 201
    assert is_problem(allow(client, keys["admin"], "pdq", value), 409)
    assert is_problem(allow(client, keys["admin"], "pdq", "zz"), 422)
    assert is_problem(allow(client, keys["admin"], "sha1", value), 422)
    assert is_problem(allow(client, keys["admin"], "pdq", value, reason=""), 422)
    for who, status in ((keys["moderator"], 403), (keys["acme"], 403), ({}, 401)):
        assert is_problem(allow(client, who, "pdq", sample_hashes.pdq(8)), status)
        assert is_problem(client.get("/v1/admin/allowlist", headers=who), status)
    listed = client.get("/v1/admin/allowlist", headers=keys["admin"]).json()
    assert [(e["algorithm"], e["value"]) for e in listed] == [("pdq", value)]
    url = f"/v1/admin/allowlist/{listed[0]['id']}"
    assert is_problem(client.delete(url, headers=keys["admin"]), 422)  # no reason
    assert is_problem(client.delete(url, params={"reason": "x"}, headers=keys["moderator"]), 403)
    missing = client.delete(
        "/v1/admin/allowlist/99999", params={"reason": "x"}, headers=keys["admin"]
    )
    assert is_problem(missing, 404)


def run_cli(database_url, *args):
    env = {
        "HASHSTOP_DATABASE_URL": database_url,
        "HASHSTOP_SECRET_KEY": TEST_SECRET_KEY,
    }
    return CliRunner().invoke(main, ["allowlist", *args], env=env)


def test_the_allowlist_commands(client, keys, database_url):
    benign = sample_hashes.pdq(9)
    near = sample_hashes.flip(benign, 3, seed=9)
    open_case(client, {"algorithm": "pdq", "value": near, "quality": 100})

    added = run_cli(
        database_url, "add", "--algorithm", "pdq", "--value", benign, "--reason", "meme"
    )
    assert added.exit_code == 0, added.output
    assert "1 stored hash(es) of photos near it suspended" in added.output
    assert not match(client, keys["acme"], near)["matched"]

    listed = run_cli(database_url, "list", "--json")
    rows = json.loads(listed.output)
    assert [(r["algorithm"], r["value"], r["reason"], r["created_by"]) for r in rows] == [
        ("pdq", benign, "meme", "cli")
    ]
    assert "meme" in run_cli(database_url, "list").output

    bad = run_cli(database_url, "add", "--algorithm", "pdq", "--value", "xyz", "--reason", "r")
    assert bad.exit_code == 1 and bad.output.startswith("Error: ") and "Traceback" not in bad.output
    assert len(bad.output.strip().splitlines()) == 1
    twice = run_cli(database_url, "add", "--algorithm", "pdq", "--value", benign, "--reason", "r")
    assert twice.exit_code == 1 and "already allowlisted" in twice.output

    removed = run_cli(database_url, "remove", str(rows[0]["id"]), "--reason", "cleanup")
    assert removed.exit_code == 0 and "Removed allowlist entry" in removed.output
    assert run_cli(database_url, "list").output.strip() == "The allowlist is empty."
    missing = run_cli(database_url, "remove", "424242", "--reason", "x")
    assert missing.exit_code == 1 and "no allowlist entry 424242" in missing.output
    assert [e["actor"] for e in audit(client, keys["admin"], "allowlist.added")] == ["cli"]
