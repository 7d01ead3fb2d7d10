"""Longer property-based fuzzing of the API (schemathesis), every operation, every role.

    .venv/bin/python -m benchmarks.fuzz_api --examples 500 --database both

The same harness as `tests/api/test_fuzz_api.py` (`tests/api/fuzzing.py`): a running app on a
migrated database (a SQLite file in a temporary directory; a throwaway database on the machine's
PostgreSQL at 127.0.0.1:5432, dropped at the end) with a live credential of every role, and
`--examples` requests per operation, one in three with a parameter swapped for a boundary value
(`tests/api/boundaries.py`: 19-digit numbers, moments past year 1 or 9999 in extreme time zones,
huge limits). Prints one JSON line per operation and a summary (requests sent, status codes
seen). A failure (a 5xx, or a response off its schema) prints schemathesis's report with a curl
line that reproduces it, and the run goes on to the next operation; the exit status is 1 at the
end if any operation failed, 0 if none did. In-process; no network.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import traceback
from pathlib import Path

from tests.api.fuzzing import fuzz_test, operations, running_world
from tests.service_fixtures import make_settings, pg_create_database, pg_drop_database

from hashstop.app import create_app
from hashstop.storage.database import upgrade


def fuzz(url: str, examples: int, seed: int | None, only: str | None) -> bool:
    settings = make_settings(url, log_level="WARNING")
    ops = [op for op in operations(create_app(settings)) if only is None or only in op.label]
    ok = True
    started = time.monotonic()
    with running_world(settings) as world:
        for op in ops:
            t0 = time.monotonic()
            try:
                fuzz_test(world, op, examples, seed)()
                outcome = "ok"
            except Exception:  # noqa: BLE001 - report it and go on to the next operation
                traceback.print_exc()
                outcome = "FAILED"
                ok = False
            line = {
                "operation": op.label,
                "requests": world.requests[op.label],
                "outcome": outcome,
                "seconds": round(time.monotonic() - t0, 1),
            }
            print(json.dumps(line), flush=True)
    summary = {
        "database": url.split(":", 1)[0],
        "operations": len(ops),
        "examples_per_operation": examples,
        "requests": sum(world.requests.values()),
        "statuses": dict(sorted(world.statuses.items())),
        "seconds": round(time.monotonic() - started, 1),
        "ok": ok,
    }
    print(json.dumps(summary), flush=True)
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=500, help="examples per operation")
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="sqlite")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: fixed)")
    parser.add_argument("--only", default=None, help="operations whose label contains this")
    args = parser.parse_args()
    ok = True
    for kind in ("sqlite", "postgresql") if args.database == "both" else (args.database,):
        if kind == "sqlite":
            with tempfile.TemporaryDirectory(prefix="hashstop-fuzz-") as tmp:
                url = f"sqlite:///{Path(tmp) / 'hashstop.db'}"
                upgrade(url)
                ok = fuzz(url, args.examples, args.seed, args.only) and ok
        else:
            created = pg_create_database()
            if created is None:
                print("PostgreSQL is not reachable on 127.0.0.1:5432", file=sys.stderr)
                return 2
            url, name = created
            try:
                upgrade(url)
                ok = fuzz(url, args.examples, args.seed, args.only) and ok
            finally:
                pg_drop_database(name)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
