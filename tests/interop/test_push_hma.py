"""`hashstop push hma` against a stand-in HMA, on both databases (issue 17).

The stand-in is a threaded HTTP server implementing the curator routes the pusher uses, with the
shapes of OpenMediaMatch's `blueprints/curation.py`: `POST /c/banks` (403 when the bank exists),
`GET /c/bank/<bank>`, `POST /c/bank/<bank>/signal` (`{"id", "signals"}`), `GET` and `DELETE
/c/bank/<bank>/content/<id>` (the GET finds content of any bank, as HMA's does; the DELETE
answers `{"deleted": n}`). Content ids are global and only grow, as HMA's are.

Crashes are injected at the points that matter (between the HMA call and the local record) by
raising from the pusher's fault hook; the restart is a new pusher on the same database.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select, update

from hashstop.cli import main
from hashstop.service.actors import CLI
from hashstop.service.hashlist import BatchPolicy
from hashstop.service.hma import HmaCurator
from hashstop.service.push import Pusher
from hashstop.service.tokens import Keyring
from hashstop.storage.models import AuditEntry, Hash, PushEntry, PushTarget
from tests import sample_hashes
from tests.interop.conftest import JsonHandler
from tests.service_fixtures import TEST_SECRET_KEY, bearer

BANK = "HASHSTOP"


class StandInHma:
    """The state of the stand-in: banks and content {id: {"bank", "signals", "note"}}."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.banks: set[str] = set()
        self.content: dict[int, dict[str, Any]] = {}
        self.ids = itertools.count(1)
        self.calls: list[tuple[str, str]] = []

    def values(self, bank: str = BANK) -> list[tuple[str, str]]:
        """(signal type, value) of every content item of the bank, duplicates kept."""
        with self.lock:
            return sorted(
                (kind, value)
                for c in self.content.values()
                if c["bank"] == bank
                for kind, value in c["signals"].items()
            )

    def add_elsewhere(self, bank: str, count: int) -> None:
        """Content another curator adds to another bank (it takes ids too)."""
        with self.lock:
            self.banks.add(bank)
            for _ in range(count):
                self.content[next(self.ids)] = {"bank": bank, "signals": {"pdq": "0" * 64}}


def _handler(hma: StandInHma) -> type[BaseHTTPRequestHandler]:
    content_path = re.compile(r"/c/bank/([^/]+)/content/(\d+)")
    signal_path = re.compile(r"/c/bank/([^/]+)/signal")
    bank_path = re.compile(r"/c/bank/([^/]+)")

    class Handler(JsonHandler):
        def _body(self) -> Any:
            length = int(self.headers.get("Content-Length") or 0)
            return json.loads(self.rfile.read(length) or b"null")

        def do_POST(self) -> None:
            path = self.path.split("?")[0]
            hma.calls.append(("POST", path))
            with hma.lock:
                if path == "/c/banks":
                    name = self._body()["name"]
                    if name in hma.banks:
                        return self._answer(403, {"message": "Bank already exists"})
                    hma.banks.add(name)
                    return self._answer(201, {"name": name, "matching_enabled_ratio": 1.0})
                m = signal_path.fullmatch(path)
                if m:
                    if m[1] not in hma.banks:
                        return self._answer(404, {"message": f"bank '{m[1]}' not found"})
                    body = self._body()
                    note = body.pop("note", None)
                    for kind, value in body.items():
                        if kind not in ("pdq", "video_md5") or not re.fullmatch(
                            "[0-9a-f]{64}" if kind == "pdq" else "[0-9a-f]{32}", value
                        ):
                            return self._answer(400, {"message": f"Invalid {kind} signal"})
                    content_id = next(hma.ids)
                    hma.content[content_id] = {"bank": m[1], "signals": body, "note": note}
                    return self._answer(200, {"id": content_id, "signals": body})
            return self._answer(404, {"message": "no such route"})

        def do_GET(self) -> None:
            path = self.path.split("?")[0]
            hma.calls.append(("GET", path))
            with hma.lock:
                m = content_path.fullmatch(path)
                if m:
                    if m[1] not in hma.banks:
                        return self._answer(404, {"message": "bank not found"})
                    found = hma.content.get(int(m[2]))
                    if found is None:
                        return self._answer(404, {"message": "content not found"})
                    body = {"id": int(m[2]), "bank": {"name": found["bank"]}}
                    if found.get("note"):
                        body["note"] = found["note"]
                    return self._answer(200, body)
                m = bank_path.fullmatch(path)
                if m and m[1] in hma.banks:
                    return self._answer(200, {"name": m[1]})
            return self._answer(404, {"message": "not found"})

        def do_DELETE(self) -> None:
            path = self.path.split("?")[0]
            hma.calls.append(("DELETE", path))
            with hma.lock:
                m = content_path.fullmatch(path)
                if m and m[1] in hma.banks:
                    gone = hma.content.pop(int(m[2]), None)
                    return self._answer(200, {"deleted": 0 if gone is None else 1})
            return self._answer(404, {"message": "not found"})

    return Handler


