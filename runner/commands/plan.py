"""`zcrm-runner plan`: preview every call offline; nothing is written except `--out`.

Exit codes: 0 on success; with --detailed-exitcode 0 when there is nothing to do and 2
when there are changes. Errors raise (ManifestError, RunnerError) and cli.py maps them to 1.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console

from runner.commands._target import connect
from runner.errors import ManifestError, UsageError
from runner.execute.target import limited
from runner.manifest.model import Manifest
from runner.manifest.problems import Problem
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
) -> int:
    """Load and validate the manifests, plan them, print the plan, optionally save it."""
    if format not in FORMATS:
        raise UsageError(f"unknown format {format!r}; choose one of {', '.join(FORMATS)}")
    if sim and not online:
        raise UsageError("--sim only chooses the org for --online; add --online or drop --sim")
    checked = load_manifests(files)
    for warning in checked.warnings:
        print(warning, file=sys.stderr)
    facts = _online_facts(checked.manifests, sim=sim) if online else None
    plan = build_plan(checked.manifests, warnings=checked.warnings, facts=facts)
    _emit(plan, format)
    if out is not None:
        save_plan(plan, out)
        print(f"plan saved to {out}", file=sys.stderr)
    if detailed_exitcode:
        return 2 if plan.jobs else 0
    return 0
