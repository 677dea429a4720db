"""Command line: argparse only. Parses, calls runner.commands.<verb>.run(), maps errors to
exit codes. Tracebacks of unexpected errors go to a log file, never to the screen.

Imports stay light: `validate` runs as a pre-commit hook on every commit, so each command
module is imported only when its verb runs, and what only a crash needs, when it crashes
(`bench/validate_cli.py` checks what validate imports; docs/BENCHMARKS.md).
"""

from __future__ import annotations

import argparse
import atexit
import gc
import importlib
import io
import os
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from runner import __version__, heap, timings
from runner.errors import ManifestError, RunnerError


class _Parser(argparse.ArgumentParser):
    """Usage errors exit 1 (the contract's 'error'), since 2 means 'changes' for plan."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(1, f"{self.prog}: error: {message}\n")


def _duration(text: str) -> float:
    """'90s', '15m', '2h', '1h30m' or plain seconds → seconds, more than 0."""
    total = _age(text)
    if total <= 0:
        raise argparse.ArgumentTypeError(f"a duration must be positive: {text!r}")
    return total


def _age(text: str) -> float:
    """A duration as _duration reads it, where 0 is allowed (an age limit of 0s)."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    total, number = 0.0, ""
    for ch in text.strip().lower():
        if ch.isdigit() or ch == ".":
            number += ch
        elif ch in units and number:
            total += float(number) * units[ch]
            number = ""
        else:
            raise argparse.ArgumentTypeError(f"not a duration: {text!r} (try 90s, 15m or 2h)")
    if number:
        total += float(number)
    if not text.strip():
        raise argparse.ArgumentTypeError(f"not a duration: {text!r} (try 90s, 15m or 2h)")
    return total


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="zcrm-runner",
        description="Validate, plan and apply Zoho CRM mass and bulk jobs from YAML manifests.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="COMMAND")

    p = verbs.add_parser("validate", help="check manifests offline; 0 valid, 1 invalid")
    p.add_argument("files", nargs="+", type=Path, metavar="FILE")
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.add_argument(
        "--each", action="store_true",
        help="check each file as a run of its own: job names and outputs may repeat across "
        "files (the pre-commit hook's way)",
    )  # fmt: skip

    p = verbs.add_parser("plan", help="preview every call without writing anything")
    p.add_argument("files", nargs="*", type=Path, metavar="FILE")
    p.add_argument("--format", choices=["text", "json", "markdown"], default="text")
    p.add_argument("--out", type=Path, metavar="PLAN.json", help="save the plan for apply --plan")
    p.add_argument(
        "--detailed-exitcode",
        action="store_true",
        help="exit 0 when there is nothing to do, 1 on error, 2 when there are changes",
    )
    p.add_argument("--online", action="store_true", help="check fields and counts on the org")
    p.add_argument("--sim", action="store_true", help="with --online: use the built-in simulator")
    p.add_argument(
        "--diff-limit", type=_positive_int, default=argparse.SUPPRESS, metavar="N",
        help="with --online: read up to N records a job for its value diff (default 2,000: "
        "runner/plan/diffs.py DIFF_LIMIT), a sample beyond",
    )  # fmt: skip
    p.add_argument(
        "--state-dir", type=Path, default=Path(".zcrm"),
        help="the journal whose apply-once ledger marks jobs already applied",
    )  # fmt: skip
    p.add_argument(
        "--show",
        type=Path,
        metavar="PLAN.json",
        help="print a plan saved with --out instead of making one (no FILE)",
    )
    p.add_argument(
        "--comment-marker",
        metavar="TARGET",
        help="markdown: open with <!-- zcrm-runner plan: TARGET --> and a heading, so a CI "
        "job finds and updates its one comment",
    )
    p.add_argument(
        "--max-bytes",
        type=_positive_int,
        metavar="N",
        help="markdown: cut to N bytes of UTF-8 (default 60000, under GitHub's comment limit)",
    )
    p.add_argument(
        "--details-url",
        metavar="URL",
        help="markdown: where the note of a cut plan sends readers for the whole plan",
    )

    p = verbs.add_parser("apply", help="run the plan, poll jobs to completion, write a report")
    p.add_argument("files", nargs="*", type=Path, metavar="FILE")
    p.add_argument("--plan", type=Path, dest="plan_file", metavar="PLAN.json")
    p.add_argument("--sim", action="store_true", help="run against the in-process simulator")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p.add_argument("--report-dir", type=Path, default=Path("reports"))
    p.add_argument("--state-dir", type=Path, default=Path(".zcrm"))
    p.add_argument("--concurrency", type=_positive_int, default=5)
    p.add_argument(
        "--replace", action="append", default=[], metavar="JOB",
        help="run JOB again in full although it was applied (repeatable)",
    )  # fmt: skip
    p.add_argument(
        "--retry-failed", action="append", default=[], metavar="JOB|all",
        help="send only the ids or rows that failed when JOB was applied (repeatable)",
    )  # fmt: skip
    p.add_argument(
        "--abandon", metavar="RUN_ID",
        help="close an unfinished run without resuming it (after checking the org)",
    )  # fmt: skip
    p.add_argument("--deadline", type=_duration, default=7200.0, metavar="DURATION")
    p.add_argument(
        "--max-plan-age", type=_age, default=None, metavar="DURATION",
        help="with --plan: refuse a plan this old or older (default 24h; 0s refuses all)",
    )  # fmt: skip

    p = verbs.add_parser("resume", help="finish an interrupted run")
    p.add_argument("run_id", nargs="?", metavar="RUN_ID")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p.add_argument("--report-dir", type=Path, default=None, help="default: the run's own")
    p.add_argument("--state-dir", type=Path, default=Path(".zcrm"))
    p.add_argument("--concurrency", type=_positive_int, default=None, help="default: the run's")
    p.add_argument("--deadline", type=_duration, default=None, metavar="DURATION")

    p = verbs.add_parser("runs", help="list runs recorded in the journal")
    p.add_argument("run_id", nargs="?", metavar="RUN_ID")
    p.add_argument("--state-dir", type=Path, default=Path(".zcrm"))
    p.add_argument(
        "--format",
        choices=["table", "json"],
        default="table",
        help="json: runs with target, manifests and jobs (schemas/runs.schema.json)",
    )

    p = verbs.add_parser("revert", help="write a manifest that restores what a run's backups saved")
    p.add_argument("run_id", metavar="RUN_ID")
    p.add_argument("jobs", nargs="*", metavar="JOB", help="default: every job with a backup")
    p.add_argument(
        "--out", type=Path, default=None, metavar="DIR",
        help="where revert.yaml and its data files go (default: reverts/RUN_ID)",
    )  # fmt: skip
    p.add_argument("--report-dir", type=Path, default=Path("reports"))
    p.add_argument("--force", action="store_true", help="replace an existing DIR/revert.yaml")

    p = verbs.add_parser("sim", help="the built-in Zoho CRM simulator")
    sim_verbs = p.add_subparsers(dest="sim_verb", required=True, metavar="SUBCOMMAND")
    s = sim_verbs.add_parser("serve", help="serve the simulator over HTTP")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8030)
    s.add_argument("--seed", type=int, default=1)
    s.add_argument("--records", type=_positive_int, default=None, help="records per module")
    s.add_argument(
        "--faults",
        default="",
        metavar="SPEC",
        help="e.g. 5xx=0.05,429=0.05,drop=0.01,concurrency=10,download_rate=10/min,latency=50ms"
        " (latency: the least time from a request to its answer, the simulator's work included)",
    )
    s.add_argument("--speed", type=float, default=1.0, help="job clock speed-up factor")
    s.add_argument("--token", default=None, help="fix the access token's value")

    p = verbs.add_parser("schema", help="print a JSON schema")
    p.add_argument("name", nargs="?", choices=["jobs", "plan", "report", "runs"], default="jobs")
    return parser


