"""Soak test: hours-of-traffic behaviour in minutes, on PostgreSQL with a million hashes.

    .venv/bin/python -m benchmarks.soak                  # 10 minutes, 1,000,000 PDQ hashes
    .venv/bin/python -m benchmarks.soak --minutes 2 --n 100000

1. A throwaway database on the machine's PostgreSQL (127.0.0.1:5432), migrated, with N PDQ hashes
   bulk-loaded by `benchmarks/api.py`'s loader (COPY).
2. `hashstop serve --workers W` on a free loopback port.
3. Mixed traffic from an async httpx client for `--minutes`: single and batch matches (some of
   stored hashes, so match records are made), case submissions, hash additions, withdrawals,
   feedback on match records, and hash list paging. Every answer other than the expected status
   is counted as an error, by operation and status.
4. Every `--sample-every` seconds the resident memory (VmRSS in /proc) of each worker.
5. Prints and writes (benchmarks/results/soak-<time>.json): requests, errors, p50 and p99 per
   operation, and each worker's memory at minute 2 and at the end (growth in MB and %).

It stops by itself (the traffic ends at the deadline; the server is stopped and the database
dropped), and contacts 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import secrets
import statistics
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from tests.reliability.server import ServerProcess, hashstop, platform_key, server_env

from benchmarks.api import admin_connection, bulk_load, random_pdq, stored_codes

HERE = Path(__file__).resolve().parent
EXPECTED = {
    "match": 200,
    "match-batch": 200,
    "submit": 201,
    "add": 200,
    "withdraw": 200,
    "feedback": 201,
    "hashlist": 200,
}
# Relative weights of the operations in the mix.
MIX = {
    "match": 50,
    "match-batch": 5,
    "submit": 10,
    "add": 6,
    "withdraw": 4,
    "feedback": 10,
    "hashlist": 15,
}


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter[str] = field(default_factory=Counter)
    transport_errors: int = 0


class Soak:
    def __init__(self, base: str, key: str, stored: np.ndarray, seed: int) -> None:
        self.base = base
        self.platform = {"Authorization": f"Bearer {key}"}
        self.stored = stored
        self.rng = random.Random(seed)
        self.cases: list[dict[str, str]] = []
        self.match_ids: list[str] = []
        self.hashlist_after = 0
        self.stats = Stats()

    def pdq(self) -> str:
        return self.rng.randbytes(32).hex()

    def stored_near(self) -> str:
        """A stored hash with 0-8 bits flipped: it matches."""
        code = bytearray(self.stored[self.rng.randrange(len(self.stored))].tobytes())
        for bit in self.rng.sample(range(256), self.rng.randint(0, 8)):
            code[bit // 8] ^= 1 << (bit % 8)
        return bytes(code).hex()

    def entries(self, n: int) -> list[dict[str, Any]]:
        return [{"algorithm": "pdq", "value": self.pdq(), "quality": 100} for _ in range(n)]

    async def one(self, client: httpx.AsyncClient, op: str) -> None:
        if op == "match":
            value = self.stored_near() if self.rng.random() < 0.05 else self.pdq()
            body = {"items": [{"ref": "u", "hashes": [{"algorithm": "pdq", "value": value}]}]}
            r = await client.post("/v1/match", json=body, headers=self.platform)
        elif op == "match-batch":
            values = [self.stored_near()] + [self.pdq() for _ in range(99)]
            items = [
                {"ref": f"b{i}", "hashes": [{"algorithm": "pdq", "value": v}]}
                for i, v in enumerate(values)
            ]
            r = await client.post("/v1/match", json={"items": items}, headers=self.platform)
        elif op == "submit" or (op in ("add", "withdraw") and not self.cases):
            op = "submit"
            r = await client.post("/v1/cases", json={"hashes": self.entries(5)})
            if r.status_code == 201:
                self.cases.append({"id": r.json()["case_id"], "secret": r.json()["secret"]})
        elif op == "add":
            case = self.rng.choice(self.cases)
            r = await client.post(
                f"/v1/cases/{case['id']}/hashes",
                json={"hashes": self.entries(3)},
                headers={"Authorization": f"Bearer {case['secret']}"},
            )
            if r.status_code == 409:  # withdrawn meanwhile by another task: not an error
                return
        elif op == "withdraw":
            case = self.cases.pop(self.rng.randrange(len(self.cases)))
            r = await client.delete(
                f"/v1/cases/{case['id']}", headers={"Authorization": f"Bearer {case['secret']}"}
            )
        elif op == "feedback":
            if not self.match_ids:
                return
            match_id = self.match_ids.pop()
            verdict = self.rng.choice(["confirmed", "confirmed", "false_positive"])
            r = await client.post(
                f"/v1/matches/{match_id}/feedback",
                json={"verdict": verdict, "action": "blocked"},
                headers=self.platform,
            )
        else:
            after = self.hashlist_after
            r = await client.get(
                "/v1/hashlist", params={"after": after, "limit": 1000}, headers=self.platform
            )
            if r.status_code == 200:
                body = r.json()
                self.hashlist_after = body["next"] if body["entries"] else 0
        if r.status_code != EXPECTED[op]:
            self.stats.errors[f"{op} {r.status_code}"] += 1
        elif op.startswith("match"):
            for result in r.json()["results"]:
                if result["matched"] and len(self.match_ids) < 10_000:
                    self.match_ids.append(result["match_id"])

    async def run(self, seconds: float, concurrency: int) -> None:
        deadline = time.perf_counter() + seconds
        ops, weights = list(MIX), list(MIX.values())
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        async with httpx.AsyncClient(base_url=self.base, limits=limits, timeout=60) as client:

            async def worker() -> None:
                while time.perf_counter() < deadline:
                    op = self.rng.choices(ops, weights)[0]
                    started = time.perf_counter()
                    try:
                        await self.one(client, op)
                    except httpx.TransportError:
                        self.stats.transport_errors += 1
                        continue
                    self.stats.latencies[op].append(time.perf_counter() - started)

            await asyncio.gather(*(worker() for _ in range(concurrency)))


class MemorySampler:
    """(seconds, pid, VmRSS in MB) of each worker every `every` seconds, in a thread."""

    def __init__(self, server: ServerProcess, every: float) -> None:
        self.server = server
        self.every = every
        self.samples: list[dict[str, Any]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._started = time.monotonic()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stop.is_set():
            for pid in self.server.worker_pids():
                try:
                    status = Path(f"/proc/{pid}/status").read_text()
                except OSError:
                    continue
                rss_kb = next(
                    int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS")
                )
                t = round(time.monotonic() - self._started, 1)
                self.samples.append({"t": t, "pid": pid, "rss_mb": rss_kb / 1024})
            self._stop.wait(self.every)


def memory_report(samples: list[dict[str, Any]], warm: float) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for pid in sorted({s["pid"] for s in samples}):
        mine = [s for s in samples if s["pid"] == pid]
        after_warm = [s for s in mine if s["t"] >= warm] or mine
        first, last = after_warm[0], mine[-1]
        out[str(pid)] = {
            "start_mb": round(mine[0]["rss_mb"], 1),
            "at_warm_mb": round(first["rss_mb"], 1),
            "end_mb": round(last["rss_mb"], 1),
            "max_after_warm_mb": round(max(s["rss_mb"] for s in after_warm), 1),
            "growth_mb": round(last["rss_mb"] - first["rss_mb"], 1),
            "growth_pct": round(100 * (last["rss_mb"] - first["rss_mb"]) / first["rss_mb"], 2),
        }
    return out


def percentiles(values: list[float]) -> dict[str, float]:
    values = sorted(values)
    return {
        "requests": len(values),
        "p50_ms": round(1000 * statistics.median(values), 2) if values else float("nan"),
        "p99_ms": round(1000 * values[int(0.99 * (len(values) - 1))], 2)
        if values
        else float("nan"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--n", type=int, default=1_000_000, help="PDQ hashes to bulk-load")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--sample-every", type=float, default=5.0, help="seconds")
    parser.add_argument("--warm-minutes", type=float, default=2.0)
    args = parser.parse_args()
    if not 0 < args.minutes <= 24 * 60:
        parser.error("--minutes must be between 0 and 1440")

    admin, user = admin_connection()
    name = f"hashstop_soak_{secrets.token_hex(4)}"
    admin.execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql+psycopg://{user}@127.0.0.1:5432/{name}"
    results: dict[str, Any] = {"argv": vars(args)}
    server: ServerProcess | None = None
    with tempfile.TemporaryDirectory(prefix="hashstop-soak-") as tmp:
        try:
            env = server_env(url)
            hashstop(env, "db", "upgrade")
            codes = stored_codes(args.n, 1, clustered=False)
            loaded = bulk_load(f"postgresql://{user}@127.0.0.1:5432/{name}", codes)
            print(f"loaded {args.n} PDQ hashes in {loaded:.1f} s", flush=True)
            key = platform_key(env, "soak", "soak")
            server = ServerProcess(env, args.workers, Path(tmp) / "server.log", Path(tmp))
            server.start()
            results["ready_s"] = round(server.wait_ready(timeout=600), 1)
            print(f"ready after {results['ready_s']} s", flush=True)
            stored = random_pdq(np.random.default_rng(1), args.n)  # the loader's values
            sampler = MemorySampler(server, args.sample_every)
            sampler.start()
            soak = Soak(server.base, key, stored, seed=7)
            started = time.perf_counter()
            asyncio.run(soak.run(args.minutes * 60, args.concurrency))
            elapsed = time.perf_counter() - started
            sampler.stop()
            results["seconds"] = round(elapsed, 1)
            results["operations"] = {
                op: percentiles(soak.stats.latencies[op])
                for op in MIX
                if op in soak.stats.latencies
            }
            results["requests"] = sum(len(v) for v in soak.stats.latencies.values())
            results["requests_per_second"] = round(results["requests"] / elapsed, 1)
            results["errors"] = dict(soak.stats.errors)
            results["transport_errors"] = soak.stats.transport_errors
            results["memory"] = memory_report(sampler.samples, args.warm_minutes * 60)
            results["memory_samples"] = sampler.samples
            results["server_log_tail"] = server.log_text()[-4000:]
        finally:
            if server is not None:
                server.stop()
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    shown = {k: v for k, v in results.items() if k not in ("memory_samples", "server_log_tail")}
    print(json.dumps(shown, indent=2))
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    path = out / f"soak-{datetime.now(UTC):%Y%m%d-%H%M%S}.json"
    path.write_text(json.dumps(results, indent=2))
    print(f"results written to {path}")


if __name__ == "__main__":
    main()
