"""Steps both bulk drivers share: journaled facts about GETs, and downloads on a budget.

A finished download is not a POST, so `JobContext.step` (which never resends a step whose
answer was lost) is the wrong tool for it: a download cut short is simply fetched again.
What resume needs is the fact that a page or a part is *done*, with what it said (row
count, next page token, result URL). `remember` writes that fact as an intent that is
acknowledged at once; `fact` finds the latest acknowledged one. A crash between the two
leaves a PENDING row that `fact` ignores, so the work is just done again.

Bulk read downloads also keep their own budget (DESIGN §Polling): at most 10 in any 60 s
per client, shared by every job of the run, so a run with many pages waits for a slot
instead of collecting 429s; a 429 that still comes (another app on the org) is waited out.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

from runner.execute.context import POLL_RETRY_ON, JobContext
from runner.execute.journal import RequestSummary
from runner.execute.journal_schema import Intent
from runner.execute.poll import retry_after_of
from runner.results import RecordOutcome
from runner.zoho.errors import RateLimited
from runner.zoho.limits import BULK_READ_DOWNLOAD_WINDOW, BULK_READ_DOWNLOADS_PER_WINDOW

#: API_NOTES §3.3: beyond 10 downloads a minute Zoho answers 429 "for that minute".
DOWNLOAD_WINDOW = BULK_READ_DOWNLOAD_WINDOW
DOWNLOADS_PER_WINDOW = BULK_READ_DOWNLOADS_PER_WINDOW

_budgets: WeakKeyDictionary[object, deque[float]] = WeakKeyDictionary()


def download_slot(ctx: JobContext) -> float | None:
    """Reserve a bulk read download slot; seconds to wait for it, None if past the deadline."""
    window = _budgets.setdefault(ctx.client, deque())
    now = ctx.clock.now()
    while window and window[0] <= now - DOWNLOAD_WINDOW:
        window.popleft()
    start = now
    if len(window) >= DOWNLOADS_PER_WINDOW:
        start = max(now, window[-DOWNLOADS_PER_WINDOW] + DOWNLOAD_WINDOW)
    if start > ctx.deadline:
        return None
    window.append(start)
    return start - now


def _fact_intent(ctx: JobContext, key: str) -> Intent | None:
    intent = ctx.journal.latest_intent(ctx.run_id, ctx.name, key)
    if intent is not None and intent.state == "ACKED":
        return intent
    for intent in reversed(ctx.journal.intents(ctx.run_id, ctx.name)):  # an older attempt
        if intent.step_key == key and intent.state == "ACKED":
            return intent
    return None


def fact(ctx: JobContext, key: str) -> Mapping[str, Any] | None:
    """The result recorded by `remember(ctx, key, ...)` in this run, if any."""
    intent = _fact_intent(ctx, key)
    return None if intent is None else ctx.journal.intent_result(intent.id) or {}


def fact_outcomes(ctx: JobContext, key: str) -> list[RecordOutcome] | None:
    """The per-record outcomes recorded by `remember(ctx, key, ...)`, if it was."""
    intent = _fact_intent(ctx, key)
    return None if intent is None else ctx.journal.intent_outcomes(intent.id)


def remember(
    ctx: JobContext,
    key: str,
    path: str,
    result: Mapping[str, Any],
    outcomes: Sequence[RecordOutcome] = (),
) -> None:
    """Journal that the GET at `path` finished with `result` (see the module docstring)."""
    intent_id = ctx.journal.record_intent(ctx.run_id, ctx.name, key, RequestSummary.of("GET", path))
    ctx.journal.ack_intent(intent_id, result=result, outcomes=outcomes)


async def download(ctx: JobContext, url: str, dest: Path, *, budgeted: bool = False) -> bool:
    """Fetch `url` to `dest`; False if the deadline comes first.

    `budgeted` (bulk read results) first waits for a slot of the 10-a-minute budget.
    Each download is counted in `ctx.downloads`, one of the job's calls (executor.py).

    The client already retries a GET a few times; past that, a 429 waits out Zoho's
    download minute (or the Retry-After) and a 5xx or dropped connection waits a poll
    backoff, each only while the wait still fits the job's deadline.
    """
    ctx.downloads += 1
    attempt = 0
    while True:
        if budgeted:
            wait_for_slot = download_slot(ctx)
            if wait_for_slot is None:
                return False
            if wait_for_slot > 0:
                ctx.progress.note(ctx.name, f"download budget: waiting {wait_for_slot:.0f}s")
                await ctx.clock.sleep(wait_for_slot)
        try:
            await ctx.client.download(url, dest, deadline=ctx.deadline)
            return True
        except POLL_RETRY_ON as exc:
            hinted = retry_after_of(exc)
            if hinted is None and isinstance(exc, RateLimited):
                hinted = DOWNLOAD_WINDOW
            wait = hinted if hinted is not None else ctx.poll_backoff.delay(attempt)
            attempt += 1
            if ctx.clock.now() + wait > ctx.deadline:
                return False
            code = getattr(exc, "code", type(exc).__name__)
            ctx.progress.note(ctx.name, f"download refused ({code}); trying again in {wait:.0f}s")
            await ctx.clock.sleep(wait)