def _command(name: str) -> Callable[..., int]:
    module = importlib.import_module(f"runner.commands.{name}")
    timings.mark("imported")
    run: Callable[..., int] = module.run
    return run


def _dispatch(args: argparse.Namespace) -> int:
    kwargs: dict[str, Any] = {k: v for k, v in vars(args).items() if k not in ("verb", "sim_verb")}
    if args.verb == "sim":
        return _command("sim")(**kwargs)
    return _command(args.verb)(**kwargs)


def _log_crash(state_dir: Path) -> Path | None:
    """Write the traceback to a new owner-only (0600) file named for this crash, in the
    state dir; a private temp file only if the state dir cannot take it. None: no file."""
    import secrets  # only a crash needs these: validate's start stays light (issue 11)
    import tempfile
    import time
    import traceback

    text = traceback.format_exc().encode("utf-8", "replace")
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    name = f"crash-{stamp}-{secrets.token_hex(4)}.log"
    try:
        state_dir.mkdir(parents=True, exist_ok=True)
        log = state_dir / name
        # O_EXCL: never through a planted file or link; 0600: tracebacks show local paths
        fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except (OSError, ValueError):
        try:
            fd, tmp = tempfile.mkstemp(prefix="zcrm-runner-crash-", suffix=".log")
        except OSError:
            return None
        log = Path(tmp)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(text)
    except OSError:
        return None
    return log


