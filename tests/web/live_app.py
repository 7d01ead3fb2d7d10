"""The real hashstop app served by uvicorn on a loopback port, for the browser tests.

Unlike `TestClient`, this is a real HTTP server (headers, cookies and the CSP as a browser gets
them). It listens on 127.0.0.1 on a port the OS picks, and stops when the block ends.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import uvicorn

from hashstop.app import create_app
from hashstop.config import Settings


@contextmanager
def live_app(settings: Settings, timeout: float = 20.0) -> Iterator[str]:
    """Serve a new app for `settings`; yield its base URL once /readyz says ready."""
    app = create_app(settings)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, log_config=None, access_log=False, timeout_graceful_shutdown=2)
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError("the live app did not become ready")
            time.sleep(0.05)
        yield base
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