@pytest.fixture
def hma() -> Iterator[tuple[StandInHma, str]]:
    state = StandInHma()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def run_cli(database_url: str, *args: str):
    env = {
        "HASHSTOP_DATABASE_URL": database_url,
        "HASHSTOP_SECRET_KEY": TEST_SECRET_KEY,
        # the hash list publishes at once, as in the service tests' settings
        "HASHSTOP_HASHLIST_BATCH_CASES": "1",
        "HASHSTOP_HASHLIST_BATCH_MIN_SECONDS": "0",
    }
    return CliRunner().invoke(main, list(args), env=env)


def open_case(client, hashes: list[dict[str, Any]]) -> dict[str, str]:
    answer = client.post("/v1/cases", json={"hashes": hashes})
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def hash_id(database, value: str) -> int:
    with database.transaction(write=False) as session:
        return int(session.scalar(select(Hash.id).where(Hash.value == bytes.fromhex(value))))


def pusher(database, settings, url: str, fault=None) -> Pusher:
    return Pusher(
        database,
        HmaCurator(url),
        Keyring(settings.secret_key_bytes),
        url,
        BANK,
        CLI,
        BatchPolicy(cases=1, min_seconds=0),
        fault=fault,
    )


class Crash(Exception):
    """Stands for the process dying at a fault point."""


def crash_at(point: str, times: int = 1):
    left = [times]

    def fault(where: str) -> None:
        if where == point and left[0] > 0:
            left[0] -= 1
            raise Crash(point)

    return fault


def recorded(database) -> dict[int, tuple[str, int | None]]:
    with database.transaction(write=False) as session:
        return {e.hash_id: (e.state, e.content_id) for e in session.scalars(select(PushEntry))}


