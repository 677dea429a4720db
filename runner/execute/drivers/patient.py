"""Evidence reads that wait out a passing failure, as a poll does."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from runner.execute.context import POLL_RETRY_ON, JobContext
from runner.execute.poll import retry_after_of

T = TypeVar("T")
READ_TRIES = 4  # tries at one evidence read that fails for a passing reason


async def patiently(ctx: JobContext, read: Callable[[], Awaitable[T]]) -> T:
    """`read()`, tried again after a passing failure (as a poll is), within the deadline."""
    for attempt in range(READ_TRIES):
        try:
            return await read()
        except POLL_RETRY_ON as exc:
            wait = retry_after_of(exc)
            wait = ctx.poll_backoff.delay(attempt) if wait is None else wait
            if attempt + 1 == READ_TRIES or ctx.clock.now() + wait > ctx.deadline:
                raise
            await ctx.clock.sleep(wait)
    raise AssertionError("unreachable")  # pragma: no cover
