"""Words and figures every renderer shares, so text and Markdown say the same thing."""

from __future__ import annotations

from dataclasses import dataclass

from runner.plan.model import JobPlan, Plan, Step

SUMMARY_HEADERS = (
    "#",
    "job",
    "kind",
    "module",
    "selector",
    "records",
    "calls",
    "polls",
    "credits",
    "destructive",
)


def records(job: JobPlan) -> str:
    """A record count, or why it is unknown."""
    if job.record_count is not None:
        return f"{job.record_count:,}"
    return "unknown offline" if job.selector == "cvid" else "all matching"


def credits(value: int, estimated: bool) -> str:
    return f"~{value:,}" if estimated else f"{value:,}"


def summary_cells(job: JobPlan) -> tuple[str, ...]:
    """One summary row, in SUMMARY_HEADERS order."""
    return (
        str(job.order),
        job.name,
        job.kind,
        job.module,
        job.selector,
        records(job),
        f"{job.calls:,}",
        f"{job.polls:,}",
        credits(job.credits, job.credits_estimated),
        "DESTRUCTIVE" if job.destructive else "",
    )


def totals_line(plan: Plan) -> str:
    """One line of totals and the target."""
    target = f"org {plan.target}" if plan.target else "offline (no org checked)"
    return (
        f"{len(plan.jobs)} job(s) · {plan.calls:,} call(s) · {plan.polls:,} poll loop(s) · "
        f"{credits(plan.credits, plan.credits_estimated)} credits (polls not counted) · "
        f"target: {target}"
    )


def job_warnings(plan: Plan) -> list[str]:
    """Manifest warnings, then the planner's per-job warnings, as lines."""
    lines = [str(w) for w in plan.warnings]
    lines += [f"{j.name}: {w}" for j in plan.jobs for w in j.warnings]
    return lines


@dataclass(frozen=True)
class StepRow:
    """One or more consecutive steps that differ only in their batch number."""

    first: Step
    last: Step

    @property
    def seq(self) -> str:
        return _span(self.first.seq, self.last.seq)

    @property
    def batch(self) -> str:
        if self.first.batch is None or self.last.batch is None:
            return ""
        return _span(self.first.batch, self.last.batch)


def _span(a: int, b: int) -> str:
    return str(a) if a == b else f"{a}–{b}"


def _same_but_batch(a: Step, b: Step) -> bool:
    return (
        (a.method, a.path, a.purpose, a.batch_size, a.polls, a.body_summary)
        == (b.method, b.path, b.purpose, b.batch_size, b.polls, b.body_summary)
        and a.batch is not None
        and b.batch == a.batch + 1
    )


def collapsed(steps: tuple[Step, ...]) -> list[StepRow]:
    """Runs of identical batches (500 ids each …) folded into one row."""
    rows: list[StepRow] = []
    for step in steps:
        if rows and _same_but_batch(rows[-1].last, step):
            rows[-1] = StepRow(rows[-1].first, step)
        else:
            rows.append(StepRow(step, step))
    return rows


def scope_lines(plan: Plan) -> list[str]:
    """The scopes to grant, probable ones marked."""
    return list(plan.scopes) + [f"{s} (probable)" for s in plan.probable_scopes]
