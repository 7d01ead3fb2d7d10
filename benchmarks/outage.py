"""Database outage under traffic, measured: how the service answers and how fast it recovers.

    .venv/bin/python -m benchmarks.outage --workers 2 --down 10 --rounds 3

Each round makes a private PostgreSQL cluster (initdb into a temporary directory, a free port on
127.0.0.1; the machine's shared PostgreSQL is never touched), starts `hashstop serve`, runs mixed
traffic, stops PostgreSQL with `pg_ctl stop -m immediate` for `--down` seconds and starts it
again (see `tests/reliability/outage.py`). Prints one JSON line per round: the answers while the
database was away, seconds until every worker's /readyz went red, seconds from PostgreSQL
accepting connections again to every worker ready and a case creation answered 201, and whether
every match answered during the outage became a readable match record. Exits 1 on any fault
(a 500, a 503 without problem+json or Retry-After, a stored hash not matching).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

from tests.reliability.outage import run_outage


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--down", type=float, default=10.0, help="seconds without PostgreSQL")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    recoveries: list[float] = []
    failed = False
    for _ in range(args.rounds):
        with tempfile.TemporaryDirectory(prefix="hashstop-outage-") as tmp:
            report = run_outage(Path(tmp), workers=args.workers, down_seconds=args.down)
        print(report.json(), flush=True)
        failed |= bool(report.faults()) or report.recovered_after is None
        failed |= bool(report.deferred_unreadable)
        if report.recovered_after is not None:
            recoveries.append(report.recovered_after)
    if recoveries:
        print(
            f"recovered in {statistics.median(recoveries):.2f} s (median of {len(recoveries)}; "
            f"max {max(recoveries):.2f} s)"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
