"""Crash safety, at any size: SIGKILL `hashstop serve` in the middle of bursts of writes.

    .venv/bin/python -m benchmarks.crash --cases 2000 --kill-after 500 --database both

For each database (a SQLite file in a temporary directory; a throwaway database on the machine's
PostgreSQL at 127.0.0.1:5432, dropped at the end): start `hashstop serve --workers W`, send
concurrent case submissions, SIGKILL the server's whole process group once `--kill-after` cases
were acknowledged (201), restart it and check every acknowledged case (present, complete,
matchable) and the database invariants (`tests/reliability/invariants.py`); then the same with
withdrawals of those cases, killed half-way. Prints one JSON line per round and exits 1 if any
acknowledged write was lost or anything was half-written. Loopback only; bounded.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from tests.reliability.crash import run_scenario
from tests.service_fixtures import pg_create_database, pg_drop_database


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--cases", type=int, default=1000, help="submissions in the burst")
    parser.add_argument("--kill-after", type=int, default=300, help="acknowledged, then SIGKILL")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if not 0 < args.kill_after < args.cases:
        parser.error("--kill-after must be between 1 and --cases")

    failed = False
    for kind in ("sqlite", "postgresql") if args.database == "both" else (args.database,):
        with tempfile.TemporaryDirectory(prefix="hashstop-crash-") as tmp:
            workdir = Path(tmp)
            name = None
            if kind == "sqlite":
                url = f"sqlite:///{workdir / 'hashstop.db'}"
            else:
                created = pg_create_database()
                if created is None:
                    print("PostgreSQL is not reachable on 127.0.0.1:5432", file=sys.stderr)
                    return 2
                url, name = created
            try:
                rounds = run_scenario(
                    url,
                    workdir,
                    n_cases=args.cases,
                    kill_after=args.kill_after,
                    concurrency=args.concurrency,
                    workers=args.workers,
                    seed=args.seed,
                )
            finally:
                if name is not None:
                    pg_drop_database(name)
            for r in rounds:
                print(f'{{"database": "{kind}", ' + r.report()[1:], flush=True)
                failed |= not r.check.ok or r.burst.refused > 0
    print("FAILED: an acknowledged write was lost or half-written" if failed else "all kept")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
