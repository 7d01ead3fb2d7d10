"""Issue 12, attacks 3-6 replayed at scale: what each attacker achieves now.

    .venv/bin/python -m benchmarks.abuse_writes [--database sqlite|postgresql] [--seconds 20]

Each scenario runs the real app in this process (the FastAPI test client, the real database,
the default settings unless named) and reports what the attacker got:

1. flood (attack 3): 3 anonymous clients, each from its own address, open a case and then add
   500 hashes a request as fast as they can for `--seconds` (a new case when one is full);
   reported: hashes accepted in all,
   requests refused (429), and a victim's case creation (another address, one photo of 75
   hashes, about 20 times in the run) timed meanwhile, median and worst, and alone before; and
   the same with the budgets lifted (as before issue 12).
2. spoofed creations (attack 4): 45 case creations through a proxy that appends to
   X-Forwarded-For (nginx's `$proxy_add_x_forwarded_for`), each claiming a fresh address,
   against a limit of 30 an hour; with compose's setting now and with the old `*`.
3. feed linkage (attack 5): 3 victims of 4 photos (75 hashes each) and one withdrawal; a
   mirroring platform's view: the longest run of one case's consecutive entries in the feed, the
   spread of the withdrawal (entries from its first to its last / entries withdrawn: 1.0 is one
   block) and how many photo names two platforms share.
4. live counts (attack 6): what an anonymous observer reads from /metrics and /readyz.

PostgreSQL runs on a throwaway database on 127.0.0.1:5432 (dropped at the end).
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from hashstop.app import create_app
from hashstop.config import Settings
from hashstop.service.keys import KeyService
from hashstop.service.tokens import Keyring
from hashstop.storage.database import Database, upgrade

SECRET_KEY = "benchmark-only-Hv3Jk8Pq1Lx6Rz9Tm4Wc7Nb2Fs5Gd0Ya"  # noqa: S105 - throwaway


def pdq_entries(rng: random.Random, n: int, photo: str | None = None) -> list[dict[str, Any]]:
    """`n` plausible PDQ hashes (128 ones of 256, scattered: never refused as degenerate)."""
    out = []
    for _ in range(n):
        value = sum(1 << p for p in rng.sample(range(256), 128))
        entry: dict[str, Any] = {
            "algorithm": "pdq",
            "value": value.to_bytes(32, "big").hex(),
            "quality": 100,
        }
        if photo is not None:
            entry["photo"] = photo
        out.append(entry)
    return out


def settings_for(url: str, **overrides: Any) -> Settings:
    return Settings(database_url=url, secret_key=SECRET_KEY, log_level="WARNING", **overrides)


def platform_key(url: str, platform: str) -> dict[str, str]:
    database = Database(url, pool_size=1)
    try:
        with database.transaction() as session:
            token = (
                KeyService(session, Keyring(SECRET_KEY.encode()))
                .create(
                    name=f"{platform}-{random.randrange(10**9)}", role="platform", platform=platform
                )
                .token
            )
    finally:
        database.dispose()
    return {"Authorization": f"Bearer {token}"}


def wait_ready(client: TestClient) -> None:
    for _ in range(400):
        if client.get("/readyz").status_code == 200:
            return
        time.sleep(0.05)
    raise RuntimeError("the app did not become ready")


def flood(url: str, seconds: float, **overrides: Any) -> dict[str, Any]:
    app = create_app(settings_for(url, **overrides))
    accepted = [0, 0, 0]
    refusals: list[int] = []  # the status of each refused request
    stop = 0.0

    def attacker(i: int) -> None:
        rng = random.Random(i)
        # no `with`: the victim's client below runs the app's lifespan once for all
        c = TestClient(app, client=(f"203.0.113.{i + 1}", 1))
        case: dict[str, str] | None = None
        n = 0
        while time.monotonic() < stop:
            n += 1
            batch = pdq_entries(rng, 500, f"f{n}")  # one "photo" of 500 hashes a request
            if case is None:  # open a case (again, once a case is full)
                r = c.post("/v1/cases", json={"hashes": batch})
                if r.status_code == 201:
                    case = r.json()
                    accepted[i] += int(case["accepted"])
                    continue
            else:
                r = c.post(
                    f"/v1/cases/{case['case_id']}/hashes",
                    json={"hashes": batch},
                    headers={"Authorization": f"Bearer {case['secret']}"},
                )
                if r.status_code == 200:
                    accepted[i] += int(r.json()["accepted"])
                    continue
                if r.status_code == 409:
                    case = None
            refusals.append(r.status_code)
            if r.status_code == 429:
                time.sleep(0.2)

    victim_times: list[float] = []
    victim_failures: list[int] = []  # statuses of the victim's creations that failed
    with TestClient(app, client=("198.51.100.9", 1)) as victim:
        wait_ready(victim)
        rng = random.Random(99)
        alone: list[float] = []
        for _ in range(5):  # the victim's creation with nobody else writing
            started = time.perf_counter()
            victim.post("/v1/cases", json={"hashes": pdq_entries(rng, 75, "photo")})
            alone.append(time.perf_counter() - started)
        stop = time.monotonic() + seconds
        threads = [threading.Thread(target=attacker, args=(i,)) for i in range(3)]
        for t in threads:
            t.start()
        while any(t.is_alive() for t in threads):
            started = time.perf_counter()
            r = victim.post("/v1/cases", json={"hashes": pdq_entries(rng, 75, "photo")})
            victim_times.append(time.perf_counter() - started)
            if r.status_code != 201:
                victim_failures.append(r.status_code)
            time.sleep(max(0.5, seconds / 20))  # within the 30 cases an hour
        for t in threads:
            t.join()
    return {
        "seconds": seconds,
        "hashes_accepted_from_flood": sum(accepted),
        "flood_requests_refused_429": refusals.count(429),
        "flood_requests_failed_otherwise": {s: refusals.count(s) for s in set(refusals) - {429}},
        "victim_creation_alone_median_s": round(statistics.median(alone), 3),
        "victim_creations": len(victim_times),
        "victim_creations_failed": victim_failures,
        "victim_creation_median_s": round(statistics.median(victim_times), 3),
        "victim_creation_worst_s": round(max(victim_times), 3),
    }


def spoofed_creations(url: str, trusted: str) -> int:
    proxy = ("172.31.250.1", 41000)
    app = create_app(settings_for(url, forwarded_allow_ips=trusted, case_creations_per_hour=30))
    rng = random.Random(4)
    passed = 0
    with TestClient(app, client=proxy) as c:
        wait_ready(c)
        for i in range(45):
            headers = {"X-Forwarded-For": f"203.0.113.{i}, 198.51.100.7"}
            r = c.post("/v1/cases", json={"hashes": pdq_entries(rng, 1)}, headers=headers)
            passed += r.status_code == 201
    return passed


def feed_linkage(url: str) -> dict[str, Any]:
    app = create_app(settings_for(url, hashlist_batch_min_seconds=0))
    one, two = platform_key(url, "one"), platform_key(url, "two")
    rng = random.Random(5)
    owner: dict[str, int] = {}
    with TestClient(app) as c:
        wait_ready(c)
        cases = []
        for victim in range(3):
            hashes = [h for p in range(4) for h in pdq_entries(rng, 75, f"p{p}")]
            owner.update({h["value"]: victim for h in hashes})
            cases.append(c.post("/v1/cases", json={"hashes": hashes}).json())

        def feed(key: dict[str, str], after: int = 0) -> list[dict[str, Any]]:
            out: list[dict[str, Any]] = []
            while True:
                page = c.get("/v1/hashlist", params={"after": after}, headers=key).json()
                out += page["entries"]
                after = page["next"]
                if not page["has_more"]:
                    return out

        first = feed(one)
        ids = {e["hash_id"]: owner[e["value"]] for e in first}
        owners = [ids[e["hash_id"]] for e in first]
        longest = _longest_run(owners)
        shared = len({e["photo"] for e in first} & {e["photo"] for e in feed(two)})
        gone = cases[0]
        c.delete(
            f"/v1/cases/{gone['case_id']}", headers={"Authorization": f"Bearer {gone['secret']}"}
        )
        for victim in (1, 2):  # the others add a photo each, so the batch can close
            more = pdq_entries(rng, 75, "late")
            owner.update({h["value"]: victim for h in more})
            c.post(
                f"/v1/cases/{cases[victim]['case_id']}/hashes",
                json={"hashes": more},
                headers={"Authorization": f"Bearer {cases[victim]['secret']}"},
            )
        delta = feed(one, after=first[-1]["seq"] if first else 0)
    withdrawn = [i for i, e in enumerate(delta) if e["change"] == "withdrawn"]
    return {
        "entries_first_batch": len(first),
        "longest_run_of_one_case": longest,
        "case_size": 300,
        "withdrawn_entries": len(withdrawn),
        "withdrawal_spread": round((withdrawn[-1] - withdrawn[0] + 1) / len(withdrawn), 2)
        if withdrawn
        else None,
        "photo_names_shared_by_two_platforms": shared,
    }


def _longest_run(owners: list[int]) -> int:
    best = run = 0
    previous = None
    for o in owners:
        run = run + 1 if o == previous else 1
        previous = o
        best = max(best, run)
    return best


def live_counts(url: str) -> dict[str, Any]:
    app = create_app(settings_for(url))
    with TestClient(app) as c:
        wait_ready(c)
        before = c.get("/readyz").json()
        c.post("/v1/cases", json={"hashes": pdq_entries(random.Random(6), 3)})
        after = c.get("/readyz").json()
        metrics = c.get("/metrics")
    return {
        "readyz_anonymous": after,
        "readyz_changed_by_a_case": before != after,
        "metrics_anonymous_status": metrics.status_code,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--only", nargs="*", help="run only these scenarios (by name)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for name, run in (
            ("flood", lambda u: flood(u, args.seconds)),
            (
                "flood_without_budgets",  # as before issue 12: additions unlimited
                lambda u: flood(
                    u,
                    args.seconds,
                    hashes_per_address_per_hour=10**9,
                    hashes_per_hour=10**9,
                    max_hashes_per_case=10**9,
                    max_photos_per_case=10**9,
                    case_creations_per_hour=10**9,
                ),
            ),
            ("spoofed_creations_compose_now", lambda u: spoofed_creations(u, "172.31.250.1")),
            ("spoofed_creations_with_star", lambda u: spoofed_creations(u, "*")),
            ("feed_linkage", feed_linkage),
            ("live_counts", live_counts),
        ):
            if args.only and name not in args.only:
                continue
            url, drop = fresh_database(args.database, Path(tmp), name)
            try:
                print(f"{name}: {run(url)}", flush=True)
            finally:
                drop()


def fresh_database(kind: str, folder: Path, name: str) -> tuple[str, Any]:
    if kind == "sqlite":
        url = f"sqlite:///{folder / (name + '.db')}"
        upgrade(url)
        return url, lambda: None
    from benchmarks.api import admin_connection

    admin, user = admin_connection()
    db = f"hashstop_abuse_{random.randrange(16**8):08x}"
    admin.execute(f'CREATE DATABASE "{db}"')
    url = f"postgresql+psycopg://{user}@127.0.0.1:5432/{db}"
    upgrade(url)

    def drop() -> None:
        admin.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')

    return url, drop


if __name__ == "__main__":
    main()
