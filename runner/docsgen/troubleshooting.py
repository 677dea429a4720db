"""docs/TROUBLESHOOTING.md: Zoho's error codes, from the client's own table
(`runner/zoho/errors.py`: class, resolution and source of every code), and the errors the
runner itself raises (`runner/docsgen/runner_errors.py`).

The HTTP status of a code is the one the simulator sends it with (its error classes carry
the seeds' and API_NOTES §5.2's statuses), else the usual status of the code's class; a
few codes never arrive as an HTTP error and say where they do arrive.
"""

from __future__ import annotations

from dataclasses import dataclass

from runner.docsgen.markdown import code, header, sentence, table
from runner.docsgen.runner_errors import RUNNER_ERRORS
from runner.simulator.exceptions import BY_CODE as SIMULATED
from runner.zoho import errors as z

PAGE = "docs/TROUBLESHOOTING.md"


@dataclass(frozen=True)
class Family:
    """A client exception class as a reader meets it: a name, a usual status, what the
    runner does when it gets one, and what to do."""

    title: str
    anchor: str
    status: str
    runner: str


FAMILIES: dict[type[z.ZohoError], Family] = {
    z.AuthError: Family(
        "Authentication", "authentication", "401",
        "On INVALID_TOKEN with a refresh token configured, the runner refreshes once and "
        "sends again. Otherwise the job is paused in flight (its Zoho job id kept), the run "
        "ends with exit 1 and prints `zcrm-runner resume RUN_ID`: set a valid token, or a "
        "client with the scopes `plan` lists, and run it.",
    ),
    z.PermissionDenied: Family(
        "Permission", "permission", "403",
        "The job fails (exit 1); nothing is retried. Run it as a user whose profile has the "
        "permission (mass update, mass delete, bulk read or write on that module), or ask "
        "your Zoho administrator.",
    ),
    z.InvalidRequest: Family(
        "Invalid request", "invalid-request", "400",
        "The job fails (exit 1): the same request would be refused again. Fix the manifest "
        "or its data as the advice says; `zcrm-runner validate` and `plan --online` catch "
        "most of these before anything is sent.",
    ),
    z.NotFound: Family(
        "Not found", "not-found", "404",
        "The job fails (exit 1). A Zoho job id Zoho does not know is one from another org "
        "or one Zoho no longer keeps: check `ZOHO_API_DOMAIN`; once you have checked the "
        "org, `apply --replace JOB` runs the job again.",
    ),
    z.LimitExceeded: Family(
        "Limit exceeded", "limit-exceeded", "400",
        "The job fails (exit 1). Split the job or narrow its view or criteria; "
        "`validate` and `plan` check the documented limits (500 ids a call, 50,000 a view, "
        "200 criteria values, 25 MB a file) offline.",
    ),
    z.AlreadyScheduled: Family(
        "Already scheduled", "already-scheduled", "202",
        "Another mass job runs on the same custom view. The runner never schedules a second "
        "one: it waits (poll backoff) and schedules again, until `--deadline`; then the job "
        "is RUNNING, exit 4, and `resume` goes on waiting.",
    ),
    z.NoRecordsFound: Family(
        "No records", "no-records", "400",
        "The custom view is empty: the job ends COMPLETED with 0 records. If records were "
        "expected, check the view's criteria in Zoho.",
    ),
    z.RateLimited: Family(
        "Rate limited", "rate-limited", "429",
        "Reads, polls and downloads wait (Retry-After if Zoho sends one, else backoff with "
        "jitter) and retry; a refused POST was not processed and is not resent blindly. If "
        "it persists: lower `--concurrency`, or wait for the day's API credits (a rolling "
        "24 hours) or the minute's 10 downloads.",
    ),
    z.ServerError: Family(
        "Server error", "server-error", "500",
        "Reads are retried. A POST that creates a job or changes records and gets a 5xx may "
        "have been applied: the runner settles it from evidence (records read back, a view "
        "sampled) or stops the job as OUTCOME_UNKNOWN; never resends it blindly.",
    ),
}  # fmt: skip

#: Codes that never come as an HTTP error, or come with more than one status.
ARRIVES_AS = {
    "ALREADY_SCHEDULED": "202 (mass update), 400 (mass delete)",  # seed 002; API_NOTES §2.2
    "invalid_code": "token endpoint, usually 200",  # API_NOTES §7.1: status undocumented
    "Access Denied": "token endpoint, usually 200",  # API_NOTES §7.1
    "DUPLICATE_DATA": "a row of the bulk write result",  # API_NOTES §4.5
    "BLOCKED_RECORD": "a row of the bulk write result",  # API_NOTES §4.5
}


def http_status(code_: str) -> str:
    """Where and with which HTTP status a code arrives."""
    if code_ in ARRIVES_AS:
        return ARRIVES_AS[code_]
    if code_ in SIMULATED:
        return str(SIMULATED[code_].status)
    return FAMILIES[z.class_for(code_, None)].status


def render() -> str:
    """The whole page."""
    lines = header(
        "Troubleshooting",
        "`runner/zoho/errors.py` (Zoho's codes) and `runner/docsgen/runner_errors.py`",
    )
    lines += [
        "A Zoho error reads `HTTP 400 INVALID_DATA: message (advice)`. A job's errors are "
        "in the run's summary and its report (`report.md`, `report.json`), per-record "
        "errors in the job's CSV there. Exit codes: [EXIT_CODES.md](EXIT_CODES.md).",
        "",
        "- [Zoho error codes](#zoho-error-codes): every code the client knows, A to Z.",
        "- [What the runner does with each kind](#what-the-runner-does-with-each-kind).",
        "- [The runner's own errors](#the-runners-own-errors): "
        + ", ".join(f"[{e.title.lower()}](#{e.anchor})" for e in RUNNER_ERRORS)
        + ".",
        "",
        "## Zoho error codes",
        "",
        "Per-record codes (marked *per record*) arrive inside `data[]` or a bulk write "
        "result row: that record fails, the others go on, the run exits 3 and the job's CSV "
        "in the report names each record; fix them and `apply --retry-failed JOB`. The same "
        "code for a whole request fails the job. Any other code is read by its HTTP status; "
        "an error without a code shows as `HTTP_<status>`.",
        "",
        "*Meaning* is the kind of error, whose section below says what the runner does "
        "about it; *what to do* is the seeds' `Resolution:` line (Zoho's words) or, for "
        "codes the seeds do not list, API_NOTES' wording; *source* says which.",
        "",
        *table(("code", "HTTP status", "meaning", "what to do", "source"), _zoho_rows()),
        "",
        "## What the runner does with each kind",
        "",
    ]
    for cls, family in FAMILIES.items():
        lines += [f"### {family.title}", "", f"{sentence(cls.__doc__ or '')} {family.runner}", ""]
    lines += ["## The runner's own errors", ""]
    for error in RUNNER_ERRORS:
        lines += [f"### {error.title}", ""]
        lines += [f"Shown as: {error.shown}", "", error.meaning, ""]
        lines += [f"**What to do:** {error.action}", ""]
    return "\n".join(lines).rstrip() + "\n"


def _zoho_rows() -> list[tuple[str, str, str, str, str]]:
    rows = []
    for name in sorted(z.KNOWN_CODES, key=lambda c: (c.upper(), c)):
        family = FAMILIES[z.class_for(name, None)]
        kind = f"[{family.title.lower()}](#{family.anchor})"
        if name in z.RECORD_CODES:
            kind += ", *per record*"
        rows.append(
            (
                code(name),
                http_status(name),
                kind,
                sentence(z.resolution_for(name)),
                z.resolution_source(name),
            )
        )
    return rows
