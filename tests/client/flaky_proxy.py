"""A loopback HTTP proxy in front of the real service that fails on cue, and records requests.

Each fault is used once, by the first request whose method and path start match it:

- `fail:500` / `fail:503` ...: answer that status (problem+json) without forwarding;
- `after:500`: forward (so the service acts), then answer 500 as if the answer had been lost;
- `after:hang`: forward, then hold the connection without answering (the client times out);
- `retry-after:S:STATUS`: answer STATUS with `Retry-After: S`, without forwarding;
- `html`: answer 200 with an HTML page, as a captive portal would.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class FlakyProxy:
    upstream: str
    faults: list[tuple[str, str, str]] = field(default_factory=list)  # (method, path, fault)
    seen: list[Seen] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def fail(self, method: str, path: str, *faults: str) -> None:
        with self.lock:
            self.faults.extend((method, path, f) for f in faults)

    def requests(self, method: str, path: str) -> list[Seen]:
        with self.lock:
            return [s for s in self.seen if s.method == method and s.path.startswith(path)]

    def take_fault(self, method: str, path: str) -> str | None:
        with self.lock:
            for i, (m, p, fault) in enumerate(self.faults):
                if m == method and path.startswith(p):
                    del self.faults[i]
                    return fault
        return None


def _handler(proxy: FlakyProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _answer(self, status: int, body: bytes, headers: dict[str, str]) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _problem(self, status: int, extra: dict[str, str] | None = None) -> None:
            body = json.dumps({"status": status, "detail": f"injected failure {status}"}).encode()
            self._answer(
                status, body, {"Content-Type": "application/problem+json", **(extra or {})}
            )

        def _forward(self, body: bytes) -> httpx.Response:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host",)}
            return httpx.request(
                self.command, proxy.upstream + self.path, headers=headers, content=body, timeout=30
            )

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            with proxy.lock:
                proxy.seen.append(Seen(self.command, self.path, dict(self.headers.items()), body))
            fault = proxy.take_fault(self.command, self.path)
            if fault is not None and fault.startswith("fail:"):
                self._problem(int(fault.split(":")[1]))
                return
            if fault is not None and fault.startswith("retry-after:"):
                _, seconds, status = fault.split(":")
                self._problem(int(status), {"Retry-After": seconds})
                return
            if fault == "html":
                self._answer(
                    200, b"<html>Sign in to the Wi-Fi</html>", {"Content-Type": "text/html"}
                )
                return
            answer = self._forward(body)
            if fault == "after:500":
                self._problem(500)
                return
            if fault == "after:hang":
                time.sleep(3)
                self.close_connection = True
                return
            keep = ("content-type", "idempotent-replayed", "retry-after")
            headers = {k: v for k, v in answer.headers.items() if k.lower() in keep}
            self._answer(answer.status_code, answer.content, headers)

        do_GET = do_POST = do_DELETE = _handle

    return Handler


class RunningProxy:
    """Serve a FlakyProxy on a free loopback port in a daemon thread."""

    def __init__(self, upstream: str) -> None:
        self.proxy = FlakyProxy(upstream)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self.proxy))
        self.server.daemon_threads = True
        self.proxy.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FlakyProxy:
        self.thread.start()
        return self.proxy

    def __exit__(self, *_: object) -> None:
        self.server.shutdown()
        self.server.server_close()
