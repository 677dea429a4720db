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
from functools import partial

from runner.execute.context import Answered, JobContext, Recorded
from runner.execute.drivers.bulk_steps import fact_outcomes, remember
from runner.execute.drivers.evidence import unreadable
from runner.execute.drivers.patient import patiently
from runner.execute.journal import RequestSummary
from runner.outcome import OUTCOME_UNKNOWN, RecordOutcome, count_succeeded
from runner.results import JobError
from runner.zoho.errors import AuthError, ZohoError
from runner.zoho.limits import MASS_IDS_PER_CALL

BATCH = MASS_IDS_PER_CALL
MAX_ATTEMPTS = 5  # each lost answer is verified, then only unreached ids are sent again

SendIds = Callable[[Sequence[str]], Awaitable[list[RecordOutcome]]]
#: Reads back which of these ids the lost call (sent at the given time, on the runner's
#: clock) demonstrably reached: after a crash, or a dropped answer.
Verify = Callable[[Sequence[str], float], Awaitable[set[str]]]
VERIFIED = "verified after a lost answer"


@dataclass
class IdsOutcome:
    """What the batches of one job produced."""

    outcomes: list[RecordOutcome] = field(default_factory=list)
    errors: list[JobError] = field(default_factory=list)
    not_processed: int = 0
    succeeded: int = 0  # counted batch by batch, while later answers are still awaited
    unsettled: list[str] = field(default_factory=list)  # why a batch waits for a resume

    @property
    def failed(self) -> int:
        return len(self.outcomes) - self.succeeded


class Unsettled(Exception):
    """A batch whose answer was lost and whose records could not be read back yet: no
    verdict, so no outcome; the job stays RUNNING and a resume settles the batch."""


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
    paused: list[AuthError] = []
    # Twice as many batches under way as requests may be in flight: intents are journaled
    # shortly before their POST can go out, not 100 of them up front (a crash would leave
    # PENDING intents never sent, each to be verified on resume), while the next POSTs are
    # ready when a slot frees up during the parsing of an answer. The second half joins
    # once the first POST is on its way (or a first batch is done without one): at the
    # start, its 10 intents' commits would otherwise come before the first POST (~5 ms).
    slots = asyncio.Semaphore(ctx.concurrency)
    widened = False

    def widen() -> None:
        nonlocal widened
        if not widened:
            widened = True
            for _ in range(ctx.concurrency):
                slots.release()

    async def send_then_widen(chunk: Sequence[str]) -> list[RecordOutcome]:
        widen()
        return await send(chunk)

    async def one(n: int, batch: list[str]) -> None:
        nonlocal done
        async with slots:
            if stop.is_set():
                out.not_processed += len(batch)
                return
            try:
                part = results[n] = await _batch(
                    ctx, n + 1, batch, path, body_of, send_then_widen, verify
                )
            except AuthError as exc:
                # A refused token pauses the job (the executor keeps it resumable): no
                # other batch goes out, and resume sends every batch not acknowledged.
                stop.set()
                paused.append(exc)
                return
            except Unsettled as exc:
                out.unsettled.append(str(exc))  # the job stays in flight for resume
                return
            except ZohoError as exc:
                # A request-level refusal (permission, bad field…) would repeat for every batch.
                stop.set()
                out.errors.append(JobError.from_error(exc))
                out.not_processed += len(batch)
                return
            finally:
                widen()
        out.succeeded += count_succeeded(part)
        done += len(batch)
        ctx.progress.job_advanced(ctx.name, done=done, total=len(ids), state="sending")

    await asyncio.gather(*(one(n, b) for n, b in enumerate(batches)))
    if paused:
        raise paused[0]
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
    """One batch under the journal; a lost answer is verified by reading the records back.

    Only records the lost call demonstrably reached count as done (see `Verify`); every
    other id is sent again, so Zoho itself answers for it (a locked record is refused as
    it would have been in a clean run). The verification is journaled, so a resume
    replays it and resends the very same ids; every id gets exactly one outcome.
    """
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
        verified = fact_outcomes(ctx, f"{key}:verify")
        if verified is None:
            ctx.progress.note(ctx.name, f"batch {number}: {answer.explain(ctx.name)}; verifying")
            try:
                reached = await patiently(
                    ctx, partial(verify, list(todo), answer.intent.created_at)
                )
            except AuthError:
                raise  # a refused token pauses the job (executor); it is no evidence
            except ZohoError as exc:
                seen = unreadable(exc, f"batch {number}: answer lost, its records")
                if seen.verdict == "UNSETTLED":
                    # A failure that may pass (5xx, 429, no answer; after patient tries or
                    # at the deadline): no verdict, as for a view job's evidence. The batch
                    # stays UNKNOWN in the journal and a resume reads its records back;
                    # "unknown" for good lost records a resume would have sent (soak seed
                    # 57: 465 never updated).
                    raise Unsettled(seen.text) from exc
                why = f"answer lost and the records could not be read back ({exc.code})"
                by_id.update((o.record_id, o) for o in _unknown(todo, why))
                todo = []
                break
            verified = [
                RecordOutcome(rid, "success", "SUCCESS", VERIFIED) for rid in todo if rid in reached
            ]
            remember(ctx, f"{key}:verify", path, {"reached": len(verified)}, verified)
        by_id.update((o.record_id, o) for o in verified)
        todo = [rid for rid in todo if rid not in by_id]
        if todo and attempt + 1 < MAX_ATTEMPTS:
            wait = ctx.poll_backoff.delay(attempt)
            if ctx.clock.now() + wait < ctx.deadline:
                await ctx.clock.sleep(wait)
        if not todo:
            break
    if todo:
        why = f"answer lost {MAX_ATTEMPTS} times in a row; not sent again"
        unknown = fact_outcomes(ctx, f"batch:{number}:unknown")
        if unknown is None:
            unknown = _unknown(todo, why)
            remember(ctx, f"batch:{number}:unknown", path, {"unknown": len(todo)}, unknown)
        by_id.update((o.record_id, o) for o in unknown)
    return [by_id[rid] for rid in batch if rid in by_id]


def _record(value: list[RecordOutcome]) -> Recorded[list[RecordOutcome]]:
    ok = count_succeeded(value)
    return Recorded(result={"succeeded": ok, "failed": len(value) - ok}, outcomes=value)
