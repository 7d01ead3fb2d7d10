"""Stop PostgreSQL under a running service with traffic, start it again, and record what happened.

`run_outage` makes a private cluster (`private_postgres.py`), starts `hashstop serve --workers W`
on it, opens a few cases, and runs mixed traffic from several threads for the whole scenario:
matches of stored hashes and of unknown ones, case creation, case views, hash list pages. Then it
stops PostgreSQL (`pg_ctl stop -m immediate`), keeps the traffic going for `down_seconds`, starts
PostgreSQL again and measures how long the service takes to recover: every worker's /readyz 200
and a case creation answered 201. Finally every match answered while the database was away must
be readable as a match record (written on recovery), and a case opened after recovery must match
on every worker.

What is recorded, not judged: the caller (the test or `benchmarks/outage.py`) decides. Only
127.0.0.1 is contacted; every loop is bounded in time.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.reliability.private_postgres import PrivatePostgres
from tests.reliability.server import (
    OPERATOR,
    ServerProcess,
    hashstop,
    platform_key,
    server_env,
)


def pdq_value(rng: random.Random) -> str:
    return sum(1 << b for b in rng.sample(range(256), 128)).to_bytes(32, "big").hex()


@dataclass
class Answer:
    at: float
    op: str
    status: int
    problem: bool  # the body is application/problem+json
    retry_after: bool
    matched: bool | None = None
    match_id: str | None = None


@dataclass
class OutageReport:
    workers: int
    answers: list[Answer] = field(default_factory=list)
    stopped_at: float = 0.0
    started_at: float = 0.0
    red_after: dict[int, float] = field(default_factory=dict)  # worker -> s after the stop
    recovered_after: float | None = None  # s after the start: every /readyz 200 and a 201
    deferred_unreadable: list[str] = field(default_factory=list)
    deferred_checked: int = 0
    new_case_matches_everywhere: bool = False

    def during(self, start: float, end: float) -> list[Answer]:
        return [a for a in self.answers if start <= a.at < end]

    def faults(self) -> list[str]:
        """Every answer that breaks the rules (must be empty)."""
        bad = []
        for a in self.answers:
            if a.status == 0:
                bad.append(f"{a.op}: transport error (connection cut or timed out)")
            elif a.status >= 500 and a.status != 503:
                bad.append(f"{a.op}: {a.status}")
            elif a.status == 503 and not (a.problem and a.retry_after):
                bad.append(f"{a.op}: 503 without problem+json and Retry-After")
            elif a.op == "match-known" and a.status == 200 and not a.matched:
                bad.append("match-known: a stored hash did not match")
            elif a.op == "match-known" and a.status != 200:
                bad.append(f"match-known: {a.status} (matching must go on from memory)")
            elif a.op == "match-unknown" and (a.status != 200 or a.matched):
                bad.append(f"match-unknown: {a.status} matched={a.matched}")
            elif a.status not in (200, 201, 503):
                bad.append(f"{a.op}: {a.status}")
        return bad

    def summary(self) -> dict[str, Any]:
        down = self.during(self.stopped_at, self.started_at)
        return {
            "workers": self.workers,
            "requests": len(self.answers),
            "down_seconds": round(self.started_at - self.stopped_at, 2),
            "while_down": {
                f"{op} {status}": n
                for (op, status), n in sorted(Counter((a.op, a.status) for a in down).items())
            },
            "faults": Counter(self.faults()).most_common(10),
            "readyz_red_after_s": {str(k): round(v, 2) for k, v in self.red_after.items()},
            "recovered_after_s": None
            if self.recovered_after is None
            else round(self.recovered_after, 2),
            "matches_answered_while_down": self.deferred_checked,
            "of_them_unreadable_after_recovery": len(self.deferred_unreadable),
            "new_case_matches_on_every_worker": self.new_case_matches_everywhere,
        }

    def json(self) -> str:
        return json.dumps(self.summary())


class Traffic:
    """Mixed requests from `threads` threads until stopped; every answer recorded."""

    def __init__(self, base: str, key: str, known: list[str], case: dict[str, str]) -> None:
        self.base = base
        self.platform = {"Authorization": f"Bearer {key}"}
        self.known = known
        self.case = case
        self.answers: list[Answer] = []
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self, threads: int = 4) -> None:
        for n in range(threads):
            t = threading.Thread(target=self._run, args=(n,), daemon=True)
            t.start()
            self._threads.append(t)

    def stop(self) -> list[Answer]:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=60)
        return self.answers

    def _run(self, n: int) -> None:
        rng = random.Random(n)
        ops = ["match-known", "match-unknown", "open-case", "case-view", "hashlist"]
        with httpx.Client(base_url=self.base, timeout=20) as client:
            i = 0
            while not self._stop.is_set():
                op = ops[i % len(ops)] if n % 2 else ops[i % 2]  # even threads: matches only
                i += 1
                try:
                    self.answers.append(self._one(client, op, rng))
                except httpx.TransportError:
                    # Counted, not dropped: a connection cut or a timeout is a fault (status 0).
                    self.answers.append(Answer(time.monotonic(), op, 0, False, False))
                time.sleep(0.005)

    def _one(self, client: httpx.Client, op: str, rng: random.Random) -> Answer:
        if op.startswith("match"):
            value = rng.choice(self.known) if op == "match-known" else pdq_value(rng)
            body = {"items": [{"ref": "r", "hashes": [{"algorithm": "pdq", "value": value}]}]}
            r = client.post("/v1/match", json=body, headers=self.platform)
        elif op == "open-case":
            entry = {"algorithm": "pdq", "value": pdq_value(rng), "quality": 100}
            r = client.post("/v1/cases", json={"hashes": [entry]})
        elif op == "case-view":
            r = client.get(
                f"/v1/cases/{self.case['case_id']}",
                headers={"Authorization": f"Bearer {self.case['secret']}"},
            )
        else:
            r = client.get("/v1/hashlist", params={"after": 0, "limit": 50}, headers=self.platform)
        answer = Answer(
            at=time.monotonic(),
            op=op,
            status=r.status_code,
            problem=r.headers.get("content-type", "").startswith("application/problem+json"),
            retry_after="retry-after" in r.headers,
        )
        if op.startswith("match") and r.status_code == 200:
            result = r.json()["results"][0]
            answer.matched = bool(result["matched"])
            answer.match_id = result.get("match_id")
        return answer


def _until_every_worker_holds(client: httpx.Client, workers: int, hashes: int) -> None:
    """Poll /readyz until `workers` distinct workers are ready with >= `hashes` in their index."""
    deadline = time.monotonic() + 30
    holding: set[int] = set()
    while len(holding) < workers:
        assert time.monotonic() < deadline, f"only workers {holding} hold the case"
        r = client.get("/readyz", headers={"Connection": "close"})
        if r.status_code == 200 and sum(r.json()["index"].values()) >= hashes:
            holding.add(int(r.json()["worker"]))
        time.sleep(0.02)


def _until_every_op_answered(traffic: Traffic) -> None:
    """Until the traffic has had an answer of every kind of request (the service is warm)."""
    deadline = time.monotonic() + 30
    ops = {"match-known", "match-unknown", "open-case", "case-view", "hashlist"}
    while {a.op for a in list(traffic.answers) if a.status} < ops:
        assert time.monotonic() < deadline, "the traffic did not get going"
        time.sleep(0.02)


def _readyz_by_worker(client: httpx.Client) -> tuple[int, int]:
    r = client.get("/readyz", headers=OPERATOR)
    return int(r.json()["worker"]), r.status_code


def run_outage(workdir: Path, *, workers: int = 2, down_seconds: float = 4.0) -> OutageReport:
    report = OutageReport(workers=workers)
    pg = PrivatePostgres()
    server: ServerProcess | None = None
    traffic: Traffic | None = None
    try:
        pg.start()
        url = pg.create_database("hashstop")
        env = server_env(url)
        hashstop(env, "db", "upgrade", cwd=workdir)
        key = platform_key(env, "outage", "outage", cwd=workdir)
        server = ServerProcess(env, workers, workdir / "server.log", workdir)
        server.start()
        server.wait_ready()
        rng = random.Random(5)
        known = [pdq_value(rng) for _ in range(20)]
        with httpx.Client(base_url=server.base, timeout=20) as client:
            entries = [{"algorithm": "pdq", "value": v, "quality": 100} for v in known]
            case = client.post("/v1/cases", json={"hashes": entries}).json()
            _until_every_worker_holds(client, workers, len(known))
            traffic = Traffic(server.base, key, known, case)
            traffic.start()
            _until_every_op_answered(traffic)

            pg.stop()
            report.stopped_at = time.monotonic()
            red: dict[int, float] = {}
            while time.monotonic() - report.stopped_at < down_seconds:
                worker, status = _readyz_by_worker(client)
                if status == 503 and worker not in red:
                    red[worker] = time.monotonic() - report.stopped_at
                time.sleep(0.05)
            report.red_after = red

            pg.start()
            report.started_at = time.monotonic()
            report.recovered_after = _wait_recovered(client, workers, report.started_at)
            time.sleep(0.5)
            report.answers = traffic.stop()
            traffic = None
            report.new_case_matches_everywhere = _new_case_matches(client, key, workers)
            _check_deferred(client, key, report)
    finally:
        if traffic is not None:
            traffic.stop()
        if server is not None:
            server.stop()
        pg.destroy()
    return report


def _wait_recovered(client: httpx.Client, workers: int, since: float) -> float | None:
    """Seconds after `since` until every worker is ready and a case can be opened."""
    deadline = since + 60
    ready: set[int] = set()
    while time.monotonic() < deadline:
        try:
            worker, status = _readyz_by_worker(client)
            ready = ready | {worker} if status == 200 else ready - {worker}
            if len(ready) >= workers:
                entry = {"algorithm": "pdq", "value": pdq_value(random.Random()), "quality": 100}
                if client.post("/v1/cases", json={"hashes": [entry]}).status_code == 201:
                    return time.monotonic() - since
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    return None


def _new_case_matches(client: httpx.Client, key: str, workers: int) -> bool:
    value = pdq_value(random.Random(99))
    opened = client.post(
        "/v1/cases", json={"hashes": [{"algorithm": "pdq", "value": value, "quality": 100}]}
    )
    if opened.status_code != 201:
        return False
    body = {"items": [{"ref": "n", "hashes": [{"algorithm": "pdq", "value": value}]}]}
    headers = {"Authorization": f"Bearer {key}", "Connection": "close"}
    deadline, streak = time.monotonic() + 10, 0
    while streak < 8 * workers and time.monotonic() < deadline:
        r = client.post("/v1/match", json=body, headers=headers)
        streak = streak + 1 if r.status_code == 200 and r.json()["results"][0]["matched"] else 0
    return streak >= 8 * workers


def _check_deferred(client: httpx.Client, key: str, report: OutageReport) -> None:
    """Every match answered while the database was away is a readable record afterwards."""
    down = report.during(report.stopped_at, report.started_at)
    ids = [a.match_id for a in down if a.match_id]
    report.deferred_checked = len(ids)
    headers = {"Authorization": f"Bearer {key}"}
    deadline = time.monotonic() + 15
    pending = list(ids)
    while pending and time.monotonic() < deadline:
        pending = [
            m for m in pending if client.get(f"/v1/matches/{m}", headers=headers).status_code != 200
        ]
        if pending:
            time.sleep(0.5)
    report.deferred_unreadable = pending
