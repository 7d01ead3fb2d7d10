"""Kill the server in the middle of a burst of writes, restart it, and check what it said it kept.

`crash_round` drives one round: a burst of concurrent case submissions (or withdrawals) against a
running `hashstop serve`, SIGKILL of the whole process group once enough of them were answered,
a restart, and the checks:

- every case whose 201 reached the client is there, with all its accepted hashes (GET shows the
  count), every one of them matchable (POST /v1/match finds each of its values, at distance 0,
  and names a hash of that case);
- every withdrawal whose 200 reached the client stayed: the case is withdrawn, its values are
  erased and none of them matches any more;
- nothing is half-written (`invariants.py`), and each worker's index holds exactly the active
  hashes of the database.

Used by `tests/reliability/test_crash_safety.py` (small, in CI) and `benchmarks/crash.py` (as
large as you like). Only 127.0.0.1 is contacted; every loop is bounded by a count and a time.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.reliability.invariants import case_hash_ids, matchable_count, violations
from tests.reliability.server import (
    OPERATOR,
    ServerProcess,
    hashstop,
    platform_key,
    server_env,
)


@dataclass
class Case:
    case_id: str
    secret: str
    accepted: int
    hashes: list[dict[str, Any]]


@dataclass
class Burst:
    """What the client saw: answered requests, and the ones the kill cut off."""

    acknowledged: list[Case] = field(default_factory=list)
    withdrawn: list[Case] = field(default_factory=list)
    attempted: set[str] = field(default_factory=set)  # case ids a withdrawal was sent for
    cut_off: int = 0
    refused: int = 0  # an HTTP answer other than the expected one (must stay 0)
    statuses: dict[int, int] = field(default_factory=dict)


def case_body(rng: random.Random) -> list[dict[str, Any]]:
    """1-20 photos of random PDQ hashes (1-3 per photo) and an MD5 for every photo."""
    hashes: list[dict[str, Any]] = []
    for photo in range(rng.randint(1, 20)):
        key = f"p{photo}"
        for _ in range(rng.randint(1, 3)):
            bits = rng.sample(range(256), 128)
            value = sum(1 << b for b in bits).to_bytes(32, "big").hex()
            hashes.append({"algorithm": "pdq", "value": value, "quality": 100, "photo": key})
        hashes.append({"algorithm": "md5", "value": rng.randbytes(16).hex(), "photo": key})
    return hashes


async def _burst(
    burst: Burst,
    base: str,
    jobs: list[Callable[[httpx.AsyncClient], Any]],
    concurrency: int,
    kill_after: int,
    kill: Callable[[], None],
    seconds: float = 120,
) -> None:
    """Run `jobs` concurrently; call `kill` once `kill_after` were answered; stop after it."""
    queue = list(reversed(jobs))
    killed = asyncio.Event()
    deadline = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:

        async def worker() -> None:
            while queue and not killed.is_set() and time.monotonic() < deadline:
                job = queue.pop()
                try:
                    answered = await job(client)
                except httpx.TransportError:
                    burst.cut_off += 1
                    continue
                if answered is None:
                    burst.refused += 1
                done = len(burst.acknowledged) + len(burst.withdrawn)
                if done >= kill_after and not killed.is_set():
                    killed.set()
                    kill()

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        if not killed.is_set():
            killed.set()
            kill()


def submission_burst(
    server: ServerProcess, n_cases: int, concurrency: int, kill_after: int, seed: int
) -> Burst:
    rng = random.Random(seed)
    bodies = [case_body(rng) for _ in range(n_cases)]
    burst = Burst()

    def submit(body: list[dict[str, Any]]) -> Callable[[httpx.AsyncClient], Any]:
        async def job(client: httpx.AsyncClient) -> Case | None:
            r = await client.post("/v1/cases", json={"hashes": body})
            burst.statuses[r.status_code] = burst.statuses.get(r.status_code, 0) + 1
            if r.status_code != 201:
                return None
            data = r.json()
            case = Case(data["case_id"], data["secret"], data["accepted"], body)
            burst.acknowledged.append(case)
            return case

        return job

    jobs = [submit(b) for b in bodies]
    asyncio.run(_burst(burst, server.base, jobs, concurrency, kill_after, server.kill))
    return burst


def withdrawal_burst(
    server: ServerProcess, cases: list[Case], concurrency: int, kill_after: int
) -> Burst:
    box = Burst()

    def withdraw(case: Case) -> Callable[[httpx.AsyncClient], Any]:
        async def job(client: httpx.AsyncClient) -> Case | None:
            box.attempted.add(case.case_id)
            r = await client.delete(
                f"/v1/cases/{case.case_id}", headers={"Authorization": f"Bearer {case.secret}"}
            )
            box.statuses[r.status_code] = box.statuses.get(r.status_code, 0) + 1
            if r.status_code != 200 or r.json()["status"] != "withdrawn":
                return None
            box.withdrawn.append(case)
            return case

        return job

    jobs = [withdraw(c) for c in cases]
    asyncio.run(_burst(box, server.base, jobs, concurrency, kill_after, server.kill))
    return box


@dataclass
class Check:
    """What the restarted server and the database showed."""

    lost: list[str] = field(default_factory=list)  # acknowledged cases missing or incomplete
    unmatchable: list[str] = field(default_factory=list)  # acknowledged, a hash does not match
    not_withdrawn: list[str] = field(default_factory=list)  # acknowledged withdrawal undone
    still_matching: list[str] = field(default_factory=list)  # withdrawn, a value still matches
    broken: dict[str, list[tuple[object, ...]]] = field(default_factory=dict)
    index_sizes: list[int] = field(default_factory=list)
    workers: int = 0  # how many workers the restarted server has (each must answer /readyz)
    matchable: int = 0

    @property
    def ok(self) -> bool:
        return not (
            self.lost
            or self.unmatchable
            or self.not_withdrawn
            or self.still_matching
            or self.broken
            or len(self.index_sizes) != self.workers
            or any(size != self.matchable for size in self.index_sizes)
        )

    def summary(self) -> dict[str, Any]:
        return {
            "lost": len(self.lost),
            "unmatchable": len(self.unmatchable),
            "not_withdrawn": len(self.not_withdrawn),
            "still_matching": len(self.still_matching),
            "broken": {k: [list(map(str, r)) for r in v] for k, v in self.broken.items()},
            "index_sizes": self.index_sizes,
            "matchable_in_database": self.matchable,
        }


def _match_body(case: Case) -> dict[str, Any]:
    return {
        "items": [
            {
                "ref": f"{case.case_id}-{i}",
                "hashes": [{"algorithm": h["algorithm"], "value": h["value"]}],
                "max_distance": 0,
            }
            for i, h in enumerate(case.hashes)
        ]
    }


def check_after_restart(
    server: ServerProcess,
    database_url: str,
    platform_key: str,
    present: list[Case],
    withdrawn: list[Case],
) -> Check:
    check = Check()
    owners = case_hash_ids(database_url)
    platform = {"Authorization": f"Bearer {platform_key}"}
    with httpx.Client(base_url=server.base, timeout=30) as client:
        for case in present:
            r = client.get(
                f"/v1/cases/{case.case_id}", headers={"Authorization": f"Bearer {case.secret}"}
            )
            if (
                r.status_code != 200
                or r.json()["hash_count"] != case.accepted
                or case.accepted != len(case.hashes)
            ):
                check.lost.append(case.case_id)
                continue
            results = client.post("/v1/match", json=_match_body(case), headers=platform)
            own = owners.get(case.case_id, set())
            for result in results.json()["results"]:
                hits = {m["hash_id"] for m in result["matches"] if m["distance"] == 0}
                if not result["matched"] or not hits & own:
                    check.unmatchable.append(case.case_id)
                    break
        for case in withdrawn:
            r = client.get(
                f"/v1/cases/{case.case_id}", headers={"Authorization": f"Bearer {case.secret}"}
            )
            if r.status_code != 200 or r.json()["status"] != "withdrawn":
                check.not_withdrawn.append(case.case_id)
                continue
            results = client.post("/v1/match", json=_match_body(case), headers=platform)
            own = owners.get(case.case_id, set())
            if any({m["hash_id"] for m in x["matches"]} & own for x in results.json()["results"]):
                check.still_matching.append(case.case_id)
        seen: dict[int, int] = {}
        for _ in range(50 * server.workers):
            body = client.get("/readyz", headers=OPERATOR).json()
            seen[body["worker"]] = sum(body["index"].values())
            if len(seen) >= server.workers:
                break
        check.index_sizes = sorted(seen.values())
        check.workers = server.workers
    check.broken = violations(database_url)
    check.matchable = matchable_count(database_url)
    return check


def report(label: str, burst: Burst, check: Check, **extra: Any) -> str:
    return json.dumps(
        {
            "round": label,
            "acknowledged": len(burst.acknowledged) or len(burst.withdrawn),
            "cut_off_by_the_kill": burst.cut_off,
            "other_answers": burst.refused,
            "statuses": burst.statuses,
            **check.summary(),
            **extra,
        }
    )


@dataclass(frozen=True)
class Round:
    label: str
    burst: Burst
    check: Check
    restart_seconds: float

    def report(self) -> str:
        return report(self.label, self.burst, self.check, restart_s=round(self.restart_seconds, 2))


def run_scenario(
    database_url: str,
    workdir: Path,
    *,
    n_cases: int,
    kill_after: int,
    concurrency: int = 16,
    workers: int = 2,
    seed: int = 1,
) -> list[Round]:
    """Submissions killed mid-burst, then withdrawals killed mid-burst, each checked after a
    restart. The first kill comes after `kill_after` cases were acknowledged, the second after
    half of those were withdrawn."""
    env = server_env(database_url)
    if database_url.startswith("postgresql"):
        hashstop(env, "db", "upgrade", cwd=workdir)
    key = platform_key(env, f"crash-{seed}", "crash", cwd=workdir)
    server = ServerProcess(env, workers, workdir / "server.log", workdir)
    rounds: list[Round] = []
    try:
        server.start()
        server.wait_ready()
        submitted = submission_burst(server, n_cases, concurrency, kill_after, seed)
        server.start()
        ready = server.wait_ready()
        check = check_after_restart(server, database_url, key, submitted.acknowledged, [])
        rounds.append(Round("submissions", submitted, check, ready))

        half = max(1, len(submitted.acknowledged) // 2)
        withdrawals = withdrawal_burst(server, submitted.acknowledged, concurrency, half)
        server.start()
        ready = server.wait_ready()
        untouched = [c for c in submitted.acknowledged if c.case_id not in withdrawals.attempted]
        check = check_after_restart(server, database_url, key, untouched, withdrawals.withdrawn)
        rounds.append(Round("withdrawals", withdrawals, check, ready))
    finally:
        server.stop()
    return rounds
