"""One apply or resume from start to result: lock, journal, client, DAG.

`apply` and `resume` differ only in where the jobs and the run id come from; everything
between taking the state lock and finishing the run in the journal is here, once. The
command then writes the reports from the `RunResult` (runner/commands/_reports.py):
runner.execute never imports runner.report. The lock is the state dir's (SQLite
journal), taken first; or, with the journal in PostgreSQL, the org's, taken once Zoho has
named the org and before anything is read for it or recorded.
"""

from __future__ import annotations

import asyncio
import secrets
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import TextIO

import anyio.lowlevel

from runner.clock import Clock
from runner.execute.drivers import DRIVERS
from runner.execute.executor import Execution, file_hashes
from runner.execute.fingerprint import job_fingerprint
from runner.execute.journal_schema import RunStatus
from runner.execute.lock import StateLock
from runner.execute.plan_use import PlanUse, ensure_unused
from runner.execute.poll import Backoff
from runner.execute.progress import BarsProgress, PlainProgress, Progress
from runner.execute.state_store import StateStore
from runner.execute.target import Connection, limited
from runner.execute.unfinished import Mine, resume_command, settle_unfinished
from runner.heap import run_gc
from runner.manifest.model import AnyJob, Manifest
from runner.refs import ManifestRef
from runner.results import RunResult, RunTarget, exit_code_for
from runner.zoho import metadata
from runner.zoho.client import ZohoClient

MIN_REDACTED = 8  # characters: an env value shorter than this is redacted nowhere
RUN_STATUS: dict[int, RunStatus] = {0: "COMPLETED", 1: "FAILED", 3: "PARTIAL", 4: "DEADLINE"}


@dataclass(frozen=True)
class SessionOptions:
    """What the command line decides for a run."""

    report_dir: Path
    state_dir: Path
    concurrency: int = 5
    deadline: float = 7200.0
    replace: frozenset[str] = frozenset()
    retry_failed: frozenset[str] = frozenset()
    abandon: str | None = None
    poll_start: float = 1.0
    poll_cap: float = 30.0
    plan: PlanUse | None = None  # apply --plan: recorded with the run, refused once used
    state_url: str | None = None  # ZCRM_STATE_URL: the journal in PostgreSQL, never recorded

    @property
    def store(self) -> StateStore:
        return StateStore(self.state_dir, self.state_url)


def run_status(run: RunResult) -> RunStatus:
    """How the journal files a finished apply; Zoho jobs still in flight keep it resumable."""
    if run.running_jobs:
        return "DEADLINE" if run.exit_code == 4 else "PAUSED"
    return RUN_STATUS[run.exit_code]


def new_run_id(clock: Clock) -> str:
    """Sortable and unique enough: UTC time plus 4 random hex digits."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime(clock.now()))
    return f"{stamp}-{secrets.token_hex(2)}"


def _progress(stream: TextIO) -> Progress:
    return BarsProgress() if stream.isatty() else PlainProgress(stream)


def _secrets_of(connection: Connection, manifests: Sequence[Manifest]) -> list[str]:
    """Values the journal redacts wherever they turn up: the credentials, and what the
    manifests' templates read from ZCRM_VAR_* variables (in case an answer echoes a value
    the job sent, issue 9). Short or all-digit values are left out: redacting them would
    corrupt the record ids, counts and codes the journal exists to keep."""
    creds = connection.target.credentials
    values = [v for v in (creds.access_token, creds.client_secret, creds.refresh_token) if v]
    from_env = {v for m in manifests for v in m.env_values}
    return values + sorted(v for v in from_env if len(v) >= MIN_REDACTED and not v.isdigit())


def run_to_end(session: Awaitable[RunResult]) -> RunResult:
    """`asyncio.run(session)`, with the result handed out beside the task, not returned by it.

    Python 3.11's `asyncio.Runner`, once its task is done, checks its SIGINT handler with
    `signal.getsignal` and puts the default back with `signal.signal`; both try to turn
    the handler into a `Handlers` member, which for `functools.partial(_on_sigint,
    main_task=task)` fails with a ValueError whose message is built from the handler's
    repr, which holds the task's, which holds its result's (`enum.py`, `Enum.__new__`).
    For a RunResult of 50,000 outcomes that was ~0.1 s of repr, twice (issue 13)."""
    box: list[RunResult] = []

    async def main() -> None:
        box.append(await session)

    asyncio.run(main())
    return box[0]


async def _org_and(
    client: ZohoClient, precheck: Callable[[ZohoClient], Awaitable[None]] | None
) -> metadata.Org:
    """GET /org and the precheck's reads at once, read-only calls both: one round trip
    before the first job instead of two or more (issue 13). An error of the org's wins,
    then the precheck's, as when they ran one after the other."""
    if precheck is None:
        return await metadata.get_org(client)
    org, checked = await asyncio.gather(
        metadata.get_org(client), precheck(client), return_exceptions=True
    )
    for outcome in (org, checked):
        if isinstance(outcome, BaseException):
            raise outcome
    assert isinstance(org, metadata.Org)
    return org


def _prepare(jobs: Sequence[AnyJob], *, settling: bool) -> set[str]:
    """What the jobs need before their first call: their kinds' drivers imported (a run
    of mass updates never imports the bulk ones, runner.execute.drivers), and when the
    run settles unfinished ones, the jobs' content hashes (files read and hashed, 50,000
    ids serialised)."""
    for kind in {job.kind for job in jobs}:
        DRIVERS[kind]  # the first look imports the driver's module
    return {job_fingerprint(job, file_hashes(job)) for job in jobs} if settling else set()


