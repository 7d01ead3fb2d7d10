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
from collections.abc import Callable

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


HOUR = 3600.0


class WriteBudget:
    """The budgets for writing hashes (issue 12, attack 3), per worker.

    Each client address has one budget per hour shared by case creation and hash additions
    (`per_address` hashes; a request costs its hashes plus one, so a flood of empty or tiny
    requests is counted too), and all clients together have a ceiling (`ceiling` hashes per
    hour). The address is charged first, so requests it refuses never eat into the ceiling. When
    the ceiling is reached, `on_ceiling(refused_hashes)` is called at most once per hour (the
    audit entry) and every hit is counted (`hits`, a metric).
    """

    def __init__(
        self,
        per_address: int,
        ceiling: int,
        on_ceiling: Callable[[int], None],
        count_hit: Callable[[], None],
    ) -> None:
        self.addresses = RateLimiter(
            per_address / HOUR,
            per_address,
            f"hashes from this address (at most {per_address} an hour, new cases and "
            "additions together)",
        )
        self.everyone = RateLimiter(
            ceiling / HOUR,
            ceiling,
            "hashes submitted to this service by everyone this hour (its hourly ceiling)",
        )
        self.on_ceiling = on_ceiling
        self.count_hit = count_hit
        self._last_reported: float | None = None
        self._lock = threading.Lock()

    def spend(self, address: str, hashes: int) -> None:
        """Charge a request carrying `hashes` hashes from `address`, or raise RateLimited."""
        cost = float(hashes + 1)
        self.addresses.take(address, min(cost, self.addresses.burst))
        try:
            self.everyone.take("all", min(cost, self.everyone.burst))
        except RateLimited:
            self.count_hit()
            now = time.monotonic()
            with self._lock:
                report = self._last_reported is None or now - self._last_reported >= HOUR
                if report:
                    self._last_reported = now
            if report:
                self.on_ceiling(hashes)
            raise
