"""The plan as one pull-request comment: a heading naming the manifests and the target,
the summary table, then each job's details folded (steps, first ids, value diff), ≤ 60 kB.

GitHub caps a comment at 65,536 characters; we keep a margin. When everything does not
fit, each job's step list is cut to the same number of rows ("… N more batches"), and if
even that is too much, later jobs' details are left out; the summary always stays, and a
note under the totals says the comment was cut and where the whole plan is. A job's ids
and value diff are bounded on their own (summary.IDS_SHOWN, VALUES_SHOWN).

Two hidden lines open every rendering: the plan's sha256 (its identity, the one the
journal records when `apply --plan` runs it), and with a marker, the line a CI job looks
for to update its one comment instead of adding another (docs/GITOPS.md).
"""

from __future__ import annotations

from collections.abc import Sequence

from runner.plan import summary
from runner.plan.codec import plan_identity
from runner.plan.model import JobPlan, Plan, Step

LIMIT_BYTES = 60_000  # under GitHub's 65,536 characters for a comment, with a margin
MIN_BYTES = 8_000  # room for the hidden lines, the totals and 20 destructive job names
MARKER_PREFIX = "<!-- zcrm-runner plan: "
HASH_PREFIX = "<!-- zcrm-runner plan sha256: "
_CUT_NOTE_ROOM = 600  # the note's size, reserved before we know whether it is needed
MANIFESTS_NAMED = 10  # the heading names this many manifests, then counts the rest
_STEP_HEADERS = ("step", "method", "path", "batch", "size", "purpose", "body")


def _cell(text: str) -> str:
    """Table-safe and HTML-inert: manifests are untrusted input in a PR comment."""
    for old, new in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("|", "\\|"), ("`", "'")):
        text = text.replace(old, new)
    return " ".join(text.split())


def _row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |\n"


def _table_head(headers: Sequence[str]) -> str:
    return _row(headers) + _row(["---"] * len(headers))


def _size(text: str) -> int:
    return len(text.encode("utf-8"))


def _summary(plan: Plan, budget: int) -> tuple[str, bool]:
    """The summary table, cut with a last row saying how many jobs it leaves out; and
    whether it was cut."""
    out = _table_head(summary.SUMMARY_HEADERS)
    for n, job in enumerate(plan.jobs):
        cells = list(summary.summary_cells(job))
        cells[1] = f"`{_cell(job.name)}`"
        cells[9] = "**DESTRUCTIVE**" if job.destructive else ""
        row = _row([_cell(c) if i != 1 else c for i, c in enumerate(cells)])
        if _size(out) + _size(row) > budget:
            return out + _row([f"… {len(plan.jobs) - n:,} more jobs", *[""] * 9]), True
        out += row
    return out, False


def _head(plan: Plan) -> str:
    text = f"\n**{_cell(summary.totals_line(plan))}**\n"
    destructive = [j for j in plan.jobs if j.destructive]
    if destructive:
        names = ", ".join(f"`{_cell(j.name)}`" for j in destructive[:20])
        more = f" and {len(destructive) - 20} more" if len(destructive) > 20 else ""
        text += (
            f"\n> [!WARNING]\n> {len(destructive)} destructive job(s): {names}{more}. "
            "Deleted records stay in the Recycle Bin for 60 days.\n"
        )
    if not plan.jobs:
        text += "\nNothing to do: the manifests hold no jobs.\n"
    return text


def _tail(plan: Plan, budget: int) -> tuple[str, bool]:
    """Warnings and scopes, each list cut to the budget; and whether one was cut."""
    text, cut = "", False
    for title, lines, fmt in (
        ("Warnings", summary.job_warnings(plan), "- {}\n"),
        ("OAuth scopes", summary.scope_lines(plan), "- `{}`\n"),
    ):
        if not lines:
            continue
        text += f"\n#### {title}\n\n"
        for n, line in enumerate(lines):
            item = fmt.format(_cell(line))
            if _size(text) + _size(item) > budget:
                text += f"- … {len(lines) - n} more\n"
                cut = True
                break
            text += item
    return text, cut


def _step_row(step: Step) -> str:
    size = "" if step.batch_size is None else f"{step.batch_size:,}"
    host = "" if step.host == "api" else f"[{step.host}] "
    purpose = step.purpose + (" (repeats)" if step.polls else "")
    batch = "" if step.batch is None else str(step.batch)
    cells = (
        str(step.seq),
        step.method,
        f"{host}{step.path}",
        batch,
        size,
        purpose,
        step.body_summary,
    )
    return _row([_cell(c) for c in cells])


def _values(job: JobPlan) -> str:
    """The job's first ids and its value diff, under its step table (issue 12)."""
    text = ""
    ids = summary.ids_line(job)
    if ids:
        text += f"\n{_cell(ids)}\n"
    diff = summary.diff_lines(job)
    if diff is not None:
        head, items = diff
        text += f"\n**{_cell(head)}**" + (":\n\n" if items else "\n")
        text += "".join(f"* {_cell(item)}\n" for item in items)  # "*": not the notes' list
    return text


