"""Attacks 8-11 of issue 12 replayed at scale; prints what each attacker achieved.

    .venv/bin/python -m benchmarks.abuse_server                 # all four, SQLite
    .venv/bin/python -m benchmarks.abuse_server --only 9 --connections 2000

- 8 (crafted input): every boundary value of `tests/api/boundaries.py` on every parameter of
  every operation as every role, `--rounds` times; achieved = answers that were 5xx.
- 9 (slow connections): a real `hashstop serve` under RLIMIT_NOFILE 512 and `--connections`
  half-sent connections; achieved = `/healthz` requests (of 20) that failed.
- 10 (weak keys): a list of weak keys tried as HASHSTOP_SECRET_KEY and as the key file;
  achieved = keys the service accepted.
- 11 (erasure): `--cases` cases opened, matched and withdrawn on a SQLite file; achieved =
  withdrawn values still found in `hashstop.db`, `-wal` or `-shm`.

One JSON line per attack. Each scenario is a function (`attack_8` ... `attack_11`) returning
that line, so another replay can run them too.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from tests import sample_hashes
from tests.service_fixtures import bearer, make_settings, running_client, wait_ready

from hashstop.app import create_app
from hashstop.config import Settings, SettingsError
from hashstop.storage.database import upgrade

HASHSTOP = str(Path(sys.executable).parent / "hashstop")
WEAK_KEYS = (
    "",
    " ",
    "changeme",
    "secret-key",
    "short-but-random-9f8e",
    "a" * 64,
    "changeme" * 5,
    "0123456789abcdef" * 3,
    "abcdefghijklmnopqrstuvwxyz0123456789",
    "test-only-" + "k" * 40,
)


def attack_8(rounds: int) -> dict[str, Any]:
    from tests.api.fuzzing import MEANT_FOR, ROLES, seed_world
    from tests.api.test_boundaries_api import _requests

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'hashstop.db'}"
        upgrade(url)
        settings = make_settings(url, log_level="WARNING")
        sent = errors = 0
        with running_client(create_app(settings)) as client:
            wait_ready(client)
            world = seed_world(settings, client)
            schema = client.get("/openapi.json").json()
            for _ in range(rounds):
                for path, item in schema["paths"].items():
                    for method, operation in item.items():
                        if method == "delete":
                            continue
                        meant = {r for t in operation.get("tags", []) for r in MEANT_FOR.get(t, ())}
                        for role in ROLES:
                            if role not in meant:
                                continue
                            for url_, query, body in _requests(operation, path, world):
                                response = client.request(
                                    method.upper(),
                                    url_,
                                    params=query,
                                    json=body if method != "get" else None,
                                    headers=world.headers(role),
                                )
                                sent += 1
                                errors += response.status_code >= 500
    return {"attack": 8, "requests": sent, "achieved_5xx": errors}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def attack_9(connections: int) -> dict[str, Any]:
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (512, 512))

    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith("HASHSTOP_")} | {
            "HASHSTOP_DATABASE_URL": f"sqlite:///{Path(tmp) / 'hashstop.db'}"
        }
        port = _free_port()
        server = subprocess.Popen(  # noqa: S603 - this environment's own command
            [HASHSTOP, "serve", "--port", str(port)],
            env=env,
            cwd=tmp,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=limit,  # noqa: PLW1509 - the attack needs the server's limit
        )
        base = f"http://127.0.0.1:{port}"
        opened: list[socket.socket] = []
        failed = 0
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise SystemExit("the server did not become ready")
                time.sleep(0.2)
            for _ in range(connections):
                try:
                    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
                    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-a: ")
                    opened.append(sock)
                except OSError:
                    pass
            for _ in range(20):
                try:
                    failed += httpx.get(f"{base}/healthz", timeout=5).status_code != 200
                except httpx.TransportError:
                    failed += 1
        finally:
            for sock in opened:
                sock.close()
            server.terminate()
            server.wait(timeout=30)
    return {"attack": 9, "half_sent_connections": connections, "achieved_healthz_failed": failed}


def attack_10() -> dict[str, Any]:
    accepted = 0
    with tempfile.TemporaryDirectory() as tmp:
        for i, key in enumerate(WEAK_KEYS):
            for url in ("postgresql+psycopg://u@127.0.0.1/db", f"sqlite:///{tmp}/e{i}.db"):
                try:
                    Settings(database_url=url, secret_key=key)
                    accepted += 1
                except ValueError:
                    pass
            key_file = Path(tmp) / f"f{i}.db.secret-key"
            key_file.write_text(key)
            try:
                _ = Settings(database_url=f"sqlite:///{tmp}/f{i}.db").secret_key_bytes
                accepted += 1
            except SettingsError:
                pass
    return {"attack": 10, "weak_keys_tried": 3 * len(WEAK_KEYS), "achieved_accepted": accepted}


def attack_11(cases: int) -> dict[str, Any]:
    from tests.storage.test_erasure_on_disk import _make_key

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "hashstop.db"
        url = f"sqlite:///{db}"
        upgrade(url)
        settings = make_settings(url, log_level="WARNING")
        values: list[bytes] = []
        with running_client(create_app(settings)) as client:
            wait_ready(client)
            platform = bearer(_make_key(settings))
            for seed in range(cases):
                value = sample_hashes.pdq(1000 + seed)
                entry = {"algorithm": "pdq", "value": value, "quality": 90, "photo": f"l{seed}"}
                case = client.post("/v1/cases", json={"hashes": [entry]}).json()
                query = {
                    "items": [{"ref": f"r{seed}", "hashes": [{"algorithm": "pdq", "value": value}]}]
                }
                client.post("/v1/match", json=query, headers=platform)
                client.delete(f"/v1/cases/{case['case_id']}", headers=bearer(case["secret"]))
                values.append(bytes.fromhex(value))
            data = b"".join(
                p.read_bytes()
                for p in (db, db.with_name("hashstop.db-wal"), db.with_name("hashstop.db-shm"))
                if p.exists()
            )
    found = sum(v in data for v in values)
    return {"attack": 11, "withdrawn_values": cases, "achieved_still_on_disk": found}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", type=int, choices=[8, 9, 10, 11], default=None)
    parser.add_argument("--rounds", type=int, default=1, help="attack 8: passes of the grid")
    parser.add_argument("--connections", type=int, default=600, help="attack 9")
    parser.add_argument("--cases", type=int, default=200, help="attack 11")
    args = parser.parse_args()
    runs = {
        8: lambda: attack_8(args.rounds),
        9: lambda: attack_9(args.connections),
        10: attack_10,
        11: lambda: attack_11(args.cases),
    }
    for number, run in runs.items():
        if args.only in (None, number):
            print(json.dumps(run()), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
