"""report.md (summary table first, then errors and failed records) and the terminal summary.

Failed records are capped per job (`MAX_RECORDS`, default 50) with a pointer to the job's
outcomes CSV for the rest, so the file stays readable in a pull-request comment. Table
cells are escaped (`|`, newlines, `<`) because codes and messages come from Zoho.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from runner.outcome import RecordOutcome
from runner.report.build import EXIT_MEANING, iso, resume_command
from runner.results import JobResult, RunResult, error_text, record_details, with_details

MAX_RECORDS = 50
MAX_REASONS = 3  # kinds of record failure the terminal summary names per job


def cell(value: object) -> str:
    """Text safe inside a Markdown table cell."""
    text = "" if value is None else str(value)
    text = text.replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;")
    return " ".join(text.split())


def _count(job: JobResult, key: str) -> str:
    value = job.counts.get(key)
    return "" if value is None else str(value)


def _seconds(value: float | None) -> str:
    return "" if value is None else f"{value:.1f} s"


def _outcomes_file(job: JobResult) -> str | None:
    return next((f.path for f in job.files if f.kind == "outcomes"), None)


def _table(run: RunResult) -> Iterable[str]:
    yield "| Job | Kind | Module | Status | Total | Succeeded | Failed | Polls | Duration |"
    yield "|---|---|---|---|--:|--:|--:|--:|--:|"
    for j in run.jobs:
        failed = "unknown" if j.counts_unknown else str(j.records_failed)
        succeeded = "unknown" if j.counts_unknown else _count(j, "succeeded")
        counts = (_count(j, "total"), succeeded, failed)
        head = f"| {cell(j.name)} | {cell(j.kind)} | {cell(j.module)} | **{j.status}** |"
        yield f"{head} {' | '.join(counts)} | {j.polls} | {_seconds(j.duration)} |"


def _errors(run: RunResult) -> Iterable[str]:
    jobs = [j for j in run.jobs if j.errors]
    if not jobs:
        return
    yield "## Errors"
    for j in jobs:
        yield ""
        yield f"### {cell(j.name)}"
        for e in j.errors:
            yield f"- `{cell(e.code)}`: {cell(with_details(e.message, e.details))}"
    yield ""


def _unnamed(job: JobResult) -> str:
    """How to find the failed records of a job by custom view, which Zoho does not name."""
    cvid = cell(job.cvid)
    export = f'export it with a `bulk_read` job (`cvid: "{cvid}"`'
    if job.kind == "mass_delete":
        find = f"{export}): the records still in the view are the ones it did not delete"
    else:
        find = (
            f"{export}, the fields the job set in `fields:`): the records without the new "
            "values are the ones that failed"
        )
    return (
        "Zoho reports only counts for a job by custom view: it does not name the "
        f"{job.records_failed} record(s) that failed. To find them, open the view "
        f"(cvid {cvid}) in Zoho CRM, or {find}."
    )


def _failed_records(run: RunResult, cap: int) -> Iterable[str]:
    jobs = [j for j in run.jobs if j.failed_outcomes or j.failures_unnamed]
    if not jobs:
        return
    yield "## Failed records"
    for j in jobs:
        failed = j.failed_outcomes
        yield ""
        if not failed:
            yield f"### {cell(j.name)} ({j.records_failed} failed)"
            yield ""
            yield _unnamed(j)
            continue
        yield f"### {cell(j.name)} ({len(failed)} failed)"
        yield ""
        yield "| Record | Code | Message |"
        yield "|---|---|---|"
        for o in failed[:cap]:
            message = with_details(o.message, record_details(o))
            yield f"| {cell(o.record_id)} | `{cell(o.code)}` | {cell(message)} |"
        if len(failed) > cap:
            where = _outcomes_file(j) or "the job's outcomes CSV"
            yield ""
            yield f"… {len(failed) - cap} more in `{where}`"
    yield ""


def render_markdown(run: RunResult, *, max_records: int = MAX_RECORDS) -> str:
    """The whole report.md."""
    meaning = EXIT_MEANING.get(run.exit_code, "error")
    target = run.target
    org = f", org {target.org_id}" if target.org_id else ""
    lines = [
        f"# zcrm-runner run `{cell(run.run_id)}`",
        "",
        f"**Exit {run.exit_code}: {meaning}.** Target: {target.kind} "
        f"({cell(target.api_domain)}{cell(org)}). Started {iso(run.started_at)}, "
        f"took {_seconds(run.duration) or 'unknown'}.",
        "",
        *_table(run),
        "",
    ]
    resume = resume_command(run)
    if resume:
        lines += [
            f"> {len(run.running_jobs)} job(s) still running on Zoho at the deadline. "
            f"Resume with: `{resume}`",
            "",
        ]
    lines += list(_errors(run))
    lines += list(_failed_records(run, max_records))
    skipped = [j for j in run.jobs if j.status in ("SKIPPED", "UNCHANGED")]
    if skipped:
        lines += ["## Not run", ""]
        lines += [f"- {cell(j.name)} ({j.status}): {cell(j.skipped_reason or '')}" for j in skipped]
        lines.append("")
    return "\n".join(lines)


def summary_lines(run: RunResult) -> list[str]:
    """A one-screen text summary for the end of `apply`/`resume` (plain text, no Markdown)."""
    meaning = EXIT_MEANING.get(run.exit_code, "error")
    took = _seconds(run.duration) or "an unknown time"
    org = f" org {run.target.org_id}" if run.target.org_id else ""
    lines = [
        f"Run {run.run_id}: exit {run.exit_code} ({meaning}) in {took}, {run.target.kind}{org}"
    ]
    width = max((len(j.name) for j in run.jobs), default=0)
    for j in run.jobs:
        parts = [f"{j.name:<{width}}", f"{j.kind:<11}", f"{j.module:<12}", f"{j.status:<9}"]
        if j.counts_unknown:
            seen = j.counts.get("view_count")
            parts.append(f"{seen} in view, counts unknown" if seen else "counts unknown")
        elif "total" in j.counts:
            parts.append(f"{j.counts.get('succeeded', 0)}/{j.counts['total']} ok")
        if j.records_failed:
            parts.append(f"{j.records_failed} failed")
        if j.errors:
            parts.append(", ".join(e.code for e in j.errors))
        if j.skipped_reason:
            parts.append(j.skipped_reason)
        lines.append("  " + "  ".join(parts).rstrip())
        lines += [f"    {reason}" for reason in _reasons(j)]
    resume = resume_command(run)
    if resume:
        lines.append(f"Jobs still running on Zoho. Resume with: {resume}")
    return lines


def _what_zoho_said(outcome: RecordOutcome) -> tuple[str, str]:
    """A failed record's code and message with its details; at once for the usual record,
    whose only detail is its own id (a 50,000-record job may fail thousands)."""
    details = outcome.details
    if not details or (len(details) == 1 and str(details.get("id")) == outcome.record_id):
        return outcome.code, outcome.message
    return outcome.code, with_details(outcome.message, record_details(outcome))


def _reasons(job: JobResult) -> list[str]:
    """Why a job failed, a line each: its errors, then its failed records grouped by what
    Zoho said (`INVALID_DATA x2: invalid data (api_name: Email)`), most frequent first."""
    reasons = [e.text for e in job.errors]
    said = Counter(map(_what_zoho_said, job.failed_outcomes))
    reasons += [
        error_text(f"{code} x{n}", text, {}) for (code, text), n in said.most_common(MAX_REASONS)
    ]
    if len(said) > MAX_REASONS:
        reasons.append(f"… {len(said) - MAX_REASONS} other kinds of record failure in report.md")
    if job.failures_unnamed:
        reasons.append(
            "Zoho names no failed record of a job by custom view: report.md says how to find them"
        )
    return reasons