class _Details:
    """One job's folded block, renderable with its step list cut to any length."""

    def __init__(self, job: JobPlan) -> None:
        self.job = job
        mark = " · **DESTRUCTIVE**" if job.destructive else ""
        self.open = (
            f"<details><summary>{job.order}. <code>{_cell(job.name)}</code> · {job.kind} · "
            f"{_cell(job.module)} · {job.calls:,} call(s){mark}</summary>\n\n"
            + _table_head(_STEP_HEADERS)
        )
        notes = "".join(f"- {_cell(n)}\n" for n in job.notes)
        self.close = _values(job) + ("\n" + notes if notes else "") + "\n</details>\n"
        self.rows = [_step_row(s) for s in job.steps]
        self.sizes = [_size(r) for r in self.rows]
        self.fixed = _size(self.open) + _size(self.close)

    def _more(self, cap: int) -> str:
        hidden = self.job.steps[cap:]
        if not hidden:
            return ""
        batches = {s.batch for s in hidden if s.batch is not None}
        shown = {s.batch for s in self.job.steps[:cap]}
        extra = len(batches - shown)
        what = f"{extra:,} more batches" if extra else f"{len(hidden):,} more steps"
        return _row([f"… {what}", *[""] * 6])

    def size(self, cap: int) -> int:
        return self.fixed + sum(self.sizes[:cap]) + _size(self._more(cap))

    def render(self, cap: int) -> str:
        return self.open + "".join(self.rows[:cap]) + self._more(cap) + self.close


def _details(plan: Plan, budget: int) -> tuple[str, bool]:
    """Each job's folded steps, as many rows per job as the budget allows; and whether
    any row or job was left out."""
    blocks = [_Details(j) for j in plan.jobs]
    if not blocks:
        return "", False
    longest = max(len(b.rows) for b in blocks)

    def total(cap: int) -> int:
        return sum(b.size(cap) for b in blocks)

    room = budget - 200  # what the loop below lets the blocks take
    lo, hi = 0, longest  # largest cap whose total fits: binary search
    while lo < hi:
        mid = (lo + hi + 1) // 2
        lo, hi = (mid, hi) if total(mid) <= room else (lo, mid - 1)
    cap = max(lo, 1)  # one row per job beats empty blocks: then fewer jobs get details
    out, used = "", 0
    for n, block in enumerate(blocks):
        part = block.render(cap)
        if used + _size(part) > room:
            out += f"\n… details of {len(blocks) - n:,} more jobs left out\n"
            return out, True
        out, used = out + part, used + _size(part)
    return out, cap < longest


def _hidden(plan: Plan, marker: str | None) -> str:
    """The hidden lines (marker, then sha256), then a heading naming the marker, the
    manifests and the target."""
    lines = "" if marker is None else f"{MARKER_PREFIX}{marker} -->\n"
    lines += f"{HASH_PREFIX}{plan_identity(plan)} -->\n"
    named = f" for `{_cell(marker)}`" if marker is not None else ""
    return (
        lines
        + f"\n### zcrm-runner plan{named}: {_manifests(plan)} → "
        + (f"{_cell(summary.target_text(plan))}\n\n")
    )


def _manifests(plan: Plan) -> str:
    names = [f"`{_cell(m.path)}`" for m in plan.manifests[:MANIFESTS_NAMED]]
    more = len(plan.manifests) - MANIFESTS_NAMED
    return ", ".join(names) + (f" and {more:,} more" if more > 0 else "")


def _cut_note(limit: int, details_url: str | None) -> str:
    """Said when anything was left out: how much room there was, and where the rest is."""
    where = (
        f"in the step summary and the plan artifact of [this run]({details_url})"
        if details_url
        else "in `zcrm-runner plan --format json`, or the file saved with `--out`"
    )
    return (
        f"\n> [!NOTE]\n> This plan was cut to fit {limit:,} bytes: every job is counted "
        f"above, and the whole plan is {where}.\n"
    )


def render_markdown(
    plan: Plan,
    *,
    limit: int = LIMIT_BYTES,
    marker: str | None = None,
    details_url: str | None = None,
) -> str:
    """Hidden lines, summary table, totals, warnings, scopes, then each job's steps in
    <details>; at most `limit` bytes (≥ MIN_BYTES) of UTF-8.

    `marker` names the comment (`<!-- zcrm-runner plan: MARKER -->`); `details_url`,
    where the cut note sends a reader for the whole plan. Both come checked by the caller.
    """
    top = _hidden(plan, marker)
    room = limit - _size(top) - _CUT_NOTE_ROOM
    table, cut_table = _summary(plan, room // 3)
    head = _head(plan)
    tail, cut_tail = _tail(plan, room // 6)
    used = _size(table) + _size(head) + _size(tail)
    details, cut_details = _details(plan, room - used - 400)
    note = _cut_note(limit, details_url) if cut_table or cut_tail or cut_details else ""
    steps = "\n#### Steps\n\n" + details if details else ""
    return top + table + head + note + tail + steps
