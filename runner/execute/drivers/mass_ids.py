"""Mass update / mass delete by ids: 500 ids a call, done at once (seed 002; API_NOTES §2.1).

Batches run concurrently; the transport caps requests in flight (`--concurrency`). Each
batch is one journaled step. A batch whose answer was lost in a crash is never resent
blindly: the records are read back first, and only the ids the change did not reach are
sent again (a second loss is reported as OUTCOME_UNKNOWN per record).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from runner.execute.context import Answered, JobContext, Recorded
from runner.execute.journal import RequestSummary
from runner.execute.results import JobError
from runner.outcome import OUTCOME_UNKNOWN, RecordOutcome, count_succeeded
from runner.zoho.errors import ZohoError

BATCH = 500  # seed 002: at most 500 records per non-scheduler call
MAX_ATTEMPTS = 5  # each lost answer is verified, then only unreached ids are sent again

SendIds = Callable[[Sequence[str]], Awaitable[list[RecordOutcome]]]
#: Reads back which of these ids the lost call already changed (verification after a crash).
Verify = Callable[[Sequence[str]], Awaitable[set[str]]]


@dataclass
class IdsOutcome:
    """What the batches of one job produced."""

    outcomes: list[RecordOutcome] = field(default_factory=list)
    errors: list[JobError] = field(default_factory=list)
    not_processed: int = 0
    succeeded: int = 0  # counted batch by batch, while later answers are still awaited

    @property
    def failed(self) -> int:
        return len(self.outcomes) - self.succeeded


def _unknown(ids: Sequence[str], why: str) -> list[RecordOutcome]:
    return [RecordOutcome(i, "error", OUTCOME_UNKNOWN, why) for i in ids]


async def run_batches(
    ctx: JobContext,
    ids: Sequence[str],
    path: str,
    body_of: Callable[[Sequence[str]], dict[str, object]],
    send: SendIds,
    verify: Verify,
) -> IdsOutcome:
    """Send every batch (skipping those already answered) and gather per-record outcomes."""
    batches = [list(ids[i : i + BATCH]) for i in range(0, len(ids), BATCH)]
    results: list[list[RecordOutcome] | None] = [None] * len(batches)
    out = IdsOutcome()
    done = 0
    stop = asyncio.Event()
    # Twice as many batches under way as requests may be in flight: intents are journaled
    # shortly before their POST can go out, not 100 of them up front (a crash would leave
    # PENDING intents never sent, each to be verified on resume), while the next POSTs are
    # ready when a slot frees up during the parsing of an answer.
    slots = asyncio.Semaphore(2 * ctx.concurrency)

    async def one(n: int, batch: list[str]) -> None:
        nonlocal done
        async with slots:
            if stop.is_set():
                out.not_processed += len(batch)
                return
            try:
                part = results[n] = await _batch(ctx, n + 1, batch, path, body_of, send, verify)
            except ZohoError as exc:
                # A request-level refusal (permission, bad field…) would repeat for every batch.
                stop.set()
                out.errors.append(JobError(exc.code, exc.message, dict(exc.details)))
                out.not_processed += len(batch)
                return
        out.succeeded += count_succeeded(part)
        done += len(batch)
        ctx.progress.job_advanced(ctx.name, done=done, total=len(ids), state="sending")

    await asyncio.gather(*(one(n, b) for n, b in enumerate(batches)))
    for part in results:
        out.outcomes.extend(part or ())
    return out


async def _batch(
    ctx: JobContext,
    number: int,
    batch: list[str],
    path: str,
    body_of: Callable[[Sequence[str]], dict[str, object]],
    send: SendIds,
    verify: Verify,
) -> list[RecordOutcome]:
    """One batch under the journal; a lost answer is verified by reading the records back."""
    by_id: dict[str, RecordOutcome] = {}
    todo = batch
    for attempt in range(MAX_ATTEMPTS):
        key = f"batch:{number}" if attempt == 0 else f"batch:{number}.{attempt}"
        summary = RequestSummary.of(
            "POST", path, json.dumps(body_of(todo), sort_keys=True), ids_count=len(todo)
        )

        async def call(chunk: list[str] = todo) -> list[RecordOutcome]:
            return await send(chunk)

        answer = await ctx.step(key, summary, call, _record)
        if isinstance(answer, Answered):
            if attempt == 0:  # the common case: one outcome per id, in batch order
                return list(answer.outcomes)
            by_id.update((o.record_id, o) for o in answer.outcomes)
            todo = []
            break
        ctx.progress.note(ctx.name, f"batch {number}: {answer.explain(ctx.name)}; verifying")
        try:
            reached = await verify(todo)
        except ZohoError as exc:
            why = f"answer lost and the records could not be read back ({exc.code})"
            by_id.update((o.record_id, o) for o in _unknown(todo, why))
            todo = []
            break
        for rid in todo:
            if rid in reached:
                by_id[rid] = RecordOutcome(
                    rid, "success", "SUCCESS", "verified after a lost answer"
                )
        todo = [rid for rid in todo if rid not in reached]
        if todo and attempt + 1 < MAX_ATTEMPTS:
            wait = ctx.poll_backoff.delay(attempt)
            if ctx.clock.now() + wait < ctx.deadline:
                await ctx.clock.sleep(wait)
        if not todo:
            break
    if todo:
        why = f"answer lost {MAX_ATTEMPTS} times in a row; not sent again"
        by_id.update((o.record_id, o) for o in _unknown(todo, why))
    return [by_id[rid] for rid in batch if rid in by_id]


def _record(value: list[RecordOutcome]) -> Recorded[list[RecordOutcome]]:
    ok = count_succeeded(value)
    return Recorded(result={"succeeded": ok, "failed": len(value) - ok}, outcomes=value)
