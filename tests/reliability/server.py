"""A real `hashstop serve` process for the reliability tests and scripts: start, kill, restart.

The server runs in its own process group, so SIGKILL reaches the uvicorn supervisor and every
worker at once, like a machine losing power under the service (the database files and server
stay). It listens on 127.0.0.1 only. Its output goes to a log file the caller can read.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

HASHSTOP = str(Path(sys.executable).parent / "hashstop")
TEST_SECRET_KEY = "reliability-only-Tg5Hn8Qw2Zk7Cx4Vb9Mr3Pj6Ld1Fs0Ye"
# /metrics and the detailed /readyz (worker, index sizes) are for the operator only (issue 12).
OPERATIONS_TOKEN = "reliability-ops-Nc5Ry8Tk2Wm7Qz4Hx9Lb3Vf6Jp1Gd0Sa"
OPERATOR = {"Authorization": f"Bearer {OPERATIONS_TOKEN}", "Connection": "close"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_env(database_url: str, **extra: str) -> dict[str, str]:
    """The environment of a server on `database_url`, with limits out of a load test's way."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HASHSTOP_")}
    env |= {
        "HASHSTOP_DATABASE_URL": database_url,
        "HASHSTOP_SECRET_KEY": TEST_SECRET_KEY,
        "HASHSTOP_OPERATIONS_TOKEN": OPERATIONS_TOKEN,
        "HASHSTOP_LOG_LEVEL": "WARNING",
        "HASHSTOP_CASE_CREATIONS_PER_HOUR": "100000000",
        "HASHSTOP_HASHES_PER_ADDRESS_PER_HOUR": "1000000000",
        "HASHSTOP_HASHES_PER_HOUR": "1000000000",
        "HASHSTOP_HASHLIST_BATCH_CASES": "1",
        "HASHSTOP_HASHLIST_BATCH_MIN_SECONDS": "0",
        "HASHSTOP_MATCH_REQUESTS_PER_SECOND": "1000000",
        "HASHSTOP_MATCH_BURST": "1000000",
    }
    return env | extra


def hashstop(env: dict[str, str], *args: str, cwd: Path | None = None) -> str:
    """Run a `hashstop` command (db upgrade, keys create ...); its stdout."""
    done = subprocess.run(
        [HASHSTOP, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=120
    )
    if done.returncode != 0:
        raise RuntimeError(f"hashstop {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout


def platform_key(env: dict[str, str], name: str, platform: str, cwd: Path | None = None) -> str:
    """Create a platform key with `hashstop keys create`; its token."""
    created = hashstop(
        env, "keys", "create", "--role", "platform", "--name", name, "--platform", platform,
        "--json", cwd=cwd,
    )  # fmt: skip
    token: str = json.loads(created)["key"]
    return token


class ServerProcess:
    """`hashstop serve --workers N` on a free loopback port."""

    def __init__(
        self,
        env: dict[str, str],
        workers: int,
        log_path: Path,
        cwd: Path,
        extra_args: tuple[str, ...] = (),
    ) -> None:
        self.env = env
        self.extra_args = extra_args
        self.workers = workers
        self.log_path = log_path
        self.cwd = cwd
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                [
                    HASHSTOP,
                    "serve",
                    "--port",
                    str(self.port),
                    "--workers",
                    str(self.workers),
                    *self.extra_args,
                ],
                env=self.env,
                cwd=self.cwd,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_ready(self, timeout: float = 120.0) -> float:
        """Seconds until every worker (told apart by pid) has answered /readyz 200."""
        started = time.monotonic()
        ready: set[int] = set()
        with httpx.Client(timeout=5) as client:
            while time.monotonic() - started < timeout:
                if self.proc is None or self.proc.poll() is not None:
                    raise RuntimeError(f"the server exited; see {self.log_path}")
                try:
                    r = client.get(f"{self.base}/readyz", headers=OPERATOR)
                    if r.status_code == 200:
                        ready.add(r.json()["worker"])
                        if len(ready) >= self.workers:
                            return time.monotonic() - started
                except httpx.TransportError:
                    pass
                time.sleep(0.05)
        raise RuntimeError(f"{len(ready)} of {self.workers} workers ready after {timeout} s")

    def kill(self) -> None:
        """SIGKILL the supervisor and every worker at once; wait until they are gone."""
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(timeout=30)
        self._wait_group_gone()
        self.proc = None

    def stop(self) -> None:
        """A clean shutdown (SIGTERM), then SIGKILL whatever is left after 20 s."""
        if self.proc is None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            pass
        self.kill()

    def _wait_group_gone(self, timeout: float = 10.0) -> None:
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                os.killpg(self.proc.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)

    def worker_pids(self) -> list[int]:
        """The worker processes (children of the supervisor), or the server itself alone."""
        if self.proc is None:
            return []
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        try:
            pids = [int(p) for p in children.read_text().split()]
        except OSError:
            return []
        # uvicorn's supervisor also starts a resource tracker for multiprocessing; keep only
        # processes that run hashstop (their command line names the factory or serve).
        workers = []
        for pid in pids:
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            if b"resource_tracker" not in cmdline:
                workers.append(pid)
        return workers if self.workers > 1 else [self.proc.pid]

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""
