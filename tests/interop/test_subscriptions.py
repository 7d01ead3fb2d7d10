"""Subscriptions: a bank that follows a pytx exchange, deletions included (issue 17).

Exchanges: pytx's sample, pytx's local file, and a StopNCII-shaped server read by pytx's own
StopNCII client (a second hashstop's `/stopncii/v1`, on a loopback port), whose `hashStatus`
deletes. The bank's hashes then match like any other and stop when deleted.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from threatexchange.exchanges.collab_config import CollaborationConfigBase
from threatexchange.exchanges.fetch_state import FetchedSignalMetadata
from threatexchange.exchanges.impl.static_sample import StaticSampleSignalExchangeAPI
from threatexchange.signal_type.md5 import VideoMD5Signal
from threatexchange.signal_type.pdq.signal import PdqSignal

from hashstop.app import create_app
from hashstop.cli import main
from hashstop.storage.database import upgrade
from tests import sample_hashes
from tests.interop.conftest import Served
from tests.service_fixtures import (
    TEST_SECRET_KEY,
    bearer,
    make_settings,
    running_client,
    wait_ready,
)


def run_cli(database_url: str, *args: str) -> dict[str, int]:
    env = {"HASHSTOP_DATABASE_URL": database_url, "HASHSTOP_SECRET_KEY": TEST_SECRET_KEY}
    result = CliRunner().invoke(main, list(args), env=env)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout) if "--json" in args else {}


def active_values(database_url: str, algorithm: str) -> set[str]:
    env = {"HASHSTOP_DATABASE_URL": database_url, "HASHSTOP_SECRET_KEY": TEST_SECRET_KEY}
    result = CliRunner().invoke(
        main, ["export", "--format", "values", "--algorithm", algorithm], env=env
    )
    assert result.exit_code == 0, result.output
    return set(result.stdout.split())


def sample_signals() -> dict[str, set[str]]:
    collab = CollaborationConfigBase("s", "sample", True)
    api = StaticSampleSignalExchangeAPI.for_collab(collab)
    fetched: dict[tuple[str, str], FetchedSignalMetadata] = {}
    for delta in api.fetch_iter([PdqSignal, VideoMD5Signal], None):
        StaticSampleSignalExchangeAPI.naive_fetch_merge(fetched, delta.updates)
    signals = StaticSampleSignalExchangeAPI.naive_convert_to_signal_type(
        [PdqSignal, VideoMD5Signal], collab, fetched
    )
    return {"pdq": set(signals[PdqSignal]), "md5": set(signals[VideoMD5Signal])}


def test_the_sample_exchange_fills_a_bank_whose_hashes_match(database_url, make_key):
    expected = sample_signals()
    # Republished, so that its content is seen through `export` (the default keeps it out).
    run_cli(
        database_url,
        "subscribe",
        "add",
        "--bank",
        "pytx-sample",
        "--exchange",
        "sample",
        "--republish",
    )
    first = run_cli(database_url, "subscribe", "fetch", "--bank", "pytx-sample", "--json")
    total = len(expected["pdq"]) + len(expected["md5"])
    assert first["added"] + first["refused"] == total and first["added"] > 0
    assert active_values(database_url, "pdq") <= expected["pdq"]
    # The sample holds the MD5 of an empty file, which would match every empty upload: refused.
    empty = "d41d8cd98f00b204e9800998ecf8427e"
    assert empty in expected["md5"] and first["refused"] >= 1
    assert active_values(database_url, "md5") == expected["md5"] - {empty}
    again = run_cli(database_url, "subscribe", "fetch", "--bank", "pytx-sample", "--json")
    assert (again["added"], again["removed"]) == (0, 0)

    with running_client(create_app(make_settings(database_url))) as client:
        wait_ready(client)
        value = sorted(active_values(database_url, "pdq"))[0]
        query = {"items": [{"ref": "u", "hashes": [{"algorithm": "pdq", "value": value}]}]}
        platform = bearer(make_key("platform"))
        assert client.post("/v1/match", json=query, headers=platform).json()["results"][0][
            "matched"
        ]


def test_a_local_file_bank_follows_the_file_deletions_included(database_url, tmp_path: Path):
    listing = tmp_path / "list.txt"
    listing.write_text(
        f"pdq {sample_hashes.pdq(1)}\npdq {sample_hashes.pdq(2)}\n"
        f"video_md5 {sample_hashes.md5(3)}\n"
    )
    config = json.dumps({"filename": str(listing)})
    run_cli(
        database_url,
        "subscribe",
        "add",
        "--bank",
        "file",
        "--exchange",
        "local_file",
        "--config",
        config,
        "--republish",
    )
    assert run_cli(database_url, "subscribe", "fetch", "--bank", "file", "--json")["added"] == 3
    listing.write_text(f"pdq {sample_hashes.pdq(2)}\npdq {sample_hashes.pdq(4)}\n")
    second = run_cli(database_url, "subscribe", "fetch", "--bank", "file", "--json")
    assert (second["added"], second["removed"]) == (1, 2)
    assert active_values(database_url, "pdq") == {sample_hashes.pdq(2), sample_hashes.pdq(4)}
    assert active_values(database_url, "md5") == set()


@pytest.fixture
def settings(database_url):
    """The source hub keeps withdrawn values 30 days (an operator's opt-in; the default keeps
    none): a StopNCII-shaped feed, keyed by value, can only tell of a withdrawal that way."""
    return make_settings(database_url, retraction_days=30)


def test_a_stopncii_shaped_feed_is_followed_with_its_status(
    served: Served, make_key, tmp_path: Path
):
    subscriber = f"sqlite:///{tmp_path / 'subscriber.db'}"
    upgrade(subscriber)
    first = served.open_case(
        [
            sample_hashes.pdq_entry(1),
            sample_hashes.pdq_entry(2),
            {"algorithm": "md5", "value": sample_hashes.md5(3)},
        ]
    )
    served.open_case([sample_hashes.pdq_entry(4)])
    served.open_case([sample_hashes.pdq_entry(6)])
    credentials = f"{served.platform_key},unused,{served.url}/stopncii/v1"
    run_cli(
        subscriber,
        "subscribe",
        "add",
        "--bank",
        "stopncii",
        "--exchange",
        "stop_ncii",
        "--republish",
    )
    fetched = run_cli(
        subscriber,
        "subscribe",
        "fetch",
        "--bank",
        "stopncii",
        "--credentials",
        credentials,
        "--json",
    )
    assert fetched["added"] == 5
    assert active_values(subscriber, "pdq") == {sample_hashes.pdq(s) for s in (1, 2, 4, 6)}

    time.sleep(1.1)
    served.withdraw(first)
    served.suspend(served.hash_id("pdq", sample_hashes.pdq(4)), make_key("moderator"))
    again = run_cli(
        subscriber,
        "subscribe",
        "fetch",
        "--bank",
        "stopncii",
        "--credentials",
        credentials,
        "--json",
    )
    assert (again["added"], again["removed"]) == (0, 4)
    assert active_values(subscriber, "pdq") == {sample_hashes.pdq(6)}
    assert active_values(subscriber, "md5") == set()
