"""A bank's republishing policy (issue 17), on both databases.

A subscribed or imported bank holds another exchange's hashes, shared under that exchange's
terms. They match (`POST /v1/match` names the bank) but, unless an admin turned the bank's
republishing on, no value of theirs reaches a platform: not through `/v1/hashlist`, not through
the StopNCII-shaped feed, not through `hashstop export` (push mode: tests/interop/
test_push_hma.py). Turning it off makes followers delete what they mirrored.

The platform here is an attacker-minded follower: it reads every feed from the start and
continues from its cursors, with the smallest pages, and keeps every value it ever saw.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from hashstop.cli import main
from hashstop.service.actors import Actor
from hashstop.service.errors import Forbidden, NotFound
from hashstop.storage.models import AuditEntry, HashChange, Role
from tests import sample_hashes
from tests.service_fixtures import TEST_SECRET_KEY, bearer

# The victim's own hashes: published whatever any bank's policy.
VICTIM = {sample_hashes.pdq(1), sample_hashes.md5(2)}
# An imported bank (a partner's file) and a subscribed one (a local file through pytx).
IMPORTED = {sample_hashes.pdq(10), sample_hashes.pdq(11), sample_hashes.md5(12)}
SUBSCRIBED = {sample_hashes.pdq(20), sample_hashes.md5(21)}


def run_cli(database_url: str, *args: str) -> Any:
    env = {"HASHSTOP_DATABASE_URL": database_url, "HASHSTOP_SECRET_KEY": TEST_SECRET_KEY}
    result = CliRunner().invoke(main, list(args), env=env)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout) if "--json" in args else result.stdout


def setup_banks(client, database_url: str, tmp_path: Path) -> None:
    case = {
        "hashes": [sample_hashes.pdq_entry(1), {"algorithm": "md5", "value": sample_hashes.md5(2)}]
    }
    assert client.post("/v1/cases", json=case).status_code == 201
    listing = tmp_path / "partner.txt"
    listing.write_text(
        f"pdq {sample_hashes.pdq(10)}\npdq {sample_hashes.pdq(11)}\n"
        f"video_md5 {sample_hashes.md5(12)}\n"
    )
    imported = run_cli(
        database_url, "import", str(listing), "--bank", "partner", "--format", "lines", "--json"
    )
    assert imported["accepted"] == 3
    followed = tmp_path / "exchange.txt"
    followed.write_text(f"pdq {sample_hashes.pdq(20)}\nvideo_md5 {sample_hashes.md5(21)}\n")
    config = json.dumps({"filename": str(followed)})
    run_cli(
        database_url,
        "subscribe",
        "add",
        "--bank",
        "exchange",
        "--exchange",
        "local_file",
        "--config",
        config,
    )
    assert run_cli(database_url, "subscribe", "fetch", "--bank", "exchange", "--json")["added"] == 2


class Follower:
    """A platform that mirrors `/v1/hashlist` (by hash id) and the StopNCII-shaped feed (by
    value), remembers every value either ever showed it, and checks the cursors."""

    def __init__(self, client, key: str) -> None:
        self.client = client
        self.headers = bearer(key)
        self.after = 0
        self.mirror: dict[int, str] = {}
        self.checkpoint = 0
        self.stopncii: set[str] = set()
        self.seen: set[str] = set()

    def follow_hashlist(self) -> None:
        while True:
            page = self.client.get(
                "/v1/hashlist", params={"after": self.after, "limit": 1}, headers=self.headers
            ).json()
            seqs = [e["seq"] for e in page["entries"]]
            assert all(self.after < s <= page["next"] for s in seqs), (self.after, page)
            assert page["next"] >= self.after
            for entry in page["entries"]:
                if entry["value"] is None:
                    self.mirror.pop(entry["hash_id"], None)
                else:
                    self.mirror[entry["hash_id"]] = entry["value"]
                    self.seen.add(entry["value"])
            self.after = page["next"]
            if not page["has_more"]:
                return

    def follow_stopncii(self) -> None:
        token = None
        while True:
            params: dict[str, Any] = {"startTimestamp": self.checkpoint, "pageSize": 1}
            if token:
                params["nextPageToken"] = token
            answer = self.client.get(
                "/stopncii/v1/FetchHashes",
                params=params,
                headers={"x-functions-key": self.headers["Authorization"].split()[1]},
            )
            assert answer.status_code == 200, answer.text
            page = answer.json()
            for record in page["hashRecords"]:
                value = record["hashValue"]
                self.seen.add(value)
                if record["hashStatus"] == "Active":
                    self.stopncii.add(value)
                else:
                    self.stopncii.discard(value)
            assert page["nextSetTimestamp"] >= self.checkpoint
            token = page["nextPageToken"]
            if not page["hasMoreRecords"]:
                self.checkpoint = page["nextSetTimestamp"]
                return

    def follow(self) -> None:
        self.follow_hashlist()
        self.follow_stopncii()

    @property
    def held(self) -> set[str]:
        return set(self.mirror.values()) | self.stopncii


def fresh_follower(client, make_key) -> Follower:
    follower = Follower(client, make_key("platform"))
    follower.follow()
    return follower


def exported(database_url: str) -> set[str]:
    lines = run_cli(database_url, "export", "--format", "lines").splitlines()
    return {line.split()[1] for line in lines}


def matched_bank(client, key: str, value: str, algorithm: str = "pdq") -> str | None:
    """The bank the match names ("" for a victim's hash); None if it does not match (after
    giving the worker's index a moment to follow a change made by the command line)."""
    query = {"items": [{"ref": "u", "hashes": [{"algorithm": algorithm, "value": value}]}]}
    deadline = time.monotonic() + 10
    while True:
        answer = client.post("/v1/match", json=query, headers=bearer(key))
        result = answer.json()["results"][0]
        if result["matched"]:
            return str(result["matches"][0].get("bank", ""))
        if time.monotonic() > deadline:
            return None
        time.sleep(0.05)


def test_a_bank_not_republished_matches_but_never_reaches_a_platform(
    client, make_key, database_url, tmp_path: Path
):
    early = Follower(client, make_key("platform"))
    early.follow()  # following before the banks exist
    setup_banks(client, database_url, tmp_path)
    early.follow()
    for follower in (early, fresh_follower(client, make_key)):
        assert follower.seen == VICTIM, "a bank's value reached a platform"
        assert follower.held == VICTIM
    assert exported(database_url) == VICTIM
    assert run_cli(database_url, "bank", "list", "--json") == [
        {"bank": "exchange", "republish": False},
        {"bank": "partner", "republish": False},
    ]
    # They match, and the match names the bank.
    platform = make_key("platform")
    assert matched_bank(client, platform, sample_hashes.pdq(10)) == "partner"
    assert matched_bank(client, platform, sample_hashes.pdq(20)) == "exchange"

    # Turned on: the values are published, to a follower that continues and to a new one.
    assert run_cli(database_url, "bank", "republish", "partner", "--on", "--json") == {
        "bank": "partner",
        "republish": True,
        "hashes": 3,
    }
    early.follow()
    late = fresh_follower(client, make_key)
    for follower in (early, late):
        assert follower.held == VICTIM | IMPORTED
        assert set(follower.mirror.values()) == VICTIM | IMPORTED
        assert follower.stopncii == VICTIM | IMPORTED
        assert not follower.seen & SUBSCRIBED
    assert exported(database_url) == VICTIM | IMPORTED

    # Turned off again: followers are told to delete their copies; a new one never sees them.
    run_cli(database_url, "bank", "republish", "partner", "--off")
    for follower in (early, late):
        follower.follow()
        assert follower.held == VICTIM, "a follower still holds an unpublished bank's values"
    newest = fresh_follower(client, make_key)
    assert newest.seen == VICTIM
    assert newest.held == VICTIM
    assert exported(database_url) == VICTIM
    # Matching never changed.
    assert matched_bank(client, platform, sample_hashes.pdq(11)) == "partner"
    assert matched_bank(client, platform, sample_hashes.md5(12), "md5") == "partner"
    assert matched_bank(client, platform, sample_hashes.pdq(20)) == "exchange"
    assert matched_bank(client, platform, sample_hashes.pdq(1)) == ""  # a victim's: no bank


def test_a_victims_hashes_are_published_whatever_the_banks(
    client, make_key, database_url, tmp_path: Path
):
    setup_banks(client, database_url, tmp_path)
    run_cli(database_url, "bank", "republish", "exchange", "--on")
    run_cli(database_url, "bank", "republish", "exchange", "--off")
    follower = fresh_follower(client, make_key)
    assert follower.held == VICTIM
    assert set(follower.mirror.values()) == VICTIM


def test_the_flag_at_creation_and_conflicting_flags(client, database_url, tmp_path: Path):
    listing = tmp_path / "a.txt"
    listing.write_text(f"pdq {sample_hashes.pdq(30)}\n")
    run_cli(
        database_url, "import", str(listing), "--bank", "open", "--format", "lines", "--republish"
    )
    run_cli(database_url, "import", str(listing), "--bank", "closed", "--format", "lines")
    assert exported(database_url) == {sample_hashes.pdq(30)}
    assert run_cli(database_url, "bank", "list", "--json") == [
        {"bank": "closed", "republish": False},
        {"bank": "open", "republish": True},
    ]
    # Importing into an existing bank with the other policy is refused, not silently ignored.
    env = {"HASHSTOP_DATABASE_URL": database_url, "HASHSTOP_SECRET_KEY": TEST_SECRET_KEY}
    refused = CliRunner().invoke(
        main,
        ["import", str(listing), "--bank", "closed", "--format", "lines", "--republish"],
        env=env,
    )
    assert refused.exit_code != 0
    assert "hashstop bank republish closed --on" in refused.output
    # Without the flag an import keeps the bank's policy.
    run_cli(database_url, "import", str(listing), "--bank", "open", "--format", "lines")
    assert run_cli(database_url, "bank", "republish", "open", "--on", "--json")["hashes"] == 0


@pytest.mark.parametrize("role", [Role.MODERATOR, Role.PLATFORM])
def test_only_admins_change_the_policy_and_every_change_is_audited(
    client, database, database_url, tmp_path: Path, role
):
    from hashstop.service.banks import set_republish  # here: the leak test runs without it

    setup_banks(client, database_url, tmp_path)
    with database.transaction(write=False) as session:
        head = session.scalar(select(HashChange.seq).order_by(HashChange.seq.desc()).limit(1))
    someone = Actor(kind="key", name="k", role=role, key_id=1, platform="acme")
    with database.transaction() as session, pytest.raises(Forbidden) as refused:
        set_republish(session, someone, "partner", True)
    assert refused.value.status == 403
    admin = Actor(kind="key", name="boss", role=Role.ADMIN, key_id=2)
    with database.transaction() as session, pytest.raises(NotFound):
        set_republish(session, admin, "nobody", True)
    with database.transaction() as session:
        assert set_republish(session, admin, "partner", False) == 0  # already off: nothing
    with database.transaction(write=False) as session:
        assert (
            session.scalar(select(HashChange.seq).order_by(HashChange.seq.desc()).limit(1)) == head
        )
    with database.transaction() as session:
        assert set_republish(session, admin, "partner", True) == 3
    run_cli(database_url, "bank", "republish", "partner", "--off")
    with database.transaction(write=False) as session:
        audits = session.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == "bank.republish_changed")
            .order_by(AuditEntry.id)
        ).all()
        kinds = session.scalars(
            select(HashChange.kind).where(HashChange.seq > head).order_by(HashChange.seq)
        ).all()
    assert [(a.actor, a.target, json.loads(a.details or "{}")) for a in audits] == [
        ("key:boss", "bank:partner", {"republish": True, "hashes": 3}),
        ("cli", "bank:partner", {"republish": False, "hashes": 3}),
    ]
    assert kinds == ["published"] * 3 + ["unpublished"] * 3
    assert not any(v in str([a.details for a in audits]) for v in IMPORTED)


