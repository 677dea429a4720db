"""When to try a request again and how long to wait first (full jitter, Retry-After, deadline).

The waiting itself happens on the injected Clock, so tests with ManualClock never sleep.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

import httpx


@dataclass(frozen=True)
class RetryPolicy:
    """Bounds for retrying idempotent requests: attempts, backoff base and cap (seconds)."""

    attempts: int = 6
    base: float = 0.5
    cap: float = 30.0
    max_retry_after: float = 120.0  # a Retry-After beyond this is treated as this

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Full jitter: uniform in [0, min(cap, base * 2**(attempt-1))], attempt ≥ 1."""
        ceiling = min(self.cap, self.base * (2 ** max(0, attempt - 1)))
        return rng.uniform(0.0, ceiling)

    def delay(self, attempt: int, rng: random.Random, retry_after: float | None) -> float:
        """The wait before the next attempt: the server's Retry-After when it gave one."""
        if retry_after is not None:
            return min(max(0.0, retry_after), self.max_retry_after)
        return self.backoff(attempt, rng)


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # RFC 9110 dates are GMT
        return None
    return max(0.0, when.timestamp() - now)


# httpx errors raised before the request left this machine: Zoho never saw it.
NOT_SENT: tuple[type[httpx.TransportError], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
)


def was_sent(exc: httpx.TransportError) -> bool:
    """False when the connection never opened, so even a POST may safely go again."""
    return not isinstance(exc, NOT_SENT)


def fits_deadline(now: float, wait: float, deadline: float | None) -> bool:
    """True when sleeping `wait` seconds from `now` does not pass the deadline."""
    return deadline is None or now + wait <= deadline
