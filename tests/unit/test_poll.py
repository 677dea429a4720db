"""Polling: backoff growth, cap and jitter, deadlines, retried failures, Retry-After."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable

import pytest

from runner.clock import ManualClock
from runner.execute.poll import Backoff, ideal_polls, poll_until, retry_after_of

START = 1_767_225_600.0


class Flaky(Exception):
    """A retryable poll failure (stands in for a transport error or a 5xx)."""


class RateLimited(Exception):
    """A 429 that carries the server's requested wait."""

    def __init__(self, retry_after: float) -> None:
        super().__init__("rate limited")
        self.retry_after = retry_after


def states(items: Iterable[object]) -> Callable[[], object]:
    """A fetch() that returns (or raises) the given items in turn."""
    it = iter(items)

    async def fetch() -> object:
        item = next(it)
        if isinstance(item, BaseException):
            raise item
        return item

    return fetch


def fixed(**kw: object) -> Backoff:
    """An un-jittered backoff, so waits are exact."""
    return Backoff(jitter="none", **kw)  # type: ignore[arg-type]


def test_ceiling_grows_by_factor_and_caps() -> None:
    """Waits double from 1 s and stop growing at 30 s."""
    b = Backoff()
    assert [b.ceiling(n) for n in range(7)] == [1, 2, 4, 8, 16, 30, 30]
    assert b.ceiling(10_000) == 30


def test_full_jitter_stays_within_zero_and_ceiling() -> None:
    """Full jitter draws in [0, ceiling] and actually varies."""
    b = Backoff(rng=random.Random(7))
    draws = [b.delay(n) for n in range(8) for _ in range(200)]
    assert all(0.0 <= d <= 30.0 for d in draws)
    assert all(0.0 <= b.delay(2) <= 4.0 for _ in range(500))
    assert len({round(d, 6) for d in draws}) > 100


def test_equal_jitter_keeps_half_the_ceiling() -> None:
    """Equal jitter never waits less than half the ceiling."""
    b = Backoff(jitter="equal", rng=random.Random(3))
    assert all(4.0 <= b.delay(3) <= 8.0 for _ in range(500))


def test_jitter_is_deterministic_with_a_seeded_rng() -> None:
    """Two backoffs with the same seed draw the same waits."""
    a, b = Backoff(rng=random.Random(42)), Backoff(rng=random.Random(42))
    assert [a.delay(n) for n in range(10)] == [b.delay(n) for n in range(10)]


def test_backoff_rejects_nonsense() -> None:
    """A cap below the start or a shrinking factor is refused."""
    with pytest.raises(ValueError, match="cap >= start"):
        Backoff(start=5, cap=1)
    with pytest.raises(ValueError, match="factor >= 1"):
        Backoff(factor=0.5)


@pytest.mark.anyio
async def test_polls_a_sequence_of_states_to_done() -> None:
    """Each state is fetched in turn, waits follow the backoff, and the done value returns."""
    clock = ManualClock(START)
    seen: list[tuple[object, int]] = []
    out = await poll_until(
        states(["SCHEDULED", "RUNNING", "RUNNING", "COMPLETED"]),
        lambda s: s == "COMPLETED",
        clock=clock,
        deadline=START + 3600,
        backoff=fixed(),
        on_poll=lambda v, n: seen.append((v, n)),
    )
    assert out.done
    assert not out.deadline_reached
    assert out.value == "COMPLETED"
    assert out.polls == 4
    assert out.errors == 0
    assert clock.slept == [1, 2, 4]
    assert seen == [("SCHEDULED", 1), ("RUNNING", 2), ("RUNNING", 3), ("COMPLETED", 4)]


@pytest.mark.anyio
async def test_done_at_first_poll_never_sleeps() -> None:
    """A job already finished is polled once and nothing waits."""
    clock = ManualClock(START)
    out = await poll_until(
        states(["COMPLETED"]),
        lambda s: s == "COMPLETED",
        clock=clock,
        deadline=START + 10,
        backoff=Backoff(),
    )
    assert (out.polls, out.done, clock.slept) == (1, True, [])


