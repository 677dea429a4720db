"""docs/EXIT_CODES.md: every exit code of every command, what it means, what to do.

The words live here; the codes live in the code. tests/unit/test_docs_exit_codes.py reads
each command's `run()` (and `exit_code_for` for apply and resume), `cli.main` and the
exception tree, and fails when a code they can return is missing here, or when this page
promises one they cannot.
"""

from __future__ import annotations

from dataclasses import dataclass

from runner.docsgen.markdown import code, header, table

PAGE = "docs/EXIT_CODES.md"


@dataclass(frozen=True)
class Exit:
    """One exit code of one command: what it means and what to do about it."""

    code: int
    meaning: str
    action: str


#: What any command may end with, besides its own codes (runner/cli.py `main`).
EVERY_COMMAND: tuple[Exit, ...] = (
    Exit(
        0,
        "`--help` or `--version`; or the program reading the output went away "
        "(`zcrm-runner schema | head`), which is not an error.",
        "Nothing.",
    ),
    Exit(
        1,
        "An error the one-line message on stderr explains: bad arguments (a usage error "
        'exits 1, not argparse\'s 2, because 2 means "changes" for `plan`), a missing file, '
        "no Zoho target, a held lock, a stale plan. An internal error also exits 1; its "
        "traceback is in a new owner-only `crash-*.log` in the state dir, which the message "
        "names.",
        "Read the message: it names the option, file or job and the fix. "
        "[TROUBLESHOOTING.md](TROUBLESHOOTING.md) explains each error. For an internal "
        "error, report the crash log (it shows local paths: read it before sharing it).",
    ),
    Exit(
        130,
        "Interrupted (^C). During `apply` or `resume` the journal keeps what was sent and "
        "the run is marked INTERRUPTED; the message gives the `resume` command (`sim serve` "
        "instead stops cleanly and exits 0).",
        "Run the printed `zcrm-runner resume RUN_ID ...` to finish the run, or "
        "`apply --abandon RUN_ID` after checking the org.",
    ),
)

_APPLY: tuple[Exit, ...] = (
    Exit(
        0,
        "Done: every job is COMPLETED, UNCHANGED (the ledger says this content was applied "
        "to this org already) or SKIPPED.",
        "Nothing; the report (`report.md`, `report.json`, `junit.xml`) is in "
        "`--report-dir`/RUN_ID.",
    ),
    Exit(
        1,
        "A job FAILED with a request-level error (its code is in the report), or is paused "
        "in flight by one (a refused token). Also: the run did not start (invalid manifest, "
        "unfinished run, lock held, stale plan, no target, not confirmed, host refused).",
        "Read the job's error in the report or the message; fix its cause; for a paused job "
        "set a valid token and run the printed `zcrm-runner resume RUN_ID`. An "
        "OUTCOME_UNKNOWN job needs the org checked, then `apply --replace JOB`.",
    ),
    Exit(
        3,
        "Some records failed: a PARTIAL job, or a FAILED one whose only errors are per "
        "record (RECORD_LOCKED, INVALID_DATA...).",
        "See the job's CSV of per-record outcomes in the report; fix the records (or the "
        "data), then `apply --retry-failed JOB` (or `all`) sends only what failed.",
    ),
    Exit(
        4,
        "`--deadline` was reached while a Zoho job was still RUNNING; Zoho goes on with it.",
        "Run the printed `zcrm-runner resume RUN_ID` (later, or with a longer `--deadline`) "
        "to poll it to its end and finish the run.",
    ),
)