async def _load_http_stack() -> None:
    """Load what httpx loads on its first request over a socket (anyio's event loop
    backend, ~15 ms of imports), before that request: inside GET /org it held back the
    precheck's request meant to go out with it, and the fingerprints' thread, started
    meanwhile, doubled that by sharing the interpreter with it (issue 13)."""
    await anyio.lowlevel.checkpoint()


async def _while_answering(
    call: Awaitable[metadata.Org], local: Callable[[], set[str]]
) -> tuple[metadata.Org, set[str]]:
    """`call` with `local` run in a thread meanwhile: the org's round trip is idle time
    for this process, which the drivers' imports and the job fingerprints (~20 ms for
    50,000 ids) can fill rather than follow (issue 13). The thread has always finished
    when this returns or raises; an error of the call's wins over the thread's."""
    work = asyncio.ensure_future(asyncio.to_thread(local))
    try:
        answer = await call
    except BaseException:
        await asyncio.wait([work])
        if not work.cancelled():
            work.exception()  # retrieved: the call's error is the one to tell
        raise
    return answer, await work


async def run_session(
    manifests: Sequence[Manifest],
    connection: Connection,
    clock: Clock,
    options: SessionOptions,
    *,
    run_id: str | None = None,
    stream: TextIO | None = None,
    precheck: Callable[[ZohoClient], Awaitable[None]] | None = None,
) -> RunResult:
    """Apply (run_id None) or resume (run_id given) the manifests' jobs; the caller writes
    the reports from the result.

    `precheck` runs once the org answers and before anything is recorded or sent: a
    saved plan checks there that the org and its views are still what was reviewed.
    """
    out = stream or sys.stderr
    run_options = {
        "concurrency": options.concurrency, "deadline": options.deadline,
        "state_dir": str(options.state_dir), "report_dir": str(options.report_dir),
        "retry_failed": sorted(options.retry_failed),
    }  # fmt: skip
    if options.plan is not None:
        run_options["plan"] = options.plan.as_option()
    jobs: list[AnyJob] = [job for m in manifests for job in m.jobs]
    refs = tuple(ManifestRef(str(m.path.resolve()), m.sha256) for m in manifests)
    store = options.store
    with ExitStack() as held:
        dir_lock = None if store.url else held.enter_context(StateLock(options.state_dir))
        journal = held.enter_context(store.journal(clock))
        if dir_lock is not None and run_id is None and options.plan is not None:
            ensure_unused(journal, options.plan, where=store.where)  # locked: one run per plan
        withheld = tuple(_secrets_of(connection, manifests))
        for value in withheld:
            journal.add_secret(value)
        async with ZohoClient(
            connection.target,
            clock=clock,
            transport=limited(connection, options.concurrency),
            retry_refused_posts=True,  # a 429/refused POST created nothing: safe to resend
        ) as client:
            resuming = run_id is not None
            settling = not resuming and connection.kind != "sim"
            await _load_http_stack()
            org, fingerprints = await _while_answering(
                _org_and(client, precheck), partial(_prepare, jobs, settling=settling)
            )
            lock = dir_lock or held.enter_context(store.org_lock(journal, org.id))
            if dir_lock is None and run_id is None and options.plan is not None:
                ensure_unused(journal, options.plan, where=store.where)
            target = RunTarget(
                connection.kind, connection.target.api_domain, org.id, connection.target.dc
            )
            if settling:
                mine = Mine(
                    manifest_paths={ref.path for ref in refs},
                    names={job.name for job in jobs},
                    fingerprints=fingerprints,
                )
                settle_unfinished(journal, org.id, mine, abandon=options.abandon, out=out)
            run_id = run_id or new_run_id(clock)
            lock.set_run_id(run_id)
            started = clock.now()
            if resuming:
                journal.reopen_run(run_id)
                print(f"resuming run {run_id}", file=out)
            else:
                journal.start_run(run_id, target=target, manifests=refs, options=run_options)
                print(f"run {run_id} on org {org.id} ({connection.target.api_domain})", file=out)
            resume = resume_command(run_id, run_options)
            zgid_cache: list[str] = [org.zgid]

            async def zgid() -> str:
                return zgid_cache[0]

            progress = _progress(out)
            execution = Execution(
                run_id=run_id, client=client, journal=journal, clock=clock, progress=progress,
                work_dir=options.state_dir / "runs" / run_id, org_id=org.id, zgid=zgid,
                deadline=clock.now() + options.deadline, replace=options.replace,
                retry_failed=options.retry_failed,
                apply_once=connection.kind != "sim", concurrency=options.concurrency,
                backups=options.report_dir / run_id / "backups", secrets=withheld,
                poll_backoff=lambda: Backoff(
                    start=options.poll_start, cap=options.poll_cap, jitter="equal"
                ),
            )  # fmt: skip
            try:
                with run_gc():
                    if isinstance(progress, BarsProgress):
                        with progress:
                            results = await execution.run(jobs)
                    else:
                        results = await execution.run(jobs)
            except BaseException:
                journal.finish_run(run_id, status="INTERRUPTED", exit_code=130)
                # The in-process simulator ends with this process: such a run cannot resume.
                hint = f"; resume with: {resume}" if connection.kind != "sim" else ""
                print(f"run {run_id} interrupted{hint}", file=out)
                raise
        run = RunResult(run_id, started, clock.now(), target, refs, results)
        run = replace(run, exit_code=exit_code_for(run), resume=resume)
        journal.finish_run(run_id, status=run_status(run), exit_code=run.exit_code)
    return run
