"""By hand: `hashstop push hma` into a real OpenMediaMatch, timed from hashstop's API to HMA's
`/m/lookup` (issue 17). Not a test: it needs an HMA running, which hashstop does not ship.

Setup used for the figures in docs/platforms.md (OpenMediaMatch from facebook/ThreatExchange,
in its own venv, on this machine's PostgreSQL in its own database):

    python3 -m venv hma && hma/bin/pip install ./python-threatexchange \
        ./hasher-matcher-actioner gunicorn
    # omm_config.py: DATABASE_URI = "postgresql+psycopg2://postgres@127.0.0.1:5432/hma",
    # ROLE_HASHER/MATCHER/CURATOR = True, TASK_INDEXER = True, TASK_INDEX_CACHE = True,
    # TASK_INDEXER_INTERVAL_SECONDS = 15, TASK_INDEX_CACHE_INTERVAL_SECONDS = 10,
    # STORAGE_IFACE_INSTANCE = DefaultOMMStore(signal_types=[PdqSignal, VideoMD5Signal], ...)
    cd hasher-matcher-actioner/src && export OMM_CONFIG=/path/omm_config.py
    MIGRATION_COMMAND=1 flask --app OpenMediaMatch.app db upgrade \
        --directory OpenMediaMatch/migrations
    gunicorn --bind 127.0.0.1:5077 --workers 1 --threads 4 "OpenMediaMatch.app:create_app()"
    # (under `flask run` HMA's indexer never starts: /m/lookup answers 503 for ever)

    # hashstop, publishing the hash list at once (HASHSTOP_HASHLIST_BATCH_CASES=1,
    # HASHSTOP_HASHLIST_BATCH_MIN_SECONDS=0), on PostgreSQL:
    hashstop serve --port 8077 --migrate
    hashstop push hma --url http://127.0.0.1:5077 --bank HASHSTOP --interval 2

    python -m benchmarks.hma_push open 300      # two cases; waits until HMA matches all 4
    python -m benchmarks.hma_push withdraw      # withdraws the first; waits until unmatched
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable

import httpx
from tests import sample_hashes as s

HS, HMA = "http://127.0.0.1:8077", "http://127.0.0.1:5077"


def lookup(kind: str, value: str) -> tuple[int, dict[str, object]]:
    answer = httpx.get(f"{HMA}/m/lookup", params={"signal_type": kind, "signal": value}, timeout=30)
    return answer.status_code, answer.json()


def wait(done: Callable[[], bool], what: str, limit: float = 600) -> float:
    start = time.monotonic()
    while not done():
        if time.monotonic() - start > limit:
            raise SystemExit(f"timeout: {what}")
        time.sleep(1)
    elapsed = time.monotonic() - start
    print(f"{what}: {elapsed:.1f} s", flush=True)
    return elapsed


def in_bank(kind: str, value: str) -> bool:
    return bool(lookup(kind, value)[1].get("HASHSTOP"))


def main(step: str, base: int) -> None:
    if step == "open":
        a = httpx.post(
            f"{HS}/v1/cases",
            json={
                "hashes": [
                    s.pdq_entry(base + 1),
                    s.pdq_entry(base + 2),
                    {"algorithm": "md5", "value": s.md5(base + 3)},
                ]
            },
            timeout=30,
        ).json()
        b = httpx.post(
            f"{HS}/v1/cases", json={"hashes": [s.pdq_entry(base + 101)]}, timeout=30
        ).json()
        with open("hma_push_cases.json", "w") as f:
            json.dump({"a": a, "b": b, "base": base}, f)
        wait(
            lambda: (
                all(in_bank("pdq", s.pdq(base + n)) for n in (1, 2, 101))
                and in_bank("video_md5", s.md5(base + 3))
            ),
            "cases opened -> all 4 hashes matched by HMA /m/lookup",
        )
        print("at distance 10:", lookup("pdq", s.flip(s.pdq(base + 1), 10)))
    elif step == "withdraw":
        with open("hma_push_cases.json") as f:
            saved = json.load(f)
        a, base = saved["a"], saved["base"]
        answer = httpx.delete(
            f"{HS}/v1/cases/{a['case_id']}",
            headers={"Authorization": f"Bearer {a['secret']}"},
            timeout=30,
        )
        print("withdraw:", answer.status_code)
        wait(
            lambda: (
                not any(in_bank("pdq", s.pdq(base + n)) for n in (1, 2))
                and not in_bank("video_md5", s.md5(base + 3))
            ),
            "case withdrawn -> its 3 hashes no longer matched by HMA",
        )
        print("the other case, kept:", lookup("pdq", s.pdq(base + 101)))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 100)
