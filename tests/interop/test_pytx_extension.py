"""hashstop's pytx extension (`hashstop.pytx`), driven by pytx's own machinery (issue 17).

The `threatexchange` CLI of the pinned PyPI package loads the extension through its manifest,
makes a collaboration for it, fetches from a running hashstop and stores the result in its own
state; its `dataset` command then prints what it holds. The list must be mirrored exactly,
including a withdrawal and a suspension, which pytx applies as deletions.
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from threatexchange.exchanges.fetch_state import SignalOpinion, SignalOpinionCategory
from threatexchange.signal_type.md5 import VideoMD5Signal
from threatexchange.signal_type.pdq.signal import PdqSignal

from hashstop.pytx import (
    HashstopCheckpoint,
    HashstopCollabConfig,
    HashstopCredentials,
    HashstopSignalExchangeAPI,
    HashstopSignalMetadata,
)
from hashstop.storage.models import Feedback
from tests import sample_hashes
from tests.interop.conftest import Served

THREATEXCHANGE = str(Path(sys.executable).with_name("threatexchange"))


def tx(home: Path, served: Served, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TX_")}
    env |= {"HOME": str(home), "TX_HASHSTOP_KEY": served.platform_key}
    done = subprocess.run(
        [THREATEXCHANGE, *args], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def held(home: Path, served: Served) -> set[tuple[str, str]]:
    out = tx(home, served, "dataset", "-c", "hs", "-P", "--csv")
    return {(r["signal_type"], r["signal_str"]) for r in csv.DictReader(io.StringIO(out))}


def seed(served: Served) -> dict[str, str]:
    first = served.open_case(
        [
            sample_hashes.pdq_entry(1),
            sample_hashes.pdq_entry(2),
            {"algorithm": "md5", "value": sample_hashes.md5(3)},
            {"algorithm": "phash", "value": sample_hashes.phash(3)},
        ]
    )
    served.open_case([sample_hashes.pdq_entry(4)])
    served.open_case([sample_hashes.pdq_entry(6)])
    return first


def test_the_threatexchange_cli_mirrors_the_list_through_the_extension(served, make_key, tmp_path):
    first = seed(served)
    home = tmp_path / "home"
    home.mkdir()
    assert "HashstopSignalExchangeAPI" in tx(
        home, served, "config", "extensions", "add", "hashstop.pytx"
    )
    tx(
        home,
        served,
        "config",
        "collab",
        "edit",
        "hashstop",
        "hs",
        "--create",
        "--server-url",
        served.url,
    )
    tx(home, served, "fetch")
    assert held(home, served) == {
        ("pdq", sample_hashes.pdq(1)),
        ("pdq", sample_hashes.pdq(2)),
        ("video_md5", sample_hashes.md5(3)),
        ("pdq", sample_hashes.pdq(4)),
        ("pdq", sample_hashes.pdq(6)),
    }

    served.withdraw(first)
    served.suspend(served.hash_id("pdq", sample_hashes.pdq(4)), make_key("moderator"))
    served.open_case([sample_hashes.pdq_entry(7)])
    tx(home, served, "fetch")
    assert held(home, served) == {("pdq", sample_hashes.pdq(6)), ("pdq", sample_hashes.pdq(7))}


def api_for(served: Served) -> HashstopSignalExchangeAPI:
    collab = HashstopCollabConfig(name="hs", server_url=served.url + "/")
    return HashstopSignalExchangeAPI.for_collab(collab, HashstopCredentials(served.platform_key))


def test_fetch_iter_yields_deletions_and_resumes_from_its_checkpoint(served, make_key):
    first = seed(served)
    api = api_for(served)
    state: dict[str, HashstopSignalMetadata] = {}
    checkpoint: HashstopCheckpoint | None = None
    for delta in api.fetch_iter([PdqSignal, VideoMD5Signal], None):
        HashstopSignalExchangeAPI.naive_fetch_merge(state, delta.updates)
        checkpoint = delta.checkpoint
    assert checkpoint is not None and checkpoint.after == 6  # 6 hashes, the pHash included
    assert len(state) == 5
    served.withdraw(first)
    deltas = list(api.fetch_iter([PdqSignal], checkpoint))
    deletions = {k for d in deltas for k, v in d.updates.items() if v is None}
    assert len(deletions) == 2  # the case's two PDQ hashes (MD5 was not asked for)
    for delta in deltas:
        HashstopSignalExchangeAPI.naive_fetch_merge(state, delta.updates)
    signals = HashstopSignalExchangeAPI.naive_convert_to_signal_type(
        [PdqSignal, VideoMD5Signal], api.collab, state
    )
    assert set(signals[PdqSignal]) == {sample_hashes.pdq(4), sample_hashes.pdq(6)}
    assert all(m.photo.startswith("p_") for m in signals[PdqSignal].values())


class _Page:
    def __init__(self, body: dict[str, Any]) -> None:
        self.body = body

    def raise_for_status(self) -> None:
        return None

    def json(self) -> dict[str, Any]:
        return self.body


class _Session:
    """Answers like a newer hashstop whose hash list grew fields (batches, pseudonyms)."""

    headers: dict[str, str] = {}

    def get(self, url: str, params: dict[str, Any], timeout: float) -> _Page:
        entry = {
            "seq": 1,
            "hash_id": 9,
            "algorithm": "pdq",
            "value": sample_hashes.pdq(9),
            "status": "active",
            "change": "added",
            "photo": "p_00",
            "variant": "original",
            "batch": 3,
            "photo_pseudonym": "x",
        }
        return _Page({"entries": [entry], "next": 1, "has_more": False, "generation": 2})


def test_the_consumer_ignores_fields_it_does_not_know():
    api = HashstopSignalExchangeAPI(
        HashstopCollabConfig(name="hs", server_url="http://unused"),
        HashstopCredentials("hsk_x"),
        session=_Session(),  # type: ignore[arg-type]
    )
    (delta,) = api.fetch_iter([PdqSignal], None)
    assert delta.updates == {"9": HashstopSignalMetadata("pdq", sample_hashes.pdq(9), "p_00")}


def test_report_opinion_gives_feedback_on_a_match(served, database):
    served.open_case([sample_hashes.pdq_entry(11), sample_hashes.pdq_entry(12)])
    gone = served.open_case([sample_hashes.pdq_entry(13)])
    served.withdraw(gone)
    api = api_for(served)
    api.report_opinion(
        PdqSignal,
        sample_hashes.pdq(11),
        SignalOpinion(True, SignalOpinionCategory.POSITIVE_CLASS, set()),
    )
    api.report_opinion(
        PdqSignal,
        sample_hashes.pdq(12),
        SignalOpinion(True, SignalOpinionCategory.NEGATIVE_CLASS, set()),
    )
    with database.transaction() as session:
        verdicts = sorted(session.scalars(select(Feedback.verdict)).all())
    assert verdicts == ["confirmed", "false_positive"]
    with pytest.raises(NotImplementedError):
        api.report_opinion(
            PdqSignal,
            sample_hashes.pdq(11),
            SignalOpinion(True, SignalOpinionCategory.INVESTIGATION_SEED, set()),
        )
    with pytest.raises(ValueError, match="does not hold"):
        api.report_opinion(
            PdqSignal,
            sample_hashes.pdq(13),
            SignalOpinion(True, SignalOpinionCategory.POSITIVE_CLASS, set()),
        )
