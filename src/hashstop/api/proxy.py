"""The client's address behind a reverse proxy: uvicorn's own X-Forwarded-For handling, inside
the app, with non-IP values ignored (issue 12, attack 4).

`hashstop serve` no longer lets uvicorn rewrite the client address itself; the app installs
uvicorn's `ProxyHeadersMiddleware` with `HASHSTOP_FORWARDED_ALLOW_IPS` (addresses or networks
in CIDR form) as the trusted proxies. For a request from a trusted proxy, uvicorn walks
X-Forwarded-For from the right and takes the first address that is not a trusted proxy: with
nginx's `$proxy_add_x_forwarded_for`, which appends the address nginx itself saw, that is the
real client, whatever the client put in the header. (With `*` every entry is trusted and
uvicorn takes the leftmost, which the client wrote: that is why `*` must never be used behind a
proxy that appends.) What uvicorn finds is kept only when it is an IP address; anything else
(`unknown`, a name, garbage) is ignored and the request keeps the address of the proxy that
sent it, so a made-up value cannot open a fresh rate-limit budget.
"""

from __future__ import annotations

import ipaddress

from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

_PEER = "hashstop.peer"


def is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


class TrustedProxies:
    """uvicorn's proxy-header handling for `trusted` proxies, keeping only IP client values."""

    def __init__(self, app: ASGIApp, trusted: str) -> None:
        self.app = app
        self.proxies = ProxyHeadersMiddleware(self._checked, trusted_hosts=trusted)  # type: ignore[arg-type]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        scope[_PEER] = scope.get("client")
        await self.proxies(scope, receive, send)  # type: ignore[arg-type]

    async def _checked(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client")
        if client is not None and client != scope.get(_PEER) and not is_ip(str(client[0])):
            scope["client"] = scope.get(_PEER)
        await self.app(scope, receive, send)
