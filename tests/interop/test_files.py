"""`hashstop export` / `import` in pytx's file forms, round-tripped, on both databases (issue 17).

The exported files are read back by pytx itself (its local-file exchange and its CSV columns),
and imported into a bank of a fresh database whose hashes then match.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from threatexchange.exchanges.fetch_state import FetchedSignalMetadata
from threatexchange.exchanges.impl.file_api import (
    FileCollaborationConfig,
    LocalFileSignalExchangeAPI,
)
from threatexchange.signal_type.md5 import VideoMD5Signal
from threatexchange.signal_type.pdq.signal import PdqSignal

from hashstop.app import create_app
from hashstop.cli import main
from hashstop.storage.models import AuditEntry
from tests import sample_hashes
from tests.service_fixtures import (
    TEST_SECRET_KEY,
    bearer,
    empty_database,
    running_client,
    wait_ready,
)


def run_cli(database_url: str, *args: str):
    env = {"HASHSTOP_DATABASE_URL": database_url, "HASHSTOP_SECRET_KEY": TEST_SECRET_KEY}
    return CliRunner().invoke(main, list(args), env=env)


def seed(client, make_key) -> None:
    moderator = bearer(make_key("moderator"))
    platform = bearer(make_key("platform"))
    kept = {
        "hashes": [
            sample_hashes.pdq_entry(1),
            sample_hashes.pdq_entry(2),
            {"algorithm": "md5", "value": sample_hashes.md5(3)},
            {"algorithm": "phash", "value": sample_hashes.phash(3)},
        ]
    }
    assert client.post("/v1/cases", json=kept).status_code == 201
    gone = client.post("/v1/cases", json={"hashes": [sample_hashes.pdq_entry(5)]}).json()
    client.delete(f"/v1/cases/{gone['case_id']}", headers=bearer(gone["secret"]))
    client.post("/v1/cases", json={"hashes": [sample_hashes.pdq_entry(6)]})
    entries = client.get("/v1/hashlist", headers=platform).json()["entries"]
    six = next(e for e in entries if e["value"] == sample_hashes.pdq(6))
    answer = client.post(
        f"/v1/review/hashes/{six['hash_id']}/suspend",
        json={"reason": "benign"},
        headers=moderator,
    )
    assert answer.status_code == 200


ACTIVE_PYTX = {
    ("pdq", sample_hashes.pdq(1)),
    ("pdq", sample_hashes.pdq(2)),
    ("video_md5", sample_hashes.md5(3)),
}


def test_export_gives_active_values_only_in_pytx_forms(
    client, make_key, database_url, database, tmp_path: Path
):
    seed(client, make_key)
    result = run_cli(database_url, "export", "--format", "csv", "-o", str(tmp_path / "a.csv"))
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader((tmp_path / "a.csv").open()))
    assert {(r["signal_type"], r["signal_str"]) for r in rows} == ACTIVE_PYTX
    assert {r["collab"] for r in rows} == {"hashstop"}
    assert len(rows) == 3

    lines = run_cli(database_url, "export", "--format", "lines")
    assert lines.exit_code == 0
    (tmp_path / "a.txt").write_text(lines.stdout)
    # pytx's own local-file exchange reads it.
    collab = FileCollaborationConfig(name="hs", filename=str(tmp_path / "a.txt"))
    fetched: dict[tuple[str, str], FetchedSignalMetadata] = {}
    api = LocalFileSignalExchangeAPI.for_collab(collab)
    for delta in api.fetch_iter([PdqSignal, VideoMD5Signal], None):
        LocalFileSignalExchangeAPI.naive_fetch_merge(fetched, delta.updates)
    assert set(fetched) == ACTIVE_PYTX
    by_type = LocalFileSignalExchangeAPI.naive_convert_to_signal_type(
        [PdqSignal, VideoMD5Signal], collab, fetched
    )
    assert len(by_type[PdqSignal]) == 2 and len(by_type[VideoMD5Signal]) == 1

    bare = run_cli(database_url, "export", "--format", "values", "--algorithm", "phash")
    assert bare.stdout.split() == [sample_hashes.phash(3)]

    with database.transaction() as session:
        audits = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "hashes.exported")
        ).all()
    assert [json.loads(a.details or "{}")["hashes"] for a in audits] == [3, 3, 1]
    assert all(a.actor == "cli" for a in audits)
    assert sample_hashes.pdq(1) not in str([a.details for a in audits])


@pytest.mark.parametrize("fmt", ["csv", "lines"])
def test_export_and_import_round_trip_into_a_bank(
    client, make_key, settings, database_url, tmp_path: Path, fmt
):
    seed(client, make_key)
    exported = tmp_path / "list"
    assert run_cli(database_url, "export", "--format", fmt, "-o", str(exported)).exit_code == 0
    client.close()
    empty_database(database_url)

    # Republished, so that it is exported again (the default keeps a bank out of the feeds).
    result = run_cli(
        database_url,
        "import",
        str(exported),
        "--bank",
        "partner-list",
        "--format",
        fmt,
        "--republish",
        "--json",
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "bank": "partner-list",
        "accepted": 3,
        "duplicates": 0,
        "rejected": [],
    }
    again = run_cli(
        database_url, "import", str(exported), "--bank", "partner-list", "--format", fmt, "--json"
    )
    assert json.loads(again.stdout)["duplicates"] == 3

    second = run_cli(database_url, "export", "--format", fmt)
    assert sorted(second.stdout.splitlines()) == sorted(exported.read_text().splitlines())

    with running_client(create_app(settings)) as fresh:
        wait_ready(fresh)
        platform = bearer(make_key("platform"))
        query = {
            "items": [
                {"ref": "u", "hashes": [{"algorithm": "pdq", "value": sample_hashes.pdq(1)}]},
                {"ref": "v", "hashes": [{"algorithm": "pdq", "value": sample_hashes.pdq(5)}]},
            ]
        }
        results = fresh.post("/v1/match", json=query, headers=platform).json()["results"]
        assert [r["matched"] for r in results] == [True, False]
        # The match names the bank its hash came from.
        assert [m["bank"] for m in results[0]["matches"]] == ["partner-list"]
        record = fresh.get(f"/v1/matches/{results[0]['match_id']}", headers=platform).json()
        assert "partner-list" in str(record)


def test_bad_files_are_one_line_errors(database_url, tmp_path: Path):
    mixed = tmp_path / "mixed.txt"
    mixed.write_text(
        f"pdq {sample_hashes.pdq(7)}\n# a comment\nphotodna abc\npdq 1234\npdq {'0' * 64}\n"
    )
    result = run_cli(
        database_url, "import", str(mixed), "--bank", "b1", "--format", "lines", "--json"
    )
    body = json.loads(result.stdout)
    assert body["accepted"] == 1
    assert [r["line"] for r in body["rejected"]] == [3, 4, 5]

    headless = tmp_path / "x.csv"
    headless.write_text(f"pdq,{sample_hashes.pdq(8)}\n")
    for args in (
        ["import", str(headless), "--bank", "b1"],
        ["import", str(tmp_path / "missing.csv"), "--bank", "b1"],
        ["import", str(mixed), "--bank", "Not A Name", "--format", "lines"],
        ["import", str(mixed), "--bank", "b1", "--format", "values"],
        ["export", "--format", "lines", "--algorithm", "sha256"],
    ):
        failed = run_cli(database_url, *args)
        assert failed.exit_code == 1, (args, failed.output)
        assert failed.output.count("\n") == 1 and failed.output.startswith("Error: "), failed.output