def test_skipped_entries_keep_the_cursor_exact(client, make_key, database, database_url, tmp_path):
    """The entries of a bank that is not republished are passed over, not held back: `next`
    moves past them (a client does not ask for them forever), and a client passing the last
    `next` as `after` gets each later entry exactly once."""
    setup_banks(client, database_url, tmp_path)  # the bank's entries end the log
    follower = fresh_follower(client, make_key)
    with database.transaction(write=False) as session:
        head = session.scalar(select(HashChange.seq).order_by(HashChange.seq.desc()).limit(1))
    assert follower.after == head
    assert (
        client.post("/v1/cases", json={"hashes": [sample_hashes.pdq_entry(40)]}).status_code == 201
    )
    page = client.get(
        "/v1/hashlist", params={"after": follower.after}, headers=follower.headers
    ).json()
    assert [(e["seq"], e["value"]) for e in page["entries"]] == [(head + 1, sample_hashes.pdq(40))]
    assert (page["next"], page["has_more"]) == (head + 1, False)


def test_a_page_reads_a_bounded_number_of_passed_over_entries(
    client, make_key, database, database_url, settings, tmp_path
):
    """A large bank that is not republished costs a page a bounded read: the page ends early
    with `has_more` and a `next` past what it read, and following it still gets everything."""
    from hashstop.service.hashlist import SCAN_PAGES, hash_list_page
    from hashstop.service.tokens import Keyring

    assert (
        client.post("/v1/cases", json={"hashes": [sample_hashes.pdq_entry(50)]}).status_code == 201
    )
    fresh_follower(client, make_key)  # the victim's entry: the first batch, seq 1
    listing = tmp_path / "big.txt"
    listing.write_text("".join(f"pdq {sample_hashes.pdq(100 + n)}\n" for n in range(25)))
    run_cli(database_url, "import", str(listing), "--bank", "big", "--format", "lines")
    fresh_follower(client, make_key)  # the bank's 25 entries: the second batch, seqs 2-26
    keyring = Keyring(settings.secret_key_bytes)
    with database.transaction(write=False) as session:
        first = hash_list_page(session, 0, 1, 2, keyring)
        assert [e.value.hex() for e in first.entries if e.value] == [sample_hashes.pdq(50)]
        assert first.next == 1
        second = hash_list_page(session, 1, 1, 2, keyring)
        assert (second.entries, second.next, second.has_more) == ([], 1 + SCAN_PAGES * 2, True)
        after = second.next
        while True:
            page = hash_list_page(session, after, 1, 2, keyring)
            assert page.entries == [] and page.next >= after
            after = page.next
            if not page.has_more:
                break
    assert after == 26