def test_push_adds_active_hashes_and_deletes_withdrawn_and_suspended_ones(
    client, make_key, database_url, database, hma
):
    state, url = hma
    kept = open_case(
        client,
        [
            sample_hashes.pdq_entry(1),
            sample_hashes.pdq_entry(2),
            {"algorithm": "md5", "value": sample_hashes.md5(3)},
            {"algorithm": "phash", "value": sample_hashes.phash(3)},
        ],
    )
    gone = open_case(client, [sample_hashes.pdq_entry(4)])

    result = run_cli(database_url, "push", "hma", "--url", url, "--bank", BANK, "--once", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["added"] == 4
    assert BANK in state.banks
    assert state.values() == sorted(
        [
            ("pdq", sample_hashes.pdq(1)),
            ("pdq", sample_hashes.pdq(2)),
            ("pdq", sample_hashes.pdq(4)),
            ("video_md5", sample_hashes.md5(3)),
        ]
    )
    rows = recorded(database)
    assert {content_id for _, content_id in rows.values()} == set(state.content)
    assert all(s == "added" for s, _ in rows.values())

    # The victim withdraws one case; a moderator suspends one hash of the other.
    assert client.delete(f"/v1/cases/{gone['case_id']}", headers=bearer(gone["secret"])).is_success
    moderator = bearer(make_key("moderator"))
    two = hash_id(database, sample_hashes.pdq(2))
    suspended = client.post(
        f"/v1/review/hashes/{two}/suspend", json={"reason": "benign"}, headers=moderator
    )
    assert suspended.status_code == 200, suspended.text

    result = run_cli(database_url, "push", "hma", "--url", url, "--bank", BANK, "--once", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["deleted"] == 2
    assert state.values() == sorted(
        [("pdq", sample_hashes.pdq(1)), ("video_md5", sample_hashes.md5(3))]
    )
    assert len(recorded(database)) == 2

    # A third pass changes nothing: nothing is added twice.
    again = run_cli(database_url, "push", "hma", "--url", url, "--bank", BANK, "--once", "--json")
    assert again.exit_code == 0, again.output
    assert json.loads(again.output)["added"] == 0
    assert len(state.content) == 2
    assert kept["case_id"]

    with database.transaction(write=False) as session:
        audits = session.scalars(select(AuditEntry).where(AuditEntry.action == "hma.pushed")).all()
    assert [json.loads(a.details or "{}")["added"] for a in audits] == [4, 0]
    assert all(a.target == f"hma:{BANK}" and a.actor == "cli" for a in audits)
    for a in audits:  # no hash value in the audit log
        assert sample_hashes.pdq(1) not in (a.details or "")


def test_a_crash_between_hmas_add_and_the_record_leaves_no_duplicate(
    client, database, settings, hma
):
    state, url = hma
    open_case(client, [sample_hashes.pdq_entry(1), sample_hashes.pdq_entry(2)])
    open_case(client, [{"algorithm": "md5", "value": sample_hashes.md5(3)}])

    with pytest.raises(Crash):
        pusher(database, settings, url, crash_at("after_add")).run_once()
    # HMA made the content; our record says only that an add was in flight.
    assert len(state.content) == 1
    assert [s for s, _ in recorded(database).values()] == ["adding"]
    state.add_elsewhere("OTHER", 5)  # ids handed out to others meanwhile

    result = pusher(database, settings, url).run_once()
    assert result.reconciled == 1
    assert result.duplicates_removed == 1
    expected = sorted(
        [
            ("pdq", sample_hashes.pdq(1)),
            ("pdq", sample_hashes.pdq(2)),
            ("video_md5", sample_hashes.md5(3)),
        ]
    )
    assert state.values() == expected  # each once
    assert len(state.values("OTHER")) == 5  # others' content untouched
    rows = recorded(database)
    assert all(s == "added" for s, _ in rows.values())
    assert {c for _, c in rows.values()} == {
        i for i, c in state.content.items() if c["bank"] == BANK
    }
    # And again: stable.
    pusher(database, settings, url).run_once()
    assert state.values() == expected


def test_a_crash_before_hmas_add_adds_once(client, database, settings, hma):
    state, url = hma
    open_case(client, [sample_hashes.pdq_entry(1)])
    with pytest.raises(Crash):
        pusher(database, settings, url, crash_at("before_add")).run_once()
    assert state.content == {}
    result = pusher(database, settings, url).run_once()
    assert result.duplicates_removed == 0
    assert state.values() == [("pdq", sample_hashes.pdq(1))]


def test_a_hash_withdrawn_while_its_add_was_in_doubt_is_not_left_in_hma(
    client, database, settings, hma
):
    state, url = hma
    case = open_case(client, [sample_hashes.pdq_entry(1)])
    with pytest.raises(Crash):
        pusher(database, settings, url, crash_at("after_add")).run_once()
    assert len(state.content) == 1  # HMA holds it; we never learnt its id
    assert client.delete(f"/v1/cases/{case['case_id']}", headers=bearer(case["secret"])).is_success
    open_case(client, [sample_hashes.pdq_entry(2)])

    result = pusher(database, settings, url).run_once()
    assert result.duplicates_removed == 1
    assert state.values() == [("pdq", sample_hashes.pdq(2))]
    assert set(recorded(database)) == {hash_id(database, sample_hashes.pdq(2))}


def test_a_crash_between_hmas_delete_and_the_record_misses_no_deletion(
    client, database, settings, hma
):
    state, url = hma
    case = open_case(client, [sample_hashes.pdq_entry(1)])
    open_case(client, [sample_hashes.pdq_entry(2)])
    pusher(database, settings, url).run_once()
    assert len(state.content) == 2
    assert client.delete(f"/v1/cases/{case['case_id']}", headers=bearer(case["secret"])).is_success

    with pytest.raises(Crash):
        pusher(database, settings, url, crash_at("before_delete")).run_once()
    assert [s for s, _ in recorded(database).values()].count("deleting") == 1
    assert len(state.content) == 2  # the call never went out
    pusher(database, settings, url).run_once()
    assert state.values() == [("pdq", sample_hashes.pdq(2))]

    # The same with the call made and the record lost.
    case3 = open_case(client, [sample_hashes.pdq_entry(3)])
    pusher(database, settings, url).run_once()
    assert client.delete(
        f"/v1/cases/{case3['case_id']}", headers=bearer(case3["secret"])
    ).is_success
    with pytest.raises(Crash):
        pusher(database, settings, url, crash_at("after_delete")).run_once()
    assert state.values() == [("pdq", sample_hashes.pdq(2))]
    result = pusher(database, settings, url).run_once()
    assert result.reconciled == 1
    assert state.values() == [("pdq", sample_hashes.pdq(2))]
    assert set(recorded(database)) == {hash_id(database, sample_hashes.pdq(2))}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--url", "ftp://x", "--bank", BANK], "--url is the HMA's base URL"),
        (["--url", "http://127.0.0.1:9", "--bank", "lower"], "--bank is an HMA bank name"),
        (["--url", "http://127.0.0.1:9", "--bank", BANK, "--header", "nocolon"], "--header"),
        (["--url", "http://127.0.0.1:9", "--bank", BANK], "did not answer"),
    ],
)
def test_bad_input_and_an_unreachable_hma_are_one_line_and_fail(database_url, args, message):
    result = run_cli(database_url, "push", "hma", "--once", *args)
    assert result.exit_code != 0
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_the_sweep_deletes_a_withdrawal_whose_entry_was_skipped(client, database, settings, hma):
    state, url = hma
    case = open_case(client, [sample_hashes.pdq_entry(1)])
    open_case(client, [sample_hashes.pdq_entry(2)])
    pusher(database, settings, url).run_once()
    assert client.delete(f"/v1/cases/{case['case_id']}", headers=bearer(case["secret"])).is_success
    with database.transaction() as session:  # as if the withdrawal's entry had been applied
        session.execute(update(PushTarget).values(position=10**9))
    result = pusher(database, settings, url).run_once()
    assert result.deleted == 1
    assert state.values() == [("pdq", sample_hashes.pdq(2))]