#: Each command, as typed after `zcrm-runner`, with its own exit codes.
COMMANDS: dict[str, tuple[Exit, ...]] = {
    "validate": (
        Exit(0, "Every manifest is valid (warnings, if any, are printed).", "Nothing."),
        Exit(
            1,
            "At least one error; every problem is printed as "
            "`FILE:LINE:COL: path: what (rule); fix` (`--format json`: a list).",
            "Fix each problem as its fix says; [MANIFEST.md](MANIFEST.md#rule-index) "
            "explains the rule.",
        ),
    ),
    "plan": (
        Exit(
            0,
            "The plan was printed (and saved with `--out`). With `--detailed-exitcode`: "
            "nothing to change (every job is applied already per the ledger in "
            "`--state-dir`, or only bulk reads are left).",
            "Nothing; with `--detailed-exitcode` a pipeline can skip its apply step.",
        ),
        Exit(
            1,
            "An error: an invalid manifest, a bad option, `--online` without a target, an "
            "`--out` that cannot be written.",
            "Read the message; fix the manifest or the option.",
        ),
        Exit(
            2,
            "Only with `--detailed-exitcode`: the plan has changes (a job would send something).",
            "Review the plan, then `apply` it (`apply --plan PLAN.json` for a saved one).",
        ),
    ),
    "apply": _APPLY,
    "resume": (
        _APPLY[0],
        Exit(
            1,
            f"{_APPLY[1].meaning} Also: nothing to resume (no journal, no unfinished run, "
            "or the run is finished), the run used `--sim`, the environment names another "
            "org than the run did, or a manifest changed since the run started.",
            f"{_APPLY[1].action} Point `ZOHO_API_DOMAIN` back at the run's org, or restore "
            "the manifest (or check the org and `apply --abandon RUN_ID`); a `--sim` run "
            "cannot resume: use `sim serve` for runs you may have to resume.",
        ),
        *_APPLY[2:],
    ),
    "runs": (
        Exit(
            0,
            "The run history (or one run's jobs) was printed: a table, or with "
            "`--format json` a document valid against `schemas/runs.schema.json`.",
            "Nothing.",
        ),
        Exit(
            1,
            "No journal in `--state-dir` (nothing was applied from here), or no such run.",
            "Give the `--state-dir` the runs used; `zcrm-runner runs` lists run ids.",
        ),
    ),
    "revert": (
        Exit(
            0,
            "`DIR/revert.yaml` and its data files were written; its path is the last line "
            "printed (stdout), after the notes (stderr).",
            "Review it, then `zcrm-runner plan DIR/revert.yaml` and `apply` it.",
        ),
        Exit(
            1,
            "Nothing was written: no report of that run in `--report-dir`, a JOB the run does "
            "not have or that took no backup (`backup: false`, a kind that takes none, or it "
            "did not run), a missing backup file, or a `DIR/revert.yaml` already there.",
            "Read the message: name a run `zcrm-runner runs` lists (and its `--report-dir`), "
            "a mass_update or mass_delete job that ran, or give `--force` or another `--out`.",
        ),
    ),
    "sim serve": (
        Exit(0, "The simulator stopped cleanly on ^C or SIGTERM.", "Nothing."),
        Exit(
            1,
            "A bad option (`--faults` spec, `--speed` not positive) or the port cannot be bound.",
            "Fix the option the message names; pick another `--port` (or `--port 0` for any "
            "free one).",
        ),
    ),
    "schema": (
        Exit(0, "The JSON Schema was printed.", "Nothing."),
        Exit(
            1,
            "The schema file is missing from this install.",
            "Reinstall the package (`pip install .`).",
        ),
    ),
}


def render() -> str:
    """The whole page."""
    lines = header("Exit codes", "`runner/docsgen/exit_codes.py`")
    lines += [
        "Every `zcrm-runner` command ends with one of these codes. `apply` and `resume` "
        "pick one for the whole run, in this order: 1 (a job failed, or is paused, with a "
        "request-level error) before 4 (the deadline left a Zoho job running) before 3 "
        "(some records failed) before 0, because a broken job needs a person before a "
        "resume can help. The report still prints the resume command whenever a job is "
        "RUNNING.",
        "",
        *table(
            ("command", "exit codes"),
            [
                (f"`zcrm-runner {name}`", ", ".join(str(e.code) for e in exits))
                for name, exits in COMMANDS.items()
            ],
        ),
        "",
        "## Every command",
        "",
        *_table(EVERY_COMMAND),
        "",
    ]
    for name, exits in COMMANDS.items():
        lines += [f"## zcrm-runner {name}", "", *_table(exits), ""]
    return "\n".join(lines).rstrip() + "\n"


def _table(exits: tuple[Exit, ...]) -> list[str]:
    return table(
        ("code", "meaning", "what to do"), [(code(e.code), e.meaning, e.action) for e in exits]
    )
