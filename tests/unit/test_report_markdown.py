"""report.md and the terminal summary: table first, failed records capped, resume hint."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from runner.report.markdown import _what_zoho_said, cell, render_markdown, summary_lines
from runner.report.write import write_reports
from runner.results import JobError, JobResult, RecordOutcome, record_details, with_details
from tests.unit.test_report import failed_records, sample_run


def test_summary_table_comes_first() -> None:
    """The first table after the title lists every job with kind, module, status, counts."""
    md = render_markdown(sample_run())
    lines = md.splitlines()
    assert lines[0] == "# zcrm-runner run `20260101T000000-abcd`"
    table_at = lines.index(
        "| Job | Kind | Module | Status | Total | Succeeded | Failed | Polls | Duration |"
    )
    assert table_at == 4  # title, blank, one result line, blank, then the table
    assert "| deals-source | mass_update | Deals | **PARTIAL** | 3 | 1 | 2 | 0 | 1.5 s |" in lines
    assert (
        "| education-accounts | mass_update | Accounts | **COMPLETED** | 40 | 40 | 0 | 6 | 30.0 s |"
        in lines
    )
    assert md.index("| Job |") < md.index("## Errors") < md.index("## Failed records")


def test_failed_records_with_codes_and_errors() -> None:
    """Failed records show id, code and message; request errors show code and message."""
    md = render_markdown(sample_run())
    assert "### deals-source (2 failed)" in md
    assert "| 100 | `RECORD_LOCKED` | record 0 locked |" in md
    assert "| 7 | `INVALID_DATA` | =cmd |" in md
    assert "- `ALREADY_SCHEDULED`: a job already runs (job_id: 9)" in md
    assert "- import-leads (SKIPPED): needs export-leads, which did not complete" in md


def test_failed_records_are_capped_with_a_pointer_to_the_csv(tmp_path: Path) -> None:
    """Past 50 records per job the listing stops and names the CSV holding the rest."""
    run = sample_run()
    big = replace(run.jobs[0], outcomes=failed_records(130), counts={"total": 130, "failed": 130})
    paths = write_reports(replace(run, jobs=(big,)), tmp_path)
    md = paths.markdown.read_text(encoding="utf-8")
    assert md.count("`RECORD_LOCKED`") == 50
    assert "… 80 more in `deals-source.outcomes.csv`" in md


def test_resume_hint_only_when_running() -> None:
    """A RUNNING job brings the resume command; a finished run has none."""
    run = sample_run()
    assert "Resume with: `zcrm-runner resume 20260101T000000-abcd`" in render_markdown(run)
    done = replace(run, jobs=tuple(j for j in run.jobs if j.status != "RUNNING"), exit_code=0)
    assert "resume" not in render_markdown(done).lower()


def test_cells_cannot_break_the_table() -> None:
    """Pipes, newlines and HTML from Zoho messages are neutralised."""
    assert cell("a|b\nc <script>") == "a\\|b c &lt;script>"
    job = JobResult(
        name="x", kind="mass_update", module="Deals", status="PARTIAL", outcomes=failed_records(1)
    )
    job = replace(job, outcomes=(job.outcomes[0]._replace(message="bad | pipe\nline"),))
    md = render_markdown(replace(sample_run(), jobs=(job,)))
    assert "| 100 | `RECORD_LOCKED` | bad \\| pipe line |" in md


def test_summary_lines_fit_one_screen() -> None:
    """One header line, one line per job, and the resume hint; nothing wider than 120."""
    lines = summary_lines(sample_run())
    assert lines[0] == "Run 20260101T000000-abcd: exit 1 (error) in 7201.0 s, sim org org1"
    assert len(lines) == 1 + 6 + 3 + 1  # 3: what failed, under deals-source and junk-leads
    assert (
        lines[-1]
        == "Jobs still running on Zoho. Resume with: zcrm-runner resume 20260101T000000-abcd"
    )
    deals = next(line for line in lines if "deals-source" in line)
    assert "PARTIAL" in deals
    assert "1/3 ok" in deals
    assert "2 failed" in deals
    assert "ALREADY_SCHEDULED" in next(line for line in lines if "junk-leads" in line)
    assert all(len(line) <= 120 for line in lines)


INVALID_EMAIL = {"api_name": "Email", "expected_data_type": "email"}


def with_email_failures(n: int) -> JobResult:
    """A PARTIAL job: n records refused for their Email, one locked, one unknown."""
    refused = tuple(
        RecordOutcome(str(200 + i), "error", "INVALID_DATA", "invalid data",
                      {**INVALID_EMAIL, "id": str(200 + i)})
        for i in range(n)
    )  # fmt: skip
    others = (
        RecordOutcome("300", "error", "RECORD_LOCKED", "locked", {"id": "300"}),
        RecordOutcome("301", "error", "OUTCOME_UNKNOWN", "no entry"),
    )
    return JobResult(
        name="emails", kind="mass_update", module="Leads", status="PARTIAL",
        outcomes=refused + others, counts={"total": n + 2, "succeeded": 0, "failed": n + 2},
        errors=(JobError("INVALID_DATA", "part 2: invalid data", INVALID_EMAIL),),
    )  # fmt: skip


def test_report_md_shows_zoho_details() -> None:
    """Errors and failed records carry Zoho's details; a record's own id is not repeated."""
    md = render_markdown(replace(sample_run(), jobs=(with_email_failures(2),)))
    assert (
        "- `INVALID_DATA`: part 2: invalid data (api_name: Email, expected_data_type: email)" in md
    )
    assert (
        "| 200 | `INVALID_DATA` | invalid data (api_name: Email, expected_data_type: email) |" in md
    )
    assert "| 300 | `RECORD_LOCKED` | locked |" in md
    assert "| 301 | `OUTCOME_UNKNOWN` | no entry |" in md


def test_details_cannot_break_the_table() -> None:
    """Details come from Zoho too: a pipe or markup in them is escaped like a message."""
    bad = RecordOutcome("1", "error", "INVALID_DATA", "bad", {"api_name": "A|B <i>"})
    job = JobResult(name="x", kind="mass_update", module="Deals", status="PARTIAL",
                    outcomes=(bad,))  # fmt: skip
    md = render_markdown(replace(sample_run(), jobs=(job,)))
    assert "| 1 | `INVALID_DATA` | bad (api_name: A\\|B &lt;i>) |" in md


def test_summary_names_what_failed_grouped_and_capped() -> None:
    """Under a job: its errors, then its record failures grouped by what Zoho said, most
    frequent first, at most 3 kinds and a count of the others."""
    job = with_email_failures(3)
    lines = summary_lines(replace(sample_run(), jobs=(job,)))
    at = next(i for i, line in enumerate(lines) if "emails" in line)
    assert lines[at + 1 : at + 5] == [
        "    INVALID_DATA: part 2: invalid data (api_name: Email, expected_data_type: email)",
        "    INVALID_DATA x3: invalid data (api_name: Email, expected_data_type: email)",
        "    RECORD_LOCKED x1: locked",
        "    OUTCOME_UNKNOWN x1: no entry",
    ]
    more = replace(job, outcomes=(*job.outcomes, RecordOutcome("9", "error", "LIMIT", "")))
    lines = summary_lines(replace(sample_run(), jobs=(more,)))
    assert lines[at + 5] == "    … 1 other kinds of record failure in report.md"
    done = replace(job, status="COMPLETED", outcomes=(), errors=(), counts={"total": 1})
    assert len(summary_lines(replace(sample_run(), jobs=(done,)))) == 2  # no reasons, no hint


def by_view(
    kind: str = "mass_update", failed: int = 2, cvid: str | None = "554023000000092002"
) -> JobResult:
    """A job by custom view that Zoho counted `failed` records of, naming none."""
    counts = {"total": 5, "succeeded": 5 - failed, "failed": failed, "not_processed": 0}
    return JobResult(name="by-view", kind=kind, module="Deals", status="PARTIAL",
                     counts=counts, cvid=cvid, zoho_job_ids=("5001",))  # fmt: skip


def test_a_view_job_with_failures_says_how_to_find_them() -> None:
    """Zoho names no failed record of a cvid job: report.md says so, and where to look."""
    md = render_markdown(replace(sample_run(), jobs=(by_view(),)))
    assert "### by-view (2 failed)" in md
    assert (
        "Zoho reports only counts for a job by custom view: it does not name the 2 record(s) "
        "that failed. To find them, open the view (cvid 554023000000092002) in Zoho CRM, or "
        'export it with a `bulk_read` job (`cvid: "554023000000092002"`, the fields the job '
        "set in `fields:`): the records without the new values are the ones that failed."
    ) in md
    delete = render_markdown(replace(sample_run(), jobs=(by_view("mass_delete"),)))
    assert "the records still in the view are the ones it did not delete." in delete
    lines = summary_lines(replace(sample_run(), jobs=(by_view(),)))
    assert (
        "    Zoho names no failed record of a job by custom view: report.md says how to find them"
        in lines
    )


def test_no_view_note_without_failures_or_without_a_view() -> None:
    """A cvid job with no failure, or a job by ids, gets no such note."""
    for job in (by_view(failed=0), by_view(cvid=None)):
        md = render_markdown(replace(sample_run(), jobs=(job,)))
        assert "custom view" not in md
        assert "## Failed records" not in md
        assert not any(
            "custom view" in line for line in summary_lines(replace(sample_run(), jobs=(job,)))
        )


@pytest.mark.parametrize(
    "details",
    [
        {},
        {"id": "554023000000400001"},  # the record's own id: nothing to show
        {"id": 554023000000400001},  # the same, as a JSON number
        {"id": "554023000000400002"},  # another record's id is shown
        {"id": "554023000000400001", "api_name": "Email"},
        {"api_name": "Email", "expected_data_type": "email"},
    ],
)
def test_what_zoho_said_is_the_message_with_the_details_shown(details: dict[str, object]) -> None:
    """The quick path for a record whose only detail is its own id says what the
    general one says: the message with every detail but that id."""
    outcome = RecordOutcome("554023000000400001", "error", "INVALID_DATA", "invalid data", details)
    expected = ("INVALID_DATA", with_details("invalid data", record_details(outcome)))
    assert _what_zoho_said(outcome) == expected