def _follower(database_url: str, url: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "HASHSTOP_DATABASE_URL": database_url,
        "HASHSTOP_SECRET_KEY": TEST_SECRET_KEY,
        "HASHSTOP_HASHLIST_BATCH_CASES": "1",
        "HASHSTOP_HASHLIST_BATCH_MIN_SECONDS": "0",
    }
    command = "from hashstop.cli import main; main()"
    args = ["push", "hma", "--url", url, "--bank", BANK, "--interval", "0.2"]
    return subprocess.Popen(
        [sys.executable, "-c", command, *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _until(check, what: str, limit: float = 120.0) -> None:
    deadline = time.monotonic() + limit  # a bound on waiting, not a timing assertion
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened: {what}")
        time.sleep(0.2)


def test_the_follower_killed_and_restarted_carries_on_without_duplicates(client, database_url, hma):
    state, url = hma
    a = open_case(client, [sample_hashes.pdq_entry(1)])
    open_case(client, [sample_hashes.pdq_entry(2)])
    one, two, three = (("pdq", sample_hashes.pdq(n)) for n in (1, 2, 3))
    follower = _follower(database_url, url)
    try:
        _until(lambda: state.values() == sorted([one, two]), "both hashes in HMA")
        assert client.delete(f"/v1/cases/{a['case_id']}", headers=bearer(a["secret"])).is_success
        _until(lambda: state.values() == [two], "the withdrawn hash deleted")
        open_case(client, [sample_hashes.pdq_entry(3)])
    finally:
        follower.send_signal(signal.SIGKILL)  # wherever it is
        follower.wait()
    follower = _follower(database_url, url)
    try:
        _until(lambda: state.values() == sorted([two, three]), "the restarted follower adds")
        time.sleep(1)  # a few more passes
        assert state.values() == sorted([two, three])
    finally:
        follower.send_signal(signal.SIGKILL)
        follower.wait()


def test_a_bank_is_pushed_only_while_it_is_republished(
    client, database_url, database, settings, hma, tmp_path
):
    """Issue 17: an imported bank's hashes (another exchange's) stay out of HMA unless the
    bank is republished; turning that off deletes them from HMA, and even the sweep of a
    pusher that skipped the entries does."""
    state, url = hma
    open_case(client, [sample_hashes.pdq_entry(1)])
    listing = tmp_path / "partner.txt"
    listing.write_text(f"pdq {sample_hashes.pdq(10)}\nvideo_md5 {sample_hashes.md5(12)}\n")
    imported = run_cli(
        database_url, "import", str(listing), "--bank", "partner", "--format", "lines"
    )
    assert imported.exit_code == 0, imported.output
    victim = [("pdq", sample_hashes.pdq(1))]
    bank = [("pdq", sample_hashes.pdq(10)), ("video_md5", sample_hashes.md5(12))]

    first = run_cli(database_url, "push", "hma", "--url", url, "--bank", BANK, "--once", "--json")
    assert first.exit_code == 0, first.output
    assert state.values() == victim

    assert run_cli(database_url, "bank", "republish", "partner", "--on").exit_code == 0
    pusher(database, settings, url).run_once()
    assert state.values() == sorted(victim + bank)

    assert run_cli(database_url, "bank", "republish", "partner", "--off").exit_code == 0
    result = pusher(database, settings, url).run_once()
    assert result.deleted == 2
    assert state.values() == victim
    assert len(recorded(database)) == 1

    # On, pushed, then off with the pusher's position past the `unpublished` entries: the
    # sweep still deletes them.
    assert run_cli(database_url, "bank", "republish", "partner", "--on").exit_code == 0
    pusher(database, settings, url).run_once()
    assert run_cli(database_url, "bank", "republish", "partner", "--off").exit_code == 0
    with database.transaction() as session:
        session.execute(update(PushTarget).values(position=10**9))
    assert pusher(database, settings, url).run_once().deleted == 2
    assert state.values() == victim
