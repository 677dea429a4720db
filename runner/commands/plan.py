"""`zcrm-runner plan`: preview every call offline; nothing is written except `--out`.

Exit codes: 0 on success; with --detailed-exitcode 0 when there is nothing to do and 2
when there are changes: a job the apply-once ledger (the state dir) has applied is no
change, nor is a bulk read (it changes nothing on the org, though apply runs it).
Errors raise (ManifestError, RunnerError) and cli.py maps them to 1.

`--show PLAN.json` renders a saved plan instead of making one, so one plan can become a
pull-request comment and a longer step summary with the same sha256 (docs/GITOPS.md).
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from rich.console import Console

from runner.commands._preflight import existing_dir_problem, prepare_out
from runner.commands._target import connect
from runner.errors import ManifestError, TargetError, UsageError
from runner.execute.executor import file_hashes
from runner.execute.fingerprint import job_fingerprint
from runner.execute.ledger_view import plan_ledger
from runner.execute.state_store import StateStore
from runner.execute.target import env_connection, limited
from runner.manifest.model import Manifest
from runner.manifest.problems import Problem
from runner.manifest.rules_paths import RunDirs
from runner.manifest.validate import load_manifests
from runner.plan.build import build_plan, settled_warnings
from runner.plan.diffs import DIFF_LIMIT, gather_diffs
from runner.plan.facts import gather_facts
from runner.plan.file import load_plan, save_plan
from runner.plan.model import OrgFacts, Plan
from runner.plan.online_rules import check_fields_online
from runner.plan.render_json import render_json
from runner.plan.render_markdown import LIMIT_BYTES, MIN_BYTES, render_markdown
from runner.plan.render_text import render_text, text_renderables
from runner.zoho.client import ZohoClient

FORMATS = ("text", "json", "markdown")
# A marker sits inside an HTML comment and a shell variable: nothing that could end either.
MARKER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,63}")
# A link target in Markdown: no spaces, quotes, parentheses or angle brackets.
DETAILS_URL = re.compile(r"https?://[A-Za-z0-9._~:/?#@!$&*+,;=%-]{1,300}")
ONLINE_CONCURRENCY = 5  # plan --online's calls in flight at once


def _online_facts(manifests: Sequence[Manifest], *, sim: bool, diff_limit: int) -> OrgFacts:
    """What the org says, through read-only calls (--sim or ZOHO_* env): its id, the views'
    counts, field problems (raised), then each mass job's current values."""
    connection, clock = connect(sim=sim)

    async def gather() -> OrgFacts:
        async with ZohoClient(
            connection.target, clock=clock, transport=limited(connection, ONLINE_CONCURRENCY)
        ) as client:
            facts = await gather_facts(client, manifests)
            problems = await check_fields_online(client, manifests)
            errors = [p for p in problems if p.severity == "error"]
            if errors:  # a diff of fields the org refuses would only repeat the refusal
                raise ManifestError(errors)
            diffs = await gather_diffs(
                client,
                manifests,
                counts=facts.cvid_counts,
                limit=diff_limit,
                in_flight=ONLINE_CONCURRENCY,
            )
            return replace(facts, diffs=diffs)

    return asyncio.run(gather())


def _check_markdown_options(
    format: str, comment_marker: str | None, max_bytes: int | None, details_url: str | None
) -> None:
    """The Markdown-only options: given with --format markdown, and well formed."""
    given = [
        flag
        for flag, value in (
            ("--comment-marker", comment_marker),
            ("--max-bytes", max_bytes),
            ("--details-url", details_url),
        )
        if value is not None
    ]
    if given and format != "markdown":
        raise UsageError(f"{', '.join(given)} shape(s) the Markdown plan; add --format markdown")
    if comment_marker is not None and not MARKER.fullmatch(comment_marker):
        raise UsageError(
            f"--comment-marker {comment_marker!r}: use 1 to 64 letters, digits, '.', '_', '-' "
            "or '/', starting with a letter or digit (a target's name, such as production)"
        )
    if max_bytes is not None and max_bytes < MIN_BYTES:
        raise UsageError(
            f"--max-bytes {max_bytes}: at least {MIN_BYTES:,}, room for the summary and totals"
        )
    if details_url is not None and not DETAILS_URL.fullmatch(details_url):
        raise UsageError(
            f"--details-url {details_url!r}: give an http(s) URL of at most 300 characters, "
            "without spaces, quotes, parentheses or angle brackets"
        )


