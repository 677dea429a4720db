"""Polling a Zoho background job to its end: backoff with jitter, on the injected clock.

A RUNNING job is not an error, so polling is its own loop rather than a retry decorator
(STYLE.md, stamina). `poll_until` fetches, asks `is_done`, and waits a `Backoff` delay
between fetches:
- a failed fetch whose exception is in `retry_on` (transport errors, 5xx, 429) counts as
  a poll and is retried; it never fails the job (DESIGN §Polling);
- an exception with a numeric `retry_after` attribute (seconds, e.g. a RateLimited error
  built from a Retry-After header) sets the next wait instead of the backoff;
- a wait never runs past `deadline`: the loop sleeps up to the deadline, polls once more
  there, and returns `deadline_reached=True` if the job is still not done;
- any other exception propagates unchanged.

Backoff follows the issue: start 1 s, factor 2, cap 30 s, "full jitter" (a uniform draw in
[0, ceiling], AWS architecture blog "Exponential Backoff And Jitter"), drawn from an
injected `random.Random` so tests are deterministic. API_NOTES §8: Zoho documents no job
durations; one field report saw small jobs finish within one poll cycle.

`ideal_polls(duration, backoff)` is the yardstick the benchmark compares against: the
polls the un-jittered schedule (every wait at its ceiling) makes for a job that finishes
`duration` seconds after the first poll.
"""

from __future__ import annotations

import math
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Generic, Literal, TypeVar

from runner.clock import Clock

T = TypeVar("T")

Jitter = Literal["full", "equal", "none"]

#: Retried by default: OS-level transport failures. The executor passes the Zoho client's
#: transport, 5xx and 429 error classes explicitly.
DEFAULT_RETRY_ON: tuple[type[BaseException], ...] = (OSError, TimeoutError)


@dataclass(frozen=True)
class Backoff:
    """Wait before the n-th next poll: min(cap, start * factor**n), jittered.

    jitter "full": uniform in [0, ceiling]; "equal": uniform in [ceiling/2, ceiling];
    "none": the ceiling itself (deterministic, used by `ideal_polls`).
    """

    start: float = 1.0
    factor: float = 2.0
    cap: float = 30.0
    jitter: Jitter = "full"
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.start <= 0 or self.cap < self.start or self.factor < 1:
            raise ValueError("backoff needs start > 0, cap >= start and factor >= 1")

    def ceiling(self, attempt: int) -> float:
        """The un-jittered wait after `attempt` earlier waits (0-based), capped."""
        if attempt < 0:
            raise ValueError("attempt must be >= 0")
        # Compare exponents in log space so a long poll loop cannot overflow a float.
        if self.factor > 1 and attempt * math.log(self.factor) >= math.log(self.cap / self.start):
            return self.cap
        return min(self.cap, self.start * self.factor**attempt)

    def delay(self, attempt: int) -> float:
        """The jittered wait after `attempt` earlier waits."""
        ceiling = self.ceiling(attempt)
        if self.jitter == "none":
            return ceiling
        if self.jitter == "equal":
            return ceiling / 2 + self.rng.uniform(0.0, ceiling / 2)
        return self.rng.uniform(0.0, ceiling)


@dataclass(frozen=True)
class PollOutcome(Generic[T]):
    """How polling ended: the last value seen (None if every fetch failed) and why."""

    value: T | None
    polls: int
    done: bool
    deadline_reached: bool
    last_error: BaseException | None = None
    errors: int = 0


def retry_after_of(exc: BaseException) -> float | None:
    """The server's requested wait carried by an exception (`retry_after`), if usable."""
    value = getattr(exc, "retry_after", None)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if not math.isfinite(value) or value < 0:
        return None
    return float(value)


async def poll_until(
    fetch: Callable[[], Awaitable[T]],
    is_done: Callable[[T], bool],
    *,
    clock: Clock,
    deadline: float,
    backoff: Backoff,
    on_poll: Callable[[T, int], None] | None = None,
    on_error: Callable[[BaseException, int], None] | None = None,
    retry_on: tuple[type[BaseException], ...] = DEFAULT_RETRY_ON,
) -> PollOutcome[T]:
    """Fetch until `is_done(value)` or `deadline` (clock seconds); see the module docstring.

    `on_poll(value, polls)` runs after each successful fetch (journal, progress bar);
    `on_error(exc, polls)` after each retried failure. The first fetch happens at once.
    """
    polls = errors = attempt = 0
    value: T | None = None
    last_error: BaseException | None = None
    while True:
        polls += 1
        try:
            fetched = await fetch()
        except retry_on as exc:
            errors += 1
            last_error = exc
            if on_error is not None:
                on_error(exc, polls)
            hinted = retry_after_of(exc)
            wait = hinted if hinted is not None else backoff.delay(attempt)
        else:
            value, last_error = fetched, None
            if on_poll is not None:
                on_poll(fetched, polls)
            if is_done(fetched):
                return PollOutcome(fetched, polls, True, False, None, errors)
            wait = backoff.delay(attempt)
        attempt += 1
        remaining = deadline - clock.now()
        if remaining <= 0:
            return PollOutcome(value, polls, False, True, last_error, errors)
        await clock.sleep(min(wait, remaining))


def ideal_polls(duration: float, backoff: Backoff) -> int:
    """Polls the un-jittered schedule makes for a job done `duration` s after the first poll.

    Polls happen at t=0, c0, c0+c1, ... (c_n = `backoff.ceiling(n)`); the last one is the
    first at or after `duration`.
    """
    if duration < 0:
        raise ValueError("duration must be >= 0")
    polls, elapsed, attempt = 1, 0.0, 0
    while elapsed < duration:
        elapsed += backoff.ceiling(attempt)
        attempt += 1
        polls += 1
    return polls
