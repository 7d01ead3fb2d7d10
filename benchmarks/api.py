"""Load benchmark of the HTTP service on PostgreSQL, on loopback only.

    .venv/bin/python -m benchmarks.api --n 1000000 --workers 2
    .venv/bin/python -m benchmarks.api --n 1000000 --workers 2 --clustered   # photo variants
    .venv/bin/python -m benchmarks.api --n 1000000 --workers 2 --real   # + real PDQ hashes

1. Creates a throwaway PostgreSQL database (127.0.0.1:5432, user postgres or root), migrates it
   with Alembic and bulk-loads N PDQ hashes with COPY (cases, photos, hashes, change log).
2. Starts `hashstop serve --workers W` on a free loopback port and times start-up until every
   worker answers /readyz 200.
3. Single-item POST /v1/match from wrk (C connections, 2 threads, D seconds; an async httpx
   client with --httpx or without wrk, which measures the Python client as much as the
   server): requests/s, p50 and p99 latency, twice: with misses only (uniform random codes,
   nothing matches) and with hits only (near-duplicates planted within 1-20 bits of stored
   codes: each match is re-checked in the database and writes a match record).
4. Batched POST /v1/match (items of 1 hash, a share --hit-share of them planted hits): hashes/s.
4b. Uploads: one item of 16 PDQ hashes per request (an upload's query hashes): requests/s.
   The resident memory of the server's processes is printed after start-up.
4c. With --real P (P defaults to 200): the stored hashes begin with the real PDQ variants of P
   generated photo-like images (`photo_variants`, one photo row per image, hash ids 1..M; the
   hashes and queries of `benchmarks/index.py --real`, cached in benchmarks/.cache), padded to
   N with the synthetic codes. Before any other load, each re-post (an edited copy of a stored
   photo) and each unrelated generated photo is sent once, one item of its PDQ query hashes a
   request, one request at a time: uploads found (a hash of its photo answered) or matched
   (anything answered), true matches and false extras (hash ids a brute-force scan of the
   stored codes at distance 31 does not return), p50 latency. Then both kinds under load
   (step 3's generator, the same uploads over and over): requests/s, p50 and p99.
5. Withdrawal propagation: a case is opened through the API and matched; DELETE; then the time
   until matching stops (every worker) and until every worker's index has applied the change.
6. Stops the server and drops the database. Results are printed and written as JSON to
   benchmarks/results/api-<time>.json.

Every loop is bounded in time and count; only 127.0.0.1 is contacted. What it does not cover:
without --real, codes are synthetic; with --real, the real hashes are of generated images, not
photographs (those are in `benchmarks/false_matches.py` and `benchmarks/robustness.py`).
Targets (issue 4, on the 2-core machine): >= 1,000 single-item req/s, >= 50,000 hashes/s
batched, ready < 20 s, propagation < 2 s.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import numpy as np
import psycopg

if TYPE_CHECKING:
    from tests.hashing.real_codes import RealCodes

HERE = Path(__file__).resolve().parent
SECRET_KEY = "benchmark-only-Jf7Qm2Xv9Rt4Kp8Ls3Wd6Hy1Nb5Gc0Ze"  # noqa: S105 - throwaway
# /readyz's details (worker, applied seq) are for the operator only (issue 12).
OPERATIONS_TOKEN = "benchmark-ops-Wq4Lz8Rc1Vn6Tb3Xm9Pk2Hs7Jd5Fy0Ga"  # noqa: S105 - throwaway
OPERATOR = {"Authorization": f"Bearer {OPERATIONS_TOKEN}", "Connection": "close"}
HASHSTOP = str(Path(sys.executable).parent / "hashstop")


def admin_connection() -> tuple[psycopg.Connection, str]:
    for user in ("postgres", "root"):
        try:
            conn = psycopg.connect(
                host="127.0.0.1", user=user, dbname="postgres", autocommit=True, connect_timeout=3
            )
            return conn, user
        except psycopg.Error:
            continue
    raise SystemExit("benchmark needs PostgreSQL on 127.0.0.1:5432 (user postgres or root)")


def random_pdq(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.integers(0, 256, size=(n, 32), dtype=np.uint8)


def stored_codes(n: int, seed: int, clustered: bool, real: RealCodes | None = None) -> np.ndarray:
    """Uniform codes, or (--clustered) groups of photo variants as benchmarks/index.py makes;
    with `real`, its stored codes first (hash ids 1..M), padded to n with those."""
    rng = np.random.default_rng(seed)
    if not clustered:
        codes = random_pdq(rng, n)
    else:
        from benchmarks.index import clustered_codes, variant_profile

        codes = clustered_codes(n, variant_profile(12), rng)
    if real is None:
        return codes
    from benchmarks.index import padded

    return padded(real.stored, codes)


def real_photos(real: RealCodes | None, n: int) -> np.ndarray | None:
    """The photo of each stored code: a real photo's variants share one, a synthetic code has
    its own."""
    if real is None:
        return None
    m = len(real.stored)
    return np.concatenate([real.stored_photo, real.stored_photo.max() + 1 + np.arange(n - m)])


def within(codes: np.ndarray, queries: np.ndarray, r: int) -> set[int]:
    """Brute force: the hash ids (row + 1) of every stored code within r of any query."""
    words = codes.view("<u8")
    near: set[int] = set()
    for q in queries.view("<u8"):
        distance = np.bitwise_count(words ^ q).sum(axis=1)
        near.update((np.flatnonzero(distance <= r) + 1).tolist())
    return near


def real_pass(
    base: str, platform: dict[str, str], real: RealCodes, codes: np.ndarray
) -> dict[str, dict[str, float]]:
    """Each re-post and unrelated upload sent once (none sent before), one item of its PDQ
    query hashes a request, one request at a time; the hash ids answered against a brute-force
    scan of the stored codes at the service's threshold (31)."""
    bounds = np.flatnonzero(np.diff(real.query_upload, prepend=-1, append=-1))
    out: dict[str, dict[str, float]] = {}
    with httpx.Client(base_url=base, headers=platform, timeout=60) as client:
        for name, reposts in (("reposts", True), ("unrelated", False)):
            uploads = np.flatnonzero((real.upload_photo >= 0) == reposts).tolist()
            counts = dict.fromkeys(("found", "truth_found", "hits", "pairs", "wrong"), 0)
            latencies = []
            for u in uploads:
                queries = real.queries[int(bounds[u]) : int(bounds[u + 1])]
                hashes = [{"algorithm": "pdq", "value": q.tobytes().hex()} for q in queries]
                t = time.perf_counter()
                r = client.post("/v1/match", json={"items": [{"ref": f"r{u}", "hashes": hashes}]})
                latencies.append(time.perf_counter() - t)
                r.raise_for_status()
                got = {int(h["hash_id"]) for h in r.json()["results"][0]["matches"]}
                want = within(codes, queries, 31)
                counts["found"] += real.found(u, (i - 1 for i in got))  # hash id = row + 1
                counts["truth_found"] += real.found(u, (i - 1 for i in want))
                counts["hits"] += len(got & want)
                counts["pairs"] += len(want)
                counts["wrong"] += len(got - want)
            out[name] = {
                "uploads": len(uploads),
                **counts,
                "sequential_p50_ms": 1000 * statistics.median(latencies),
            }
    return out


