"""Words and figures every renderer shares, so text and Markdown say the same thing."""

from __future__ import annotations

from dataclasses import dataclass

from runner.plan.model import FieldDiff, JobPlan, Plan, Step, ValueDiff

IDS_SHOWN = 5  # ids a text or Markdown plan names before the count (JSON has them all)
VALUES_SHOWN = 10  # current values a field's line names, most common first
MASS_KINDS = ("mass_update", "mass_delete")
OFFLINE_VALUES = "values unknown offline: plan --online reads the records"

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
    target = target_text(plan)
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


def target_text(plan: Plan) -> str:
    return f"org {plan.target}" if plan.target else "offline (no org checked)"


def ids_line(job: JobPlan) -> str | None:
    """The first few ids and how many there are; None for a job without ids."""
    if not job.ids:
        return None
    more = f", … {len(job.ids) - IDS_SHOWN:,} more" if len(job.ids) > IDS_SHOWN else ""
    return f"ids ({len(job.ids):,}): {', '.join(job.ids[:IDS_SHOWN])}{more}"


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" if n == 1 else f"{n:,} {word}s"


def _sample(job: JobPlan, diff: ValueDiff) -> str:
    """What was read, always saying whether it is a sample ("sampled 2,000 of 48,112")."""
    if not diff.sampled:
        return f"read all {_plural(diff.asked, 'record')}"
    where = " spread over the ids" if job.selector == "ids" else ", the view's first"
    of = f"of {diff.total:,}" if diff.total is not None else "of more (the total is unknown)"
    return f"sampled {diff.asked:,} {of} records{where}"


def _extras(job: JobPlan, diff: ValueDiff) -> str:
    """Ids the org lacks, what a view read covers, and what the reads cost."""
    text = ""
    if diff.found < diff.asked:
        read = "ids" if not diff.sampled else f"{diff.asked:,} ids read"
        text += f"; {diff.asked - diff.found:,} of the {read} are not in the org"
    if diff.scope:
        text += f"; {diff.scope}"
    tilde = "~" if job.selector == "cvid" else ""
    return f"{text} · {_plural(diff.calls, 'GET')}, {tilde}{_plural(diff.credits, 'credit')}"


def field_line(change: FieldDiff) -> str:
    """`Stage: Qualification 120, Negotiation/Review 45 → Closed Won; 30 already Closed Won`."""
    new = change.new_value
    shown = change.changes[:VALUES_SHOWN]
    parts = [f"{c.value} {c.records:,}" for c in shown]
    rest = change.changes[VALUES_SHOWN:]
    if rest:
        parts.append(f"{len(rest):,} other values {sum(c.records for c in rest):,}")
    already = f"{change.unchanged:,} already {new}" if change.unchanged else ""
    if not parts:
        return f"{change.field}: nothing to change" + (f"; {already}" if already else "")
    return f"{change.field}: {', '.join(parts)} → {new}" + (f"; {already}" if already else "")


def diff_lines(job: JobPlan) -> tuple[str, list[str]] | None:
    """A mass job's value diff as a head line and its items (one per field, or per record a
    delete removes), the head without a closing colon; None for other kinds and for jobs
    apply will not send."""
    if job.kind not in MASS_KINDS or job.ledger == "APPLIED":
        return None
    diff = job.diff
    if diff is None:
        return OFFLINE_VALUES, []
    if diff.error is not None:
        return f"values not read: {diff.error}", []
    if job.kind == "mass_update":
        head = f"values now ({_sample(job, diff)}{_extras(job, diff)})"
        return head, [field_line(f) for f in diff.fields]
    total = diff.total if diff.total is not None else job.record_count
    count = f"deletes {total:,} records" if total is not None else "deletes the view's records"
    if not diff.records:
        return f"{count}; none of them found{_extras(job, diff)}", []
    some = len(diff.records) < (total or 0)
    first = f"the first {len(diff.records)}" if some else f"all {len(diff.records)}"
    named = f"id, {diff.name_field}" if diff.name_field else "id"
    items = [f"{r.id} {r.name if r.name is not None else '(no name)'}" for r in diff.records]
    return f"{count}; {first} ({named}){_extras(job, diff)}", items