@pytest.mark.anyio
async def test_deadline_stops_without_sleeping_past_it() -> None:
    """The last wait is cut to the deadline, one last poll happens there, then it stops."""
    clock = ManualClock(START)
    out = await poll_until(
        states(["RUNNING"] * 100),
        lambda s: s == "COMPLETED",
        clock=clock,
        deadline=START + 10,
        backoff=fixed(),
    )
    assert out.deadline_reached
    assert not out.done
    assert out.value == "RUNNING"
    assert clock.slept == [1, 2, 4, 3]  # 1+2+4 = 7, then only 3 s are left
    assert clock.now() == START + 10
    assert out.polls == 5


@pytest.mark.anyio
async def test_failed_polls_are_retried_not_fatal() -> None:
    """Retryable errors count as polls, keep the backoff growing, and polling goes on."""
    clock = ManualClock(START)
    errors: list[int] = []
    out = await poll_until(
        states([Flaky("502"), "RUNNING", Flaky("timeout"), "COMPLETED"]),
        lambda s: s == "COMPLETED",
        clock=clock,
        deadline=START + 3600,
        backoff=fixed(),
        on_error=lambda exc, n: errors.append(n),
        retry_on=(Flaky,),
    )
    assert out.done
    assert out.value == "COMPLETED"
    assert (out.polls, out.errors, errors) == (4, 2, [1, 3])
    assert clock.slept == [1, 2, 4]
    assert out.last_error is None


@pytest.mark.anyio
async def test_other_errors_propagate() -> None:
    """An exception outside retry_on is not swallowed."""
    clock = ManualClock(START)
    with pytest.raises(KeyError):
        await poll_until(
            states([KeyError("boom")]),
            bool,
            clock=clock,
            deadline=START + 60,
            backoff=Backoff(),
            retry_on=(Flaky,),
        )


@pytest.mark.anyio
async def test_retry_after_sets_the_next_wait() -> None:
    """A rate-limit error's retry_after replaces the backoff wait for that turn."""
    clock = ManualClock(START)
    out = await poll_until(
        states(["RUNNING", RateLimited(17.5), "COMPLETED"]),
        lambda s: s == "COMPLETED",
        clock=clock,
        deadline=START + 3600,
        backoff=fixed(),
        retry_on=(RateLimited,),
    )
    assert out.done
    assert clock.slept == [1, 17.5]


@pytest.mark.anyio
async def test_retry_after_is_still_bounded_by_the_deadline() -> None:
    """A long Retry-After cannot push a wait past the deadline."""
    clock = ManualClock(START)
    out = await poll_until(
        states([RateLimited(600), RateLimited(600)]),
        bool,
        clock=clock,
        deadline=START + 20,
        backoff=fixed(),
        retry_on=(RateLimited,),
    )
    assert out.deadline_reached
    assert out.value is None
    assert isinstance(out.last_error, RateLimited)
    assert clock.slept == [20]


def test_retry_after_of_ignores_unusable_values() -> None:
    """Only finite, non-negative numbers count as a requested wait."""
    assert retry_after_of(RateLimited(3)) == 3.0
    for bad in (float("nan"), -1.0, True):
        assert retry_after_of(RateLimited(bad)) is None
    assert retry_after_of(Flaky()) is None


@pytest.mark.parametrize(
    ("duration", "expected"),
    [(0, 1), (0.5, 2), (1, 2), (3, 3), (3.5, 4), (7, 4), (31, 6), (61, 7), (91, 8)],
)
def test_ideal_polls_follows_the_unjittered_schedule(duration: float, expected: int) -> None:
    """Polls at 0, 1, 3, 7, 15, 31, 61, 91 s: the count up to the first at/after done."""
    assert ideal_polls(duration, Backoff()) == expected


@pytest.mark.anyio
async def test_ideal_polls_matches_poll_until_without_jitter() -> None:
    """Without jitter, poll_until makes exactly ideal_polls polls for a timed job."""
    for duration in (0.0, 2.0, 45.0, 400.0):
        clock = ManualClock(START)

        async def fetch(clock: ManualClock = clock) -> float:
            return clock.now() - START

        out = await poll_until(
            fetch,
            lambda t, d=duration: t >= d,
            clock=clock,
            deadline=START + 7200,
            backoff=fixed(),
        )
        assert out.polls == ideal_polls(duration, Backoff())