def near_duplicates(stored: np.ndarray, seed: int, count: int) -> np.ndarray:
    """`count` codes within 1-20 bits of randomly chosen rows of `stored`."""
    rng = np.random.default_rng(seed)
    planted = stored[rng.integers(0, len(stored), count)].copy()
    for row in planted:
        for b in rng.choice(256, size=int(rng.integers(1, 21)), replace=False).tolist():
            row[b // 8] ^= np.uint8(1 << (b % 8))
    return planted


def workers_rss(server_pid: int) -> list[int]:
    """Resident bytes of every descendant process of the server (its workers), from /proc."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], list(children.get(server_pid, []))
    while todo:
        pid = todo.pop()
        todo += children.get(pid, [])
        try:
            pages = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
        except OSError:
            continue
        found.append(pages * os.sysconf("SC_PAGE_SIZE"))
    return found


def bulk_load(url_psycopg: str, codes: np.ndarray, photo_of: np.ndarray | None = None) -> float:
    """COPY the PDQ hashes into a migrated database: one photo each, or the photo (0-based)
    `photo_of` gives each; 10 photos per case."""
    n = len(codes)
    started = time.perf_counter()
    now = datetime.now(UTC).isoformat()
    per_case = 10
    photo_of = np.arange(n) if photo_of is None else photo_of
    photos = int(photo_of.max()) + 1
    cases = (photos + per_case - 1) // per_case
    with psycopg.connect(url_psycopg) as conn, conn.cursor() as cur:
        with cur.copy(
            "COPY cases (id, public_id, secret_hash, status, created_at) FROM STDIN"
        ) as cp:
            for c in range(1, cases + 1):
                cp.write_row((c, f"bench{c:09d}", b"\0" * 32, "active", now))
        with cur.copy("COPY photos (id, case_id, created_at) FROM STDIN") as cp:
            for i in range(1, photos + 1):
                cp.write_row((i, (i - 1) // per_case + 1, now))
        buf = io.StringIO()
        for i, photo in enumerate(photo_of.tolist()):
            case = photo // per_case + 1
            buf.write(
                f"{i + 1}\t{case}\t{photo + 1}\tpdq\t\\\\x{codes[i].tobytes().hex()}\t100\toriginal"
                f"\tactive\t{now}\t{now}\n"
            )
        buf.seek(0)
        with cur.copy(
            "COPY hashes (id, case_id, photo_id, algorithm, value, quality, variant, status, "
            "created_at, updated_at) FROM STDIN"
        ) as cp:
            while chunk := buf.read(1 << 20):
                cp.write(chunk)
        with cur.copy(
            "COPY hash_changes (seq, hash_id, algorithm, kind, created_at) FROM STDIN"
        ) as cp:
            for i in range(1, n + 1):
                cp.write_row((i, i, "pdq", "added", now))
        for table in ("cases", "photos", "hashes"):
            sequence = f"pg_get_serial_sequence('{table}', 'id')"
            cur.execute(f"SELECT setval({sequence}, (SELECT max(id) FROM {table}))")  # noqa: S608
        cur.execute("ANALYZE")
    return time.perf_counter() - started


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_all_ready(base: str, workers: int, timeout: float) -> float:
    """Seconds until every worker (by pid) has answered /readyz 200."""
    started = time.perf_counter()
    ready: set[int] = set()
    with httpx.Client(timeout=5) as client:
        while time.perf_counter() - started < timeout:
            try:
                r = client.get(f"{base}/readyz", headers=OPERATOR)
                if r.status_code == 200:
                    ready.add(r.json()["worker"])
                    if len(ready) >= workers:
                        return time.perf_counter() - started
            except httpx.TransportError:
                pass
            time.sleep(0.05)
    raise SystemExit(f"not ready within {timeout} s ({len(ready)} of {workers} workers)")


async def load(
    base: str, headers: dict[str, str], body_of, concurrency: int, seconds: float, max_requests: int
) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(
        base_url=base, headers=headers, limits=limits, timeout=60
    ) as client:

        async def worker(k: int) -> None:
            nonlocal errors
            i = k
            while time.perf_counter() < deadline and len(latencies) < max_requests:
                t = time.perf_counter()
                r = await client.post("/v1/match", json=body_of(i))
                if r.status_code != 200:
                    errors += 1
                latencies.append(time.perf_counter() - t)
                i += concurrency

        started = time.perf_counter()
        await asyncio.gather(*(worker(k) for k in range(concurrency)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "requests": len(latencies),
        "errors": errors,
        "seconds": elapsed,
        "requests_per_second": len(latencies) / elapsed,
        "p50_ms": 1000 * statistics.median(latencies) if latencies else float("nan"),
        "p99_ms": 1000 * latencies[int(0.99 * (len(latencies) - 1))] if latencies else float("nan"),
    }


WRK_SCRIPT = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer %(key)s"
local bodies = {}
for line in io.lines("%(bodies)s") do bodies[#bodies + 1] = line end
local i = 0
request = function()
  i = i + 1
  return wrk.format(nil, nil, nil, bodies[(i %% #bodies) + 1])
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT %%d %%d %%d %%d %%d %%d\\n", summary.requests,
    summary.duration, latency:percentile(50), latency:percentile(99),
    summary.errors.status + summary.errors.connect + summary.errors.read
    + summary.errors.write + summary.errors.timeout, summary.errors.status))
end
"""


def wrk_load(
    base: str, key: str, bodies: list[str], connections: int, seconds: float
) -> dict[str, float]:
    """Drive POST /v1/match with wrk (C, 2 threads); latencies as wrk reports them."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        body_file = Path(tmp) / "bodies.txt"
        body_file.write_text("\n".join(bodies) + "\n")
        script = Path(tmp) / "match.lua"
        script.write_text(WRK_SCRIPT % {"key": key, "bodies": body_file})
        out = subprocess.run(
            [
                "wrk",
                "-t2",
                f"-c{connections}",
                f"-d{int(seconds)}s",
                "--timeout",
                "30s",
                "-s",
                str(script),
                f"{base}/v1/match",
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=seconds + 60,
        ).stdout
    line = next(ln for ln in out.splitlines() if ln.startswith("RESULT "))
    requests, duration_us, p50_us, p99_us, errors, _ = (int(x) for x in line.split()[1:])
    return {
        "requests": requests,
        "errors": errors,
        "seconds": duration_us / 1e6,
        "requests_per_second": requests / (duration_us / 1e6),
        "p50_ms": p50_us / 1000,
        "p99_ms": p99_us / 1000,
    }


def propagation(base: str, platform: dict[str, str], workers: int) -> dict[str, float]:
    rng = np.random.default_rng(12345)
    bits = np.zeros(256, dtype=np.uint8)
    bits[rng.permutation(256)[:128]] = 1
    value = np.packbits(bits).tobytes().hex()
    query = {"items": [{"ref": "p", "hashes": [{"algorithm": "pdq", "value": value}]}]}
    with httpx.Client(base_url=base, timeout=30) as client:
        opened = client.post(
            "/v1/cases", json={"hashes": [{"algorithm": "pdq", "value": value, "quality": 100}]}
        ).json()
        # Wait until every worker matches it (consecutive answers over fresh connections).
        deadline = time.perf_counter() + 10
        streak = 0
        while streak < 8 * workers and time.perf_counter() < deadline:
            r = client.post("/v1/match", json=query, headers={**platform, "Connection": "close"})
            streak = streak + 1 if r.json()["results"][0]["matched"] else 0
        # every worker has the addition
        t0 = time.perf_counter()
        r = client.delete(
            f"/v1/cases/{opened['case_id']}",
            headers={"Authorization": f"Bearer {opened['secret']}"},
        )
        answered = time.perf_counter() - t0
        # Propagation: until consecutive answers over fresh connections (spread over every
        # worker) no longer match. Not the hash list's seq: since issue 12 the list is
        # published in batches with its own numbering, while each worker's index follows the
        # change log at once.
        stop_deadline = time.perf_counter() + 10
        streak = 0
        while streak < 8 * workers and time.perf_counter() < stop_deadline:
            r = client.post("/v1/match", json=query, headers={**platform, "Connection": "close"})
            streak = 0 if r.json()["results"][0]["matched"] else streak + 1
        index_applied = time.perf_counter() - t0
        # Then check that no worker matches it any more.
        still_matching = 0
        for _ in range(4 * workers):
            r = client.post("/v1/match", json=query, headers={**platform, "Connection": "close"})
            still_matching += bool(r.json()["results"][0]["matched"])
    return {
        "delete_answered_s": answered,
        "every_index_applied_s": index_applied,
        "matches_after_withdrawal": still_matching,
    }


def latencies(d: dict[str, float]) -> str:
    return (
        f"p50 {d['p50_ms']:.1f} ms, p99 {d['p99_ms']:.1f} ms "
        f"({d['requests']:.0f} requests, {d['errors']:.0f} errors)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="PDQ hashes to bulk-load")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=15.0, help="per load phase")
    parser.add_argument("--batch-items", type=int, default=1000)
    parser.add_argument("--hit-share", type=float, default=0.1, help="planted hits in batches")
    parser.add_argument("--batch-concurrency", type=int, default=2)
    parser.add_argument("--max-requests", type=int, default=200_000)
    parser.add_argument("--settle", type=float, default=2.0, help="seconds to wait after ready")
    parser.add_argument("--httpx", action="store_true", help="use httpx even if wrk is there")
    parser.add_argument("--clustered", action="store_true", help="codes grouped as photo variants")
    from benchmarks.index import add_real_argument

    add_real_argument(parser, "send re-posts and unrelated photos (benchmarks/index.py --real)")
    args = parser.parse_args()
    real = None
    if args.real:
        from benchmarks.index import cached_real_codes, load_real_codes, print_real

        real = load_real_codes(cached_real_codes(args.real))
        print_real(real, args.n)

    admin, user = admin_connection()
    name = f"hashstop_bench_{secrets.token_hex(4)}"
    admin.execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql+psycopg://{user}@127.0.0.1:5432/{name}"
    server: subprocess.Popen[str] | None = None
    results: dict[str, object] = {"n": args.n, "workers": args.workers, "argv": sys.argv[1:]}
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith("HASHSTOP_")} | {
            "HASHSTOP_DATABASE_URL": url,
            "HASHSTOP_SECRET_KEY": SECRET_KEY,
            "HASHSTOP_OPERATIONS_TOKEN": OPERATIONS_TOKEN,
            "HASHSTOP_LOG_LEVEL": "WARNING",
            "HASHSTOP_MATCH_REQUESTS_PER_SECOND": "1000000",
            "HASHSTOP_MATCH_BURST": "1000000",
            "HASHSTOP_HASHES_PER_ADDRESS_PER_HOUR": "1000000000",
            "HASHSTOP_HASHES_PER_HOUR": "1000000000",
            # The hash list publishes each change at once here, so that the propagation step
            # can name the withdrawal's seq (the service's own index never waits for a batch).
            "HASHSTOP_HASHLIST_BATCH_CASES": "1",
            "HASHSTOP_HASHLIST_BATCH_MIN_SECONDS": "0",
        }
        subprocess.run([HASHSTOP, "db", "upgrade"], env=env, check=True, capture_output=True)
        codes = stored_codes(args.n, 1, args.clustered, real)
        results["bulk_load_s"] = bulk_load(
            f"postgresql://{user}@127.0.0.1:5432/{name}", codes, real_photos(real, args.n)
        )
        hits = near_duplicates(codes, 2, 2000)
        print(f"loaded {args.n} PDQ hashes in {results['bulk_load_s']:.1f} s", flush=True)
        key = json.loads(
            subprocess.run(
                [
                    HASHSTOP,
                    "keys",
                    "create",
                    "--role",
                    "platform",
                    "--name",
                    "bench",
                    "--platform",
                    "bench",
                    "--json",
                ],
                env=env,
                check=True,
                capture_output=True,
                text=True,
            ).stdout
        )["key"]
        platform = {"Authorization": f"Bearer {key}"}

        port = free_port()
        base = f"http://127.0.0.1:{port}"
        started = time.perf_counter()
        server = subprocess.Popen(
            [HASHSTOP, "serve", "--port", str(port), "--workers", str(args.workers)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        wait_all_ready(base, args.workers, timeout=300)
        results["ready_s"] = time.perf_counter() - started
        print(f"ready (all {args.workers} workers) after {results['ready_s']:.1f} s", flush=True)

        misses = random_pdq(np.random.default_rng(7), 50_000)
        planted = int(round(args.hit_share * len(misses)))
        queries = misses.copy()
        spots = np.random.default_rng(8).choice(len(queries), size=planted, replace=False)
        queries[spots] = hits[np.arange(planted) % len(hits)]
        time.sleep(args.settle)
        rss = workers_rss(server.pid)
        results["workers_rss_mb"] = [r / 1e6 for r in rss]
        print(f"resident memory of the server's processes (MB): {results['workers_rss_mb']}")
        if real is not None:
            checked = real_pass(base, platform, real, codes)
            results["real"] = checked
            for kind, c in checked.items():
                print(
                    f"real {kind}, each sent once: {c['found']:.0f} of {c['uploads']:.0f} "
                    f"{'found' if kind == 'reposts' else 'matched'} (brute force: "
                    f"{c['truth_found']:.0f}), true matches {c['hits']:.0f} of {c['pairs']:.0f}, "
                    f"false extras {c['wrong']:.0f}, p50 {c['sequential_p50_ms']:.1f} ms "
                    "(one request at a time)",
                    flush=True,
                )
        del codes

        def upload(i: int) -> dict[str, object]:
            at = (16 * i) % (len(queries) - 16)
            hashes = [
                {"algorithm": "pdq", "value": q.tobytes().hex()} for q in queries[at : at + 16]
            ]
            return {"items": [{"ref": f"u{i}", "hashes": hashes}]}

        def single_from(codes: np.ndarray) -> Callable[[int], dict[str, object]]:
            def single(i: int) -> dict[str, object]:
                value = codes[i % len(codes)].tobytes().hex()
                item = {"ref": f"u{i}", "hashes": [{"algorithm": "pdq", "value": value}]}
                return {"items": [item]}

            return single

        def batch(i: int) -> dict[str, object]:
            start = (i * args.batch_items) % (len(queries) - args.batch_items)
            return {
                "items": [
                    {
                        "ref": f"b{j}",
                        "hashes": [{"algorithm": "pdq", "value": queries[j].tobytes().hex()}],
                    }
                    for j in range(start, start + args.batch_items)
                ]
            }

        def real_uploads(asked: list[np.ndarray]) -> Callable[[int], dict[str, object]]:
            def upload(i: int) -> dict[str, object]:
                values = asked[i % len(asked)]
                hashes = [{"algorithm": "pdq", "value": q.tobytes().hex()} for q in values]
                return {"items": [{"ref": f"r{i}", "hashes": hashes}]}

            return upload

        use_wrk = shutil.which("wrk") is not None and not args.httpx
        results["load_generator"] = "wrk" if use_wrk else "httpx"
        # Real uploads under load: re-posts (each a hit, re-checked and recorded) and unrelated
        # photos, sent over and over (the pass above sent each once, fresh).
        kinds = {"reposts": real.uploads(True), "unrelated": real.uploads(False)} if real else {}
        for kind, asked in kinds.items():
            body = real_uploads(asked)
            if use_wrk:
                bodies = [json.dumps(body(i)) for i in range(len(asked))]
                s = wrk_load(base, key, bodies, args.concurrency, args.seconds)
            else:
                s = asyncio.run(
                    load(base, platform, body, args.concurrency, args.seconds, args.max_requests)
                )
            results[f"real_{kind}_load"] = s
            rate = s["requests_per_second"]
            print(f"real {kind} uploads (each its PDQ query hashes): {rate:.0f} req/s, "
                  + latencies(s), flush=True)  # fmt: skip
        for kind, codes in (("misses", misses), ("hits", hits)):
            single = single_from(codes)
            if use_wrk:
                singles = [json.dumps(single(i)) for i in range(2000)]
                s = wrk_load(base, key, singles, args.concurrency, args.seconds)
            else:
                s = asyncio.run(
                    load(base, platform, single, args.concurrency, args.seconds, args.max_requests)
                )
            results["single" if kind == "misses" else "single_hits"] = s
            rate = s["requests_per_second"]
            print(f"single-item, {kind} only: {rate:.0f} req/s, " + latencies(s), flush=True)
        if use_wrk:
            batches = [json.dumps(batch(i)) for i in range(20)]
        if use_wrk:
            uploads = [json.dumps(upload(i)) for i in range(2000)]
            u = wrk_load(base, key, uploads, args.concurrency, args.seconds)
        else:
            u = asyncio.run(
                load(base, platform, upload, args.concurrency, args.seconds, args.max_requests)
            )
        results["upload16"] = u
        print(f"uploads of 16 hashes: {u['requests_per_second']:.0f} req/s, " + latencies(u))
        if use_wrk:
            b = wrk_load(base, key, batches, args.batch_concurrency, args.seconds)
        else:
            b = asyncio.run(
                load(base, platform, batch, args.batch_concurrency, args.seconds, args.max_requests)
            )
        b["hashes_per_second"] = b["requests_per_second"] * args.batch_items
        results["batch"] = b
        print(
            f"batched ({args.batch_items} items, {args.hit_share:.0%} planted hits): "
            f"{b['hashes_per_second']:.0f} hashes/s, " + latencies(b),
            flush=True,
        )
        spread = propagation(base, platform, args.workers)
        results["propagation"] = spread
        print("withdrawal: " + ", ".join(f"{k} {v:.3f}" for k, v in spread.items()), flush=True)
    finally:
        if server is not None:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    path = out / f"api-{datetime.now(UTC):%Y%m%d-%H%M%S}.json"
    path.write_text(json.dumps(results, indent=2))
    print(f"results written to {path}")


if __name__ == "__main__":
    main()
