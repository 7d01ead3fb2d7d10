"""Platforms' verdicts on a subscribed bank's hashes go back to its exchange (issue 17).

`hashstop subscribe feedback` sends them through pytx's `report_opinion`: pytx's own StopNCII
client (`StopNCIIAPI.submit_feedback`, threatexchange 1.2.17) against a stand-in StopNCII on a
loopback port, which serves `FetchHashes` and records every `SubmitFeedback` it receives, with
its headers. On SQLite and PostgreSQL (the `client` app and the CLI share the test database).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select

from hashstop.cli import main
from hashstop.service.keys import KeyService
from hashstop.service.tokens import Keyring
from hashstop.storage.database import Database, upgrade
from hashstop.storage.models import (
    AuditEntry,
    BankEntry,
    BankOpinion,
    Feedback,
    Hash,
    MatchRecord,
)
from tests import sample_hashes
from tests.interop.conftest import JsonHandler, free_port, serve
from tests.service_fixtures import TEST_SECRET_KEY, bearer, make_settings

FETCH_KEY = "fetch-function-key"
FEEDBACK_KEY = "feedback-function-key"
SUBSCRIPTION_KEY = "subscription-key"


class StandInStopNCII:
    """The records StopNCII would serve, and every feedback call received."""

    def __init__(self, values: list[str]) -> None:
        self.values = values
        self.withdrawn: set[str] = set()  # served with hashStatus Withdrawn
        self.feedback: list[dict[str, Any]] = []  # accepted calls: headers and body
        self.refused = 0  # calls answered 503
        self.fail_next = 0  # answer the next n feedback calls 503
        self.lock = threading.Lock()

    def sent(self) -> list[tuple[str, str]]:
        """(feedbackValue, hashValue) of every feedback item accepted, in order."""
        return [
            (item["feedbackValue"], item["hashValue"])
            for call in self.feedback
            for item in call["body"]["hashFeedbacks"]
        ]


def _handler(state: StandInStopNCII) -> type[BaseHTTPRequestHandler]:
    class Handler(JsonHandler):
        def do_GET(self) -> None:
            if self.path.split("?")[0] != "/FetchHashes":
                return self._answer(404, {"message": "not found"})
            if self.headers.get("x-functions-key") != FETCH_KEY:
                return self._answer(401, {"message": "bad function key"})
            now = int(time.time())
            records: list[dict[str, Any]] = [
                {
                    "lastModtimestamp": now,
                    "signalType": "ImagePDQ",
                    "hashValue": value,
                    "hashStatus": "Withdrawn" if value in state.withdrawn else "Active",
                    "caseNumbers": {},
                    "CSPFeedbacks": [],
                }
                for value in state.values
            ]
            return self._answer(
                200,
                {
                    "count": len(records),
                    "nextPageToken": None,
                    "nextSetTimestamp": now,
                    "hasMoreRecords": False,
                    "hashRecords": records,
                },
            )

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            if self.path != "/SubmitFeedback":
                return self._answer(404, {"message": "not found"})
            with state.lock:
                if state.fail_next:
                    state.fail_next -= 1
                    state.refused += 1
                    return self._answer(503, {"message": "try again later"})
                state.feedback.append(
                    {"headers": dict(self.headers.items()), "raw": raw, "body": json.loads(raw)}
                )
            return self._answer(200, {})

    return Handler


@pytest.fixture
def stopncii() -> Iterator[tuple[StandInStopNCII, str]]:
    state = StandInStopNCII([sample_hashes.pdq(1), sample_hashes.pdq(2)])
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def cli(database_url: str, *args: str) -> Result:
    env = {"HASHSTOP_DATABASE_URL": database_url, "HASHSTOP_SECRET_KEY": TEST_SECRET_KEY}
    return CliRunner().invoke(main, list(args), env=env)


def ok(database_url: str, *args: str) -> dict[str, Any]:
    result = cli(database_url, *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout) if "--json" in args else {}


def credentials(url: str) -> str:
    return f"{FETCH_KEY},{SUBSCRIPTION_KEY},{url}"


def feedback(database_url: str, url: str, *extra: str) -> Result:
    return cli(
        database_url,
        "subscribe",
        "feedback",
        "--bank",
        "stopncii",
        "--credentials",
        credentials(url),
        "--feedback-key",
        FEEDBACK_KEY,
        "--json",
        *extra,
    )


def sends(database_url: str, url: str) -> dict[str, Any]:
    result = feedback(database_url, url)
    assert result.exit_code == 0, result.output
    return dict(json.loads(result.stdout))


def fetch_stopncii(database_url: str, url: str) -> dict[str, Any]:
    return ok(
        database_url,
        "subscribe",
        "fetch",
        "--bank",
        "stopncii",
        "--credentials",
        credentials(url),
        "--json",
    )


def follow_stopncii(database_url: str, url: str) -> None:
    ok(database_url, "subscribe", "add", "--bank", "stopncii", "--exchange", "stop_ncii")
    fetched = fetch_stopncii(database_url, url)
    assert fetched["added"] == 2


def match(client, platform: str, value: str, ref: str = "upload-secret-ref") -> str:
    """Match `value` as `platform` (waiting for the index to hold it); return the match id."""
    query = {"items": [{"ref": ref, "hashes": [{"algorithm": "pdq", "value": value}]}]}
    deadline = time.monotonic() + 20
    while True:
        answer = client.post("/v1/match", json=query, headers=bearer(platform))
        assert answer.status_code == 200, answer.text
        result = answer.json()["results"][0]
        if result["matched"]:
            return str(result["match_id"])
        assert time.monotonic() < deadline, "the hash never matched"
        time.sleep(0.05)


def verdict(client, platform: str, match_id: str, said: str, **extra: Any) -> int:
    answer = client.post(
        f"/v1/matches/{match_id}/feedback",
        json={"verdict": said, **extra},
        headers=bearer(platform),
    )
    return int(answer.status_code)


def opinions(database) -> list[BankOpinion]:
    with database.transaction(write=False) as session:
        rows = list(session.scalars(select(BankOpinion).order_by(BankOpinion.id)))
        session.expunge_all()
        return rows


def audit_actions(database) -> list[str]:
    with database.transaction(write=False) as session:
        return list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def test_a_verdict_on_a_stopncii_bank_hash_reaches_the_exchange_once(
    client, database, database_url, make_key, stopncii, caplog
):
    caplog.set_level(logging.DEBUG)
    state, url = stopncii
    follow_stopncii(database_url, url)
    platform = make_key("platform", platform="acme-social")
    first = match(client, platform, sample_hashes.pdq(1))
    assert verdict(client, platform, first, "false_positive", action="none") == 201
    second = match(client, platform, sample_hashes.pdq(2))
    assert verdict(client, platform, second, "confirmed", action="removed") == 201
    assert [o.state for o in opinions(database)] == ["pending", "pending"]

    assert sends(database_url, url) == {
        "bank": "stopncii",
        "sent": 2,
        "not_supported": 0,
        "failed": 0,
        "gone": 0,
        "pending": 0,
    }
    assert state.sent() == [
        ("NotBlocked", sample_hashes.pdq(1)),
        ("Blocked", sample_hashes.pdq(2)),
    ]
    for call in state.feedback:
        # pytx's client, StopNCII's keys: the SubmitFeedback function key, the subscription key
        assert call["headers"]["x-functions-key"] == FEEDBACK_KEY
        assert call["headers"]["Ocp-Apim-Subscription-Key"] == SUBSCRIPTION_KEY
        # what is sent: the hash, the feedback value, no tags; never the platform or its ref
        assert set(call["body"]["hashFeedbacks"][0]) == {"tags", "feedbackValue", "hashValue"}
        assert call["body"]["hashFeedbacks"][0]["tags"] == []
        for private in (b"acme", b"upload-secret-ref", first.encode(), second.encode()):
            assert private not in call["raw"]
    assert [(o.state, o.attempts) for o in opinions(database)] == [("sent", 1), ("sent", 1)]
    actions = audit_actions(database)
    assert actions.count("bank.opinion_queued") == 2 and actions.count("bank.opinion_sent") == 2
    # The log says what happened at info level, never a value.
    told = [r for r in caplog.records if r.name == "hashstop.subscribe"]
    assert len(told) == 2 and all(r.levelno == logging.INFO for r in told)
    for record in caplog.records:
        if record.levelno >= logging.INFO:
            text = record.getMessage()
            assert sample_hashes.pdq(1) not in text and sample_hashes.pdq(2) not in text

    # Idempotent: a second run, and a third, send nothing again.
    for _ in range(2):
        assert sends(database_url, url)["sent"] == 0
    assert len(state.feedback) == 2


def test_a_verdict_on_a_victims_hash_sends_nothing(
    client, database, database_url, make_key, stopncii
):
    state, url = stopncii
    follow_stopncii(database_url, url)
    victim = client.post("/v1/cases", json={"hashes": [sample_hashes.pdq_entry(5)]})
    assert victim.status_code == 201, victim.text
    platform = make_key("platform")
    found = match(client, platform, sample_hashes.pdq(5))
    assert verdict(client, platform, found, "false_positive") == 201
    assert verdict(client, platform, found, "confirmed", action="blocked") == 201
    assert opinions(database) == []
    assert sends(database_url, url)["sent"] == 0
    assert state.feedback == [] and state.refused == 0


def test_a_transport_failure_is_sent_again_at_the_next_run(
    client, database, database_url, make_key, stopncii
):
    state, url = stopncii
    follow_stopncii(database_url, url)
    platform = make_key("platform")
    found = match(client, platform, sample_hashes.pdq(1))
    assert verdict(client, platform, found, "false_positive") == 201

    # Nothing listening: a connection refused.
    down = feedback(database_url, f"http://127.0.0.1:{free_port()}")
    assert down.exit_code == 1
    assert json.loads(down.stdout)["failed"] == 1 and json.loads(down.stdout)["pending"] == 1
    assert "sent again at the next run" in down.stderr
    # The exchange answers 503 (pytx's client does not retry a POST).
    state.fail_next = 1
    refused = feedback(database_url, url)
    assert refused.exit_code == 1 and "HTTP 503" in refused.stderr
    assert state.refused == 1 and state.feedback == []
    [row] = opinions(database)
    assert (row.state, row.attempts, row.last_error) == ("pending", 2, "HTTPError (HTTP 503)")

    assert sends(database_url, url)["sent"] == 1
    assert state.sent() == [("NotBlocked", sample_hashes.pdq(1))]
    assert sends(database_url, url)["sent"] == 0
    assert len(state.feedback) == 1
    assert audit_actions(database).count("bank.opinion_failed") == 2


def test_a_crash_before_the_record_sends_again_once(
    client, database, database_url, make_key, stopncii, monkeypatch
):
    """At least once: the exchange took it, hashstop died before marking it sent."""
    state, url = stopncii
    follow_stopncii(database_url, url)
    platform = make_key("platform")
    found = match(client, platform, sample_hashes.pdq(2))
    assert verdict(client, platform, found, "confirmed") == 201

    import hashstop.service.opinions as service

    def crash(*_args: Any, **_kwargs: Any) -> None:
        raise SystemExit(137)

    with monkeypatch.context() as patch:
        patch.setattr(service, "record_outcome", crash)
        assert feedback(database_url, url).exit_code == 137
    assert state.sent() == [("Blocked", sample_hashes.pdq(2))]
    assert [o.state for o in opinions(database)] == ["pending"]
    assert sends(database_url, url)["sent"] == 1
    assert sends(database_url, url)["sent"] == 0
    assert state.sent() == [("Blocked", sample_hashes.pdq(2))] * 2


def test_a_hash_the_exchange_deleted_before_it_was_sent_is_gone_and_never_sent(
    client, database, database_url, make_key, stopncii
):
    state, url = stopncii
    follow_stopncii(database_url, url)
    platform = make_key("platform")
    found = match(client, platform, sample_hashes.pdq(1))
    assert verdict(client, platform, found, "false_positive") == 201
    time.sleep(1.1)  # the stand-in's timestamps are seconds
    state.withdrawn.add(sample_hashes.pdq(1))
    fetched = fetch_stopncii(database_url, url)
    assert fetched["removed"] == 1
    assert sends(database_url, url) == {
        "bank": "stopncii",
        "sent": 0,
        "not_supported": 0,
        "failed": 0,
        "gone": 1,
        "pending": 0,
    }
    assert state.feedback == []
    assert [(o.state, o.attempts) for o in opinions(database)] == [("gone", 0)]
    assert "bank.opinion_gone" in audit_actions(database)


@pytest.mark.parametrize("exchange", ["sample", "local_file"])
def test_an_exchange_without_opinions_marks_them_not_supported(
    client, database, database_url, make_key, tmp_path: Path, exchange
):
    listing = tmp_path / "list.txt"
    listing.write_text(f"pdq {sample_hashes.pdq(7)}\n")
    config = json.dumps({"filename": str(listing)}) if exchange == "local_file" else "{}"
    ok(database_url, "subscribe", "add", "--bank", "b", "--exchange", exchange, "--config", config)
    ok(database_url, "subscribe", "fetch", "--bank", "b", "--json")
    with database.transaction(write=False) as session:
        value = session.scalars(
            select(Hash.value)
            .join(BankEntry, BankEntry.hash_id == Hash.id)
            .where(Hash.algorithm == "pdq")
            .order_by(Hash.id)
        ).first()
    assert value is not None
    platform = make_key("platform")
    found = match(client, platform, bytes(value).hex())
    # confirmed: pytx's local file would append the hash to the file; false_positive: refused
    assert verdict(client, platform, found, "confirmed") == 201
    assert verdict(client, platform, found, "false_positive") == 201

    # One opinion per bank hash the match hit, per verdict (pytx's sample holds near-duplicate
    # PDQs: a match hits several).
    queued = len(opinions(database))
    assert queued >= 2 and queued % 2 == 0
    first = ok(database_url, "subscribe", "feedback", "--bank", "b", "--json")
    assert (first["sent"], first["not_supported"], first["pending"]) == (0, queued, 0)
    assert [(o.state, o.attempts) for o in opinions(database)] == [("not_supported", 1)] * queued
    assert ok(database_url, "subscribe", "feedback", "--bank", "b", "--json")["not_supported"] == 0
    assert listing.read_text() == f"pdq {sample_hashes.pdq(7)}\n"
    assert audit_actions(database).count("bank.opinion_not_supported") == queued


def test_a_platform_cannot_make_hashstop_send_feedback_about_a_hash_it_never_matched(
    client, database, database_url, make_key, stopncii
):
    state, url = stopncii
    follow_stopncii(database_url, url)
    victim = client.post("/v1/cases", json={"hashes": [sample_hashes.pdq_entry(5)]})
    assert victim.status_code == 201, victim.text
    honest = make_key("platform", platform="honest")
    attacker = make_key("platform", platform="attacker")
    bank_id = opinions_hash_id(database, sample_hashes.pdq(1))

    # Another platform's match of the bank's hash: not found, nothing queued.
    theirs = match(client, honest, sample_hashes.pdq(1))
    assert verdict(client, attacker, theirs, "false_positive") == 404
    # Its own match of a victim's hash, naming the bank's hash: the body is refused whole.
    own = match(client, attacker, sample_hashes.pdq(5))
    for extra in ({"hash_id": bank_id}, {"value": sample_hashes.pdq(1)}, {"hashes": [bank_id]}):
        assert verdict(client, attacker, own, "false_positive", **extra) == 422
    # Its own verdict on its own match: only that match's hits count (a victim's hash).
    assert verdict(client, attacker, own, "false_positive") == 201
    # A match id it made up.
    assert verdict(client, attacker, "m_" + "0" * 16, "false_positive") == 404

    assert opinions(database) == []
    assert sends(database_url, url)["sent"] == 0
    assert state.feedback == []


def opinions_hash_id(database, value: str) -> int:
    with database.transaction(write=False) as session:
        return int(session.scalar(select(Hash.id).where(Hash.value == bytes.fromhex(value))))


def test_a_verdict_on_a_hashstop_upstream_bank_is_given_on_an_upstream_match(
    client, database, database_url, make_key, tmp_path: Path
):
    """The other exchange that takes opinions: a hashstop upstream, through `hashstop.pytx`."""
    hub_url = f"sqlite:///{tmp_path / 'hub.db'}"
    upgrade(hub_url)
    hub_settings = make_settings(hub_url)
    hub = Database(hub_url, pool_size=1)
    try:
        with hub.transaction() as session:
            subscriber_key = (
                KeyService(session, Keyring(hub_settings.secret_key_bytes))
                .create(name="downstream", role="platform", platform="downstream-hashstop")
                .token
            )
        for url in serve(hub_settings):
            answer = httpx.post(
                f"{url}/v1/cases", json={"hashes": [sample_hashes.pdq_entry(3)]}, timeout=30
            )
            assert answer.status_code == 201, answer.text
            config = json.dumps({"server_url": url})
            ok(
                database_url,
                "subscribe",
                "add",
                "--bank",
                "hub",
                "--exchange",
                "hashstop",
                "--config",
                config,
            )
            fetched = ok(
                database_url,
                "subscribe",
                "fetch",
                "--bank",
                "hub",
                "--credentials",
                subscriber_key,
                "--json",
            )
            assert fetched["added"] == 1
            platform = make_key("platform", platform="acme-social")
            found = match(client, platform, sample_hashes.pdq(3), ref="acme-upload-77")
            assert verdict(client, platform, found, "false_positive") == 201
            sent = ok(
                database_url,
                "subscribe",
                "feedback",
                "--bank",
                "hub",
                "--credentials",
                subscriber_key,
                "--json",
            )
            assert (sent["sent"], sent["pending"]) == (1, 0)
            assert (
                ok(
                    database_url,
                    "subscribe",
                    "feedback",
                    "--bank",
                    "hub",
                    "--credentials",
                    subscriber_key,
                    "--json",
                )["sent"]
                == 0
            )
        with hub.transaction(write=False) as session:
            upstream = session.execute(
                select(MatchRecord.platform, MatchRecord.ref, Feedback.verdict).join(
                    Feedback, Feedback.match_id == MatchRecord.id
                )
            ).all()
        # The hub sees the subscriber's key and a fixed ref, never the platform or its ref.
        assert [tuple(r) for r in upstream] == [
            ("downstream-hashstop", "pytx-opinion", "false_positive")
        ]
    finally:
        hub.dispose()


def test_without_credentials_it_is_one_line_and_nothing_is_marked(
    client, database, database_url, make_key, stopncii, monkeypatch, tmp_path: Path
):
    monkeypatch.delenv("TX_STOPNCII_KEYS", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.tx_stopncii_keys
    state, url = stopncii
    follow_stopncii(database_url, url)
    # Nothing pending: nothing to send, no credentials needed.
    assert ok(database_url, "subscribe", "feedback", "--bank", "stopncii", "--json")["sent"] == 0
    platform = make_key("platform")
    found = match(client, platform, sample_hashes.pdq(1))
    assert verdict(client, platform, found, "confirmed") == 201
    missing = cli(database_url, "subscribe", "feedback", "--bank", "stopncii")
    assert missing.exit_code == 1 and "needs --credentials" in missing.output
    assert "Traceback" not in missing.output
    bad = cli(database_url, "subscribe", "feedback", "--bank", "stopncii", "--credentials", "x")
    assert bad.exit_code == 1 and "not in the form pytx reads" in bad.output
    assert [(o.state, o.attempts) for o in opinions(database)] == [("pending", 0)]
    assert sends(database_url, url)["sent"] == 1
    assert state.sent() == [("Blocked", sample_hashes.pdq(1))]