@dataclass(frozen=True)
class MarkdownOptions:
    """How --format markdown frames the plan: its comment marker, size and cut note's link."""

    marker: str | None = None
    max_bytes: int = LIMIT_BYTES
    details_url: str | None = None


def _emit(plan: Plan, format: str, markdown: MarkdownOptions) -> None:
    if format == "json":
        sys.stdout.write(render_json(plan))
    elif format == "markdown":
        sys.stdout.write(
            render_markdown(
                plan,
                limit=markdown.max_bytes,
                marker=markdown.marker,
                details_url=markdown.details_url,
            )
        )
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
    show: Path | None = None,
    comment_marker: str | None = None,
    max_bytes: int | None = None,
    details_url: str | None = None,
    diff_limit: int = DIFF_LIMIT,
) -> int:
    """Load and validate the manifests, plan them, print the plan, optionally save it;
    or, with `show`, print a saved plan.

    Online, each mass job's records are read (up to `diff_limit` a job) for its diff."""
    if format not in FORMATS:
        raise UsageError(f"unknown format {format!r}; choose one of {', '.join(FORMATS)}")
    _check_markdown_options(format, comment_marker, max_bytes, details_url)
    markdown = MarkdownOptions(comment_marker, max_bytes or LIMIT_BYTES, details_url)
    if show is not None:
        if files or out is not None or online or sim:
            raise UsageError(
                "--show prints a saved plan: give no manifest files, --out, --online or --sim"
            )
        plan = load_plan(show)
        _emit(plan, format, markdown)
        return 2 if detailed_exitcode and _changes(plan) else 0
    if not files:
        raise UsageError("give the manifest files to plan, or --show PLAN.json")
    if sim and not online:
        raise UsageError("--sim only chooses the org for --online; add --online or drop --sim")
    if diff_limit < 1:
        raise UsageError(f"--diff-limit must be 1 or more, not {diff_limit}")
    why = existing_dir_problem(state_dir)  # plan only reads the journal, if there is one
    if why is not None:
        raise UsageError(f"--state-dir {state_dir}: {why}; name the folder of the journal")
    checked = load_manifests(files, dirs=RunDirs(state_dir=state_dir))
    if not online:
        _print_warnings(checked.warnings)
    if out is not None:
        prepare_out(out, checked.manifests, state_dir=state_dir)
    facts = _online_facts(checked.manifests, sim=sim, diff_limit=diff_limit) if online else None
    if online:  # the counts settle validate's "depends on the view's count" warnings
        _print_warnings(settled_warnings(checked.manifests, checked.warnings, facts))
    plan = build_plan(checked.manifests, warnings=checked.warnings, facts=facts)
    if not sim:
        store = StateStore.from_env(state_dir, os.environ)
        plan = _with_ledger(plan, checked.manifests, store, facts)
    _emit(plan, format, markdown)
    if out is not None:
        try:
            save_plan(plan, out)
        except OSError as exc:
            raise UsageError(f"--out {out}: cannot write the plan: {exc.strerror}") from exc
        print(f"plan saved to {out}", file=sys.stderr)
    return 2 if detailed_exitcode and _changes(plan) else 0


def _changes(plan: Plan) -> bool:
    """Whether a job would send something (--detailed-exitcode's 2)."""
    return any(job.changes for job in plan.jobs)


def _print_warnings(warnings: Sequence[Problem]) -> None:
    for warning in warnings:
        print(warning, file=sys.stderr)


def _with_ledger(
    plan: Plan, manifests: Sequence[Manifest], store: StateStore, facts: OrgFacts | None
) -> Plan:
    """The plan as apply-once will run it: jobs the ledger has applied send nothing."""
    reader = store.read_only()
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
