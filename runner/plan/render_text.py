"""The plan for a terminal: a rich table per section, plain text when not on a terminal."""

from __future__ import annotations

import io

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from runner.plan import summary
from runner.plan.model import JobPlan, Plan


def _summary_table(plan: Plan) -> Table:
    table = Table(title="Plan", title_justify="left")
    for header in summary.SUMMARY_HEADERS:
        numeric = header in ("#", "records", "calls", "polls", "credits")
        table.add_column(header, justify="right" if numeric else "left", overflow="fold")
    for job in plan.jobs:
        style = "bold red" if job.destructive else ""
        table.add_row(*(Text(c, style=style) for c in summary.summary_cells(job)))
    return table


def _steps_table(job: JobPlan) -> Table:
    title = Text(f"{job.order}. {job.name} ({job.kind}, {job.module})")
    if job.destructive:
        title.append("  DESTRUCTIVE", style="bold red")
    table = Table(title=title, title_justify="left")
    for header in ("step", "method", "path", "batch", "size", "purpose", "body"):
        # fold: a long path or value wraps onto the next line, never cut with "…" (issue 12)
        right = header in ("step", "size")
        table.add_column(header, justify="right" if right else "left", overflow="fold")
    for row in summary.collapsed(job.steps):
        step = row.first
        size = "" if step.batch_size is None else f"{step.batch_size:,}"
        each = " each" if row.first is not row.last and size else ""
        purpose = step.purpose + (" (repeats)" if step.polls else "")
        host = "" if step.host == "api" else f"[{step.host}] "
        cells = (
            row.seq,
            step.method,
            host + step.path,
            row.batch,
            size + each,
            purpose,
            step.body_summary,
        )
        table.add_row(*(Text(c) for c in cells))  # Text: no markup read from manifests
    return table


def _values(job: JobPlan) -> Text | None:
    """The job's ids (the first few), then what it changes: its value diff."""
    lines: list[str] = []
    ids = summary.ids_line(job)
    if ids:
        lines.append(f"  {ids}")
    diff = summary.diff_lines(job)
    if diff is not None:
        head, items = diff
        lines.append(f"  {head}" + (":" if items else ""))
        lines += [f"    {item}" for item in items]
    return Text("\n".join(lines)) if lines else None


def _notes(job: JobPlan) -> Text:
    return Text("\n".join(f"  note: {n}" for n in job.notes), style="dim")


def text_renderables(plan: Plan) -> list[RenderableType]:
    """Summary, then each job's batches, then warnings and scopes."""
    parts: list[RenderableType] = [_summary_table(plan), Text(summary.totals_line(plan))]
    if not plan.jobs:
        parts.append(Text("Nothing to do: the manifests hold no jobs."))
    for job in plan.jobs:
        values = _values(job)
        parts += [Text(""), _steps_table(job), *([values] if values else []), _notes(job)]
    warnings = summary.job_warnings(plan)
    if warnings:
        lines = "\n".join(f"  {w}" for w in warnings)
        parts += [Text(""), Text("Warnings", style="bold yellow"), Text(lines, style="yellow")]
    scopes = summary.scope_lines(plan)
    if scopes:
        parts += [
            Text(""),
            Text("OAuth scopes needed", style="bold"),
            Text("\n".join(f"  {s}" for s in scopes)),
        ]
    return parts


def render_text(plan: Plan, *, width: int = 160) -> str:
    """Plain text (no colour codes), for pipes, files and tests."""
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, color_system=None, force_terminal=False)
    console.print(Group(*text_renderables(plan)))
    return buffer.getvalue()
