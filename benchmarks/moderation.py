"""What the poisoning defences cost, on a throwaway PostgreSQL database (loopback only).

    .venv/bin/python -m benchmarks.moderation --hashes 200000 --entries 1000 10000

1. Allowlist screening at submission: 500 random PDQ hashes checked against E allowlist entries
   (read from the database and compared with the exact Hamming index), median of 7 runs.
2. Adding an allowlist entry: the scan of N stored PDQ hashes for those within distance 31.
3. The match path with and without the quarantine's rate check: one matched single-item request
   through the service (`Matcher.match` in its own transaction, as the API runs it), alternating
   on and off, median of R runs each; the ratio is what the check adds to a request that matched.

Results are printed; the database is dropped at the end.
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import time
from collections.abc import Callable

import numpy as np
from sqlalchemy import insert, text

from benchmarks.api import SECRET_KEY, admin_connection
from hashstop.matching import wait_until_compiled
from hashstop.service.allowlist import near_stored_hashes
from hashstop.service.index import HashIndex
from hashstop.service.keys import KeyService
from hashstop.service.matching import Matcher, MatchItem, QueryHash, Thresholds
from hashstop.service.quarantine import QuarantinePolicy
from hashstop.service.screening import AllowlistScreen, MatchDistances
from hashstop.service.tokens import Keyring
from hashstop.storage.database import Database, upgrade
from hashstop.storage.models import AllowlistEntry, HashStatus, utcnow


def median_ms(action: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def load_hashes(database: Database, codes: np.ndarray) -> None:
    """N active PDQ hashes in one case (bulk COPY-free inserts in chunks)."""
    now = utcnow()
    with database.transaction() as session:
        case_id = session.execute(
            text(
                "INSERT INTO cases (public_id, secret_hash, status, created_at) "
                "VALUES ('bench', :h, 'active', :now) RETURNING id"
            ),
            {"h": b"\0" * 32, "now": now},
        ).scalar_one()
        photo_id = session.execute(
            text("INSERT INTO photos (case_id, created_at) VALUES (:c, :now) RETURNING id"),
            {"c": case_id, "now": now},
        ).scalar_one()
        for start in range(0, len(codes), 50_000):
            rows = [
                {
                    "case_id": case_id,
                    "photo_id": photo_id,
                    "algorithm": "pdq",
                    "value": bytes(c),
                    "quality": 100,
                    "variant": f"v{start + i}",
                    "status": HashStatus.ACTIVE.value,
                    "created_at": now,
                    "updated_at": now,
                }
                for i, c in enumerate(codes[start : start + 50_000])
            ]
            session.execute(
                text(
                    "INSERT INTO hashes (case_id, photo_id, algorithm, value, quality, variant, "
                    "status, created_at, updated_at) VALUES (:case_id, :photo_id, :algorithm, "
                    ":value, :quality, :variant, :status, :created_at, :updated_at)"
                ),
                rows,
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hashes", type=int, default=200_000)
    parser.add_argument("--entries", type=int, nargs="+", default=[1000, 10_000])
    parser.add_argument("--runs", type=int, default=41)
    args = parser.parse_args()
    rng = np.random.default_rng(7)
    conn, user = admin_connection()
    name = f"hashstop_bench_{secrets.token_hex(4)}"
    conn.execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql+psycopg://{user}@127.0.0.1:5432/{name}"
    try:
        upgrade(url)
        database = Database(url, pool_size=2)
        codes = rng.integers(0, 256, size=(args.hashes, 32), dtype=np.uint8)
        load_hashes(database, codes)
        queries = rng.integers(0, 256, size=(500, 32), dtype=np.uint8)
        submitted = [("pdq", bytes(q)) for q in queries]
        distances = MatchDistances()
        loaded = 0
        for entries in sorted(args.entries):
            with database.transaction() as session:
                values = rng.integers(0, 256, size=(entries - loaded, 32), dtype=np.uint8)
                session.execute(
                    insert(AllowlistEntry),
                    [
                        {"algorithm": "pdq", "value": bytes(v), "reason": "bench",
                         "created_by": "bench", "created_at": utcnow()}
                        for v in values
                    ],
                )  # fmt: skip
            loaded = entries

            def screen() -> None:
                with database.transaction(write=False) as session:
                    AllowlistScreen(session, distances).nearest(submitted)

            wait_until_compiled(120)
            screen()  # warm up
            print(f"screen 500 PDQ vs {entries} entries: {median_ms(screen, 7):.1f} ms median")

        def scan() -> None:
            with database.transaction(write=False) as session:
                near_stored_hashes(session, "pdq", bytes(queries[0]), 31, (HashStatus.ACTIVE,))

        print(f"allowlist add scan of {args.hashes} stored PDQ: {median_ms(scan, 3):.0f} ms median")

        with database.transaction() as session:
            key = (
                KeyService(session, Keyring(SECRET_KEY.encode()))
                .create(name="bench", role="platform", platform="bench")
                .key
            )
        index = HashIndex()
        with database.transaction(write=False) as session:
            ids = session.scalars(text("SELECT id FROM hashes ORDER BY id LIMIT 1000")).all()
        index.add("pdq", list(ids), [bytes(c) for c in codes[:1000]])
        thresholds = Thresholds(pdq_max=31, phash_default=4, phash_max=6)
        item = [MatchItem("bench", [QueryHash("pdq", bytes(codes[3]).hex())])]
        policy = QuarantinePolicy(matches=10**9)  # counts, never trips

        def one(quarantine: QuarantinePolicy | None) -> Callable[[], None]:
            def run() -> None:
                with database.transaction() as session:
                    Matcher(session, index, thresholds, ready=True, quarantine=quarantine).match(
                        key, item
                    )

            return run

        off, on = [], []
        for _ in range(args.runs):
            off.append(median_ms(one(None), 1))
            on.append(median_ms(one(policy), 1))
        a, b = statistics.median(off), statistics.median(on)
        print(
            f"matched single-item request: {a:.2f} ms without, {b:.2f} ms with the rate check "
            f"(x{b / a:.2f}; {args.runs} runs each, alternating, {2 * args.runs} records)"
        )
        database.dispose()
    finally:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
