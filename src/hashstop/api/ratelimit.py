"""Token-bucket rate limits kept in memory, per worker process.

Each worker counts on its own, so with N workers a client can get up to N times the rate; that
is a deliberate trade for a match path that never waits on shared state. The limits are there
to stop floods (case creation from one address, a runaway platform client), not for billing.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict

from hashstop.service.errors import RateLimited

MAX_TRACKED = 100_000


class RateLimiter:
    """`rate` tokens per second refilled, up to `burst`; one token per call."""

    def __init__(self, rate: float, burst: float, what: str) -> None:
        self.rate = rate
        self.burst = burst
        self.what = what
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, who: str, cost: float = 1.0) -> None:
        """Spend `cost` tokens of `who`, or raise RateLimited with the seconds to wait."""
        now = time.monotonic()
        with self._lock:
            tokens, stamp = self._buckets.pop(who, (self.burst, now))
            tokens = min(self.burst, tokens + (now - stamp) * self.rate)
            if tokens < cost:
                self._buckets[who] = (tokens, now)
                wait = max(1, math.ceil((cost - tokens) / self.rate))
                raise RateLimited(f"too many {self.what}; retry in {wait} s", retry_after=wait)
            self._buckets[who] = (tokens - cost, now)
            while len(self._buckets) > MAX_TRACKED:
                self._buckets.popitem(last=False)
