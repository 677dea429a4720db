"""`zcrm-runner apply`: run the manifests (or a saved, still fresh plan) against an org.

A saved plan is applied once, by the runner version that made it, within --max-plan-age
(24h unless given) of its making, and only while its inputs are unchanged."""

from __future__ import annotations

import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

from runner import timings
from runner.commands._preflight import preflight
from runner.commands._reports import write_and_summarise
from runner.commands._target import confirm, connect
from runner.errors import ManifestError, UsageError
from runner.execute.plan_use import PlanUse, ensure_unused
from runner.execute.retry_failed import ALL, per_record
from runner.execute.session import SessionOptions, run_session, run_to_end
from runner.execute.state_store import StateStore
from runner.heap import run_gc
from runner.manifest.model import Manifest
from runner.manifest.rules_paths import RunDirs
from runner.manifest.validate import load_manifests
from runner.plan.codec import plan_identity
from runner.plan.facts import gather_facts
from runner.plan.file import (
    DEFAULT_MAX_PLAN_AGE,
    ensure_fresh,
    ensure_recent,
    load_plan,
    new_plan_hint,
)
from runner.plan.model import Plan
from runner.plan.online_rules import check_fields_online
from runner.zoho.client import ZohoClient


def _manifests(
    files: list[Path],
    plan_file: Path | None,
    dirs: RunDirs,
    *,
    store: StateStore,
    max_plan_age: float | None,
) -> tuple[list[Manifest], Plan | None, PlanUse | None]:
    """Validated manifests; with --plan, the plan's own manifests, refused if the plan was
    made by another version, was applied already, is too old, or its inputs moved. Outputs
    are checked against the state and report dirs of this run (`dirs`)."""
    if plan_file is not None and files:
        raise UsageError("give manifest files or --plan PLAN.json, not both")
    if plan_file is None and not files:
        raise UsageError("give the manifest files to apply, or --plan PLAN.json")
    if plan_file is None:
        if max_plan_age is not None:
            raise UsageError("--max-plan-age applies to --plan PLAN.json only")
        checked = load_manifests(files, dirs=dirs)
        for warning in checked.warnings:
            print(warning, file=sys.stderr)
        return list(checked.manifests), None, None
    plan = load_plan(plan_file)
    hint = new_plan_hint(plan_file, [ref.path for ref in plan.manifests])
    use = PlanUse(plan_identity(plan), str(plan_file), hint)
    reader = store.read_only()
    if reader is not None:  # early, before any prompt; the session checks again, locked
        try:
            ensure_unused(reader, use, where=store.where)
        finally:
            reader.close()
    age = DEFAULT_MAX_PLAN_AGE if max_plan_age is None else max_plan_age
    ensure_recent(plan, plan_file, max_age=age)
    checked = load_manifests([Path(ref.path) for ref in plan.manifests], dirs=dirs)
    ensure_fresh(plan, checked.manifests)
    # The sha256 the plan's Markdown carries: the log shows that the reviewed plan is the
    # one applied (docs/GITOPS.md).
    print(f"{plan_file}: plan sha256 {use.identity}, made {plan.created_at}", file=sys.stderr)
    return list(checked.manifests), plan, use


def _check_job_options(manifests: list[Manifest], replace: list[str], retry: list[str]) -> None:
    """--replace and --retry-failed name jobs of these manifests, each job at most once."""
    jobs = {job.name: job for m in manifests for job in m.jobs}
    for flag, names in (("--replace", replace), ("--retry-failed", retry)):
        unknown = sorted(set(names) - set(jobs) - ({ALL} if flag == "--retry-failed" else set()))
        if unknown:
            raise UsageError(f"{flag} names no job: {', '.join(unknown)}")
    both = sorted(set(replace) & (set(jobs) if ALL in retry else set(retry)))
    if both:
        raise UsageError(f"{', '.join(both)}: --replace runs a job in full, --retry-failed "
                         "only what failed; choose one")  # fmt: skip
    for name in retry:
        if name != ALL and not per_record(jobs[name]):
            raise UsageError(
                f"--retry-failed {name}: the job selects its records by custom view, and Zoho "
                f"reports only counts for it, so it cannot be retried per record; fix the "
                f"records and run it again in full with --replace {name}"
            )


def _prechecks(
    plan: Plan | None, manifests: list[Manifest]
) -> Callable[[ZohoClient], Awaitable[None]]:
    """Read-only checks once the org answers, before anything is recorded or sent: every
    mass update field against the org's metadata, and an online plan's org and views."""

    async def check(client: ZohoClient) -> None:
        errors = [p for p in await check_fields_online(client, manifests) if p.severity == "error"]
        if errors:
            raise ManifestError(errors)
        if plan is not None and plan.target:
            ensure_fresh(plan, manifests, facts=await gather_facts(client, manifests))

    return check


def run(
    *,
    files: list[Path],
    plan_file: Path | None = None,
    sim: bool = False,
    yes: bool = False,
    report_dir: Path = Path("reports"),
    state_dir: Path = Path(".zcrm"),
    concurrency: int = 5,
    replace: list[str] | None = None,
    retry_failed: list[str] | None = None,
    abandon: str | None = None,
    deadline: float = 7200.0,
    max_plan_age: float | None = None,
) -> int:
    """Apply; exit 0 all done, 1 error, 3 some records failed, 4 deadline reached."""
    dirs = RunDirs(state_dir=state_dir, report_dir=report_dir)
    store = StateStore.from_env(state_dir, os.environ)
    manifests, plan, use = _manifests(
        files, plan_file, dirs, store=store, max_plan_age=max_plan_age
    )
    timings.mark("validated")
    _check_job_options(manifests, replace or [], retry_failed or [])
    connection, clock = connect(sim=sim)  # reads the environment; sends nothing
    notes = preflight(manifests, state_dir=state_dir, report_dir=report_dir)
    for note in notes:
        print(note, file=sys.stderr)
    confirm(connection, yes=yes, action="apply")
    options = SessionOptions(
        report_dir=report_dir, state_dir=state_dir, concurrency=concurrency,
        deadline=deadline, replace=frozenset(replace or ()),
        retry_failed=frozenset(retry_failed or ()), abandon=abandon, plan=use,
        state_url=store.url,
    )  # fmt: skip
    precheck = _prechecks(plan, manifests)
    # The run's collector settings (runner.heap) last through the reports: restored
    # at the session's end, the job's 50,000 young outcomes made the reports' first
    # allocations walk them and then the whole heap again (issue 13).
    with run_gc():
        session = run_session(manifests, connection, clock, options, precheck=precheck)
        run_result = run_to_end(session)
        timings.mark("session")
        write_and_summarise(run_result, report_dir)
    timings.mark("reported")
    return run_result.exit_code