def main(argv: Sequence[str] | None = None) -> int:
    timings.mark("main")
    try:
        args = build_parser().parse_args(argv)
    except KeyboardInterrupt:
        return 130
    try:
        return _dispatch(args)
    except ManifestError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return exc.exit_code
    except RunnerError as exc:
        print(f"zcrm-runner: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("zcrm-runner: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`zcrm-runner schema | head`): not an error of ours. Point
        # stdout at /dev/null so the interpreter's final flush does not complain (Python
        # docs, "Note on SIGPIPE").
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError, io.UnsupportedOperation):
            pass
        return 0
    except Exception as exc:  # the one place that turns a bug into a message and a log
        log = _log_crash(getattr(args, "state_dir", None) or Path(".zcrm"))
        where = f"traceback in {log}" if log else "no traceback file could be written"
        print(f"zcrm-runner: internal error: {exc!r}; {where}", file=sys.stderr)
        return 1


def entry() -> int:
    """The process's entry (the console script, `python -m runner`): `main()`, then the
    process ends at once (`_end_process`). Before it, the collector's young threshold is
    raised for the process's length (runner.heap.for_process). In-process callers (tests)
    use `main()`; `entry()` returns only where the process cannot end that way."""
    heap.for_process()
    code = main()
    gc.freeze()  # if the interpreter's exit runs after all, it need not walk the heap again
    _end_process(code)
    return code


def _end_process(code: int) -> None:
    """End the process with `code` without the interpreter's teardown, which frees every
    module and object one at a time for a kernel about to take the memory back whole
    (the exit of a 50,000-id apply: 23 -> 16 ms, issue 13). Safe only once the command's
    work is done, which it is when `main()` has returned: every file, journal and
    connection is closed by its own `with`. Here stdout and stderr are flushed and
    atexit's handlers run; with another thread still running, or a stream that cannot be
    flushed, the interpreter's own exit runs instead, as before (it waits for the thread,
    and reports the stream)."""
    if threading.active_count() > 1:
        return
    for stream in (sys.stdout, sys.stderr):
        if stream is None:  # closed when the process started (`>&-`): nothing to flush
            continue
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe, a full disk: left to the usual exit
            return
    atexit._run_exitfuncs()  # what the usual exit would run first (logging's flush, say)
    os._exit(code)
