"""`zcrm-runner plan`: preview every call offline; nothing is written except `--out`.

Exit codes: 0 on success; with --detailed-exitcode 0 when there is nothing to do and 2
when there are changes: a job the apply-once ledger (the state dir) has applied is no
change, nor is a bulk read (it changes nothing on the org, though apply runs it).
Errors raise (ManifestError, RunnerError) and cli.py maps them to 1.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from rich.console import Console

from runner.commands._preflight import existing_dir_problem, prepare_out
from runner.commands._target import connect
from runner.errors import ManifestError, TargetError, UsageError
from runner.execute.executor import file_hashes
from runner.execute.fingerprint import job_fingerprint
from runner.execute.journal import DB_NAME
from runner.execute.journal_read import JournalReader
from runner.execute.ledger_view import plan_ledger
from runner.execute.target import env_connection, limited
from runner.manifest.model import Manifest
from runner.manifest.problems import Problem
from runner.manifest.rules_paths import RunDirs
from runner.manifest.validate import load_manifests
from runner.plan.build import build_plan
from runner.plan.facts import gather_facts
from runner.plan.file import save_plan
from runner.plan.model import OrgFacts, Plan
from runner.plan.online_rules import check_fields_online
from runner.plan.render_json import render_json
from runner.plan.render_markdown import render_markdown
from runner.plan.render_text import render_text, text_renderables
from runner.zoho.client import ZohoClient

FORMATS = ("text", "json", "markdown")


def _online_facts(manifests: Sequence[Manifest], *, sim: bool) -> OrgFacts:
    """Counts from the org (cvid views) through read-only calls: --sim or ZOHO_* env."""
    connection, clock = connect(sim=sim)

    async def gather() -> tuple[OrgFacts, list[Problem]]:
        async with ZohoClient(
            connection.target, clock=clock, transport=limited(connection, 5)
        ) as client:
            return await gather_facts(client, manifests), await check_fields_online(
                client, manifests
            )

    facts, problems = asyncio.run(gather())
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise ManifestError(errors)
    return facts


def _emit(plan: Plan, format: str) -> None:
    if format == "json":
        sys.stdout.write(render_json(plan))
    elif format == "markdown":
        sys.stdout.write(render_markdown(plan))
    elif sys.stdout.isatty():
        console = Console()
        for part in text_renderables(plan):
            console.print(part)
    else:
        sys.stdout.write(render_text(plan))


def run(
    *,
    files: list[Path],
    format: str = "text",
    out: Path | None = None,
    detailed_exitcode: bool = False,
    online: bool = False,
    sim: bool = False,
    state_dir: Path = Path(".zcrm"),
) -> int:
    """Load and validate the manifests, plan them, print the plan, optionally save it."""
    if format not in FORMATS:
        raise UsageError(f"unknown format {format!r}; choose one of {', '.join(FORMATS)}")
    if sim and not online:
        raise UsageError("--sim only chooses the org for --online; add --online or drop --sim")
    why = existing_dir_problem(state_dir)  # plan only reads the journal, if there is one
    if why is not None:
        raise UsageError(f"--state-dir {state_dir}: {why}; name the folder of the journal")
    checked = load_manifests(files, dirs=RunDirs(state_dir=state_dir))
    for warning in checked.warnings:
        print(warning, file=sys.stderr)
    if out is not None:
        prepare_out(out, checked.manifests, state_dir=state_dir)
    facts = _online_facts(checked.manifests, sim=sim) if online else None
    plan = build_plan(checked.manifests, warnings=checked.warnings, facts=facts)
    if not sim:
        plan = _with_ledger(plan, checked.manifests, state_dir, facts)
    _emit(plan, format)
    if out is not None:
        try:
            save_plan(plan, out)
        except OSError as exc:
            raise UsageError(f"--out {out}: cannot write the plan: {exc.strerror}") from exc
        print(f"plan saved to {out}", file=sys.stderr)
    if detailed_exitcode:
        return 2 if any(job.changes for job in plan.jobs) else 0
    return 0


def _with_ledger(
    plan: Plan, manifests: Sequence[Manifest], state_dir: Path, facts: OrgFacts | None
) -> Plan:
    """The plan as apply-once will run it: jobs the ledger has applied send nothing."""
    reader = JournalReader.open_read_only(state_dir / DB_NAME)
    if reader is None:
        return plan
    jobs = {job.name: job for m in manifests for job in m.jobs if job.kind != "bulk_read"}
    try:
        keyed = {name: (job, job_fingerprint(job, file_hashes(job))) for name, job in jobs.items()}
        known = plan_ledger(
            reader, keyed, org_id=facts.org_id if facts else None, api_domain=_env_api_domain()
        )
    finally:
        reader.close()
    planned = []
    for job in plan.jobs:
        entry = known.get(job.name)
        if entry is None:
            planned.append(job)
        elif entry[0] == "APPLIED":
            planned.append(replace(job, ledger="APPLIED", steps=(), credits=0,
                                   notes=(entry[1], *job.notes)))  # fmt: skip
        else:
            planned.append(replace(job, ledger="UNKNOWN", warnings=(entry[1], *job.warnings)))
    return replace(plan, jobs=tuple(planned))


def _env_api_domain() -> str | None:
    """The environment's target, without asking it anything (None when there is none)."""
    try:
        return env_connection(os.environ).target.api_domain
    except TargetError:
        return None
