"""The CLI and the simulator as a soak cycle drives them: commands with a time bound, an
apply interrupted at a chosen moment, and the simulator's ground truth.

Built on the e2e helpers (`sim_serve_process`, `cli_env`, `cli`, `start_cli`, `sim_get`),
never a copy of them. Every wait here has a bound; a command that outlives it is killed
and recorded with exit code None ("timed out"), which the checks call a stuck run.
"""

from __future__ import annotations

import re
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.e2e.conftest import SimProcess
from tests.e2e.test_apply_cli import cli, sim_get, start_cli

COMMAND_TIMEOUT = 90.0  # seconds any one CLI command may take before it counts as stuck
SIGINT_GRACE = 30.0  # seconds a ^C'd apply has to stop before it is killed
TAIL_LINES = 6
#: stderr text that marks each `Interrupt.anchor` (progress lines of PlainProgress).
ANCHOR_TEXT = {"run": " on org ", "sending": "sending:", "scheduled": "scheduled"}
_RUN_ID = re.compile(r"reports/([^/\s]+)/report\.md|^resuming run (\S+)|^run (\S+) on org ", re.M)
_RESUME_HINT = re.compile(r"zcrm-runner resume (\S+)")


@dataclass
class Command:
    """One CLI command of a cycle: what ran, how it ended and what it said."""

    args: list[str]
    exit_code: int | None  # None: killed after its time bound
    seconds: float
    stdout: str = ""
    stderr: str = ""
    signal_sent: str | None = None  # SIGKILL / SIGINT when the harness interrupted it

    @property
    def done(self) -> bool:
        """Ended the way a finished run ends: 0 all done, 3 some records failed."""
        return self.exit_code in (0, 3)

    @property
    def run_id(self) -> str | None:
        """The run it started or resumed, from its own stderr."""
        for match in _RUN_ID.finditer(self.stderr):
            return next(g for g in match.groups() if g)
        return None

    @property
    def resume_hint(self) -> str | None:
        """The RUN_ID of a `zcrm-runner resume RUN_ID` it told the user to run."""
        match = _RESUME_HINT.search(self.stderr)
        return match.group(1) if match else None

    def tail(self, lines: int = TAIL_LINES) -> str:
        kept = [line for line in self.stderr.splitlines() if line.strip()][-lines:]
        return " | ".join(kept) or "(no stderr)"

    def describe(self) -> str:
        ended = "timed out" if self.exit_code is None else f"exit {self.exit_code}"
        sent = f" after {self.signal_sent}" if self.signal_sent else ""
        return f"`{' '.join(self.args)}` → {ended}{sent} in {self.seconds:.1f}s: {self.tail()}"


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value or ""


def run_cli(
    args: list[str], cwd: Path, env: dict[str, str], timeout: float = COMMAND_TIMEOUT
) -> Command:
    """Run `python -m runner ARGS` to its end, or kill it after `timeout` seconds."""
    started = time.monotonic()
    try:
        done = cli(args, cwd, env, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        out, err = _text(exc.stdout), _text(exc.stderr)
        return Command(args, None, time.monotonic() - started, stdout=out, stderr=err)
    took = time.monotonic() - started
    return Command(args, done.returncode, took, stdout=done.stdout, stderr=done.stderr)


@dataclass
class _Pump:
    """Reads a pipe in a thread, keeping every line, so the child never blocks on it."""

    pipe: Any
    lines: list[str] = field(default_factory=list)
    changed: threading.Condition = field(default_factory=threading.Condition)
    closed: bool = False

    def __post_init__(self) -> None:
        self.thread = threading.Thread(target=self._read, daemon=True, name="soak-pump")
        self.thread.start()

    def _read(self) -> None:
        for line in self.pipe:
            with self.changed:
                self.lines.append(line)
                self.changed.notify_all()
        with self.changed:
            self.closed = True
            self.changed.notify_all()

    def wait_for(self, needle: str, until: float) -> bool:
        """True once a line holds `needle`; False if the pipe closed or time ran out."""
        with self.changed:
            while True:
                if any(needle in line for line in self.lines):
                    return True
                left = until - time.monotonic()
                if self.closed or left <= 0:
                    return False
                self.changed.wait(timeout=min(left, 0.2))

    def text(self) -> str:
        self.thread.join(timeout=5)
        return "".join(self.lines)


def interrupted_apply(
    args: list[str], cwd: Path, env: dict[str, str], *, sig: str, anchor: str, delay: float
) -> Command:
    """Start `apply`; `delay` s after `anchor` send `sig` (unless it already ended)."""
    started = time.monotonic()
    bound = started + COMMAND_TIMEOUT
    process = start_cli(args, cwd, env)
    out, err = _Pump(process.stdout), _Pump(process.stderr)
    sent: str | None = None
    if sig != "none":
        reached = anchor == "start" or err.wait_for(ANCHOR_TEXT[anchor], bound)
        if reached:
            try:
                process.wait(timeout=delay)
            except subprocess.TimeoutExpired:
                process.send_signal(getattr(signal, sig))
                sent = sig
    grace = SIGINT_GRACE if sent == "SIGINT" else max(1.0, bound - time.monotonic())
    try:
        process.wait(timeout=grace)
        code: int | None = process.returncode
    except subprocess.TimeoutExpired:
        process.kill()  # outlived its bound, or ignored ^C: recorded as timed out
        process.wait(timeout=30)
        code = None
    took = time.monotonic() - started
    command = Command(args, code, took, stdout=out.text(), stderr=err.text(), signal_sent=sent)
    for pipe in (process.stdout, process.stderr):
        if pipe is not None:
            pipe.close()
    return command


def unfinished_runs(cwd: Path, env: dict[str, str]) -> list[str]:
    """`RUN_ID (STATUS)` of each run `zcrm-runner runs` lists as RUNNING, DEADLINE or
    INTERRUPTED (its table's first and fourth columns)."""
    command = run_cli(["runs"], cwd, {**env, "COLUMNS": "250"})
    found = []
    for line in command.stdout.splitlines():
        cells = [c.strip() for c in line.split("│")]
        if len(cells) > 4 and cells[4] in ("RUNNING", "DEADLINE", "INTERRUPTED") and cells[1]:
            found.append(f"{cells[1]} ({cells[4]})")
    return found


@dataclass
class SimTruth:
    """The simulator's ground truth, read through its `/__sim__/` hooks."""

    sim: SimProcess

    def jobs(self) -> list[dict[str, Any]]:
        return list(sim_get(self.sim, "/__sim__/jobs"))

    def posts(self) -> int:
        """POSTs the simulator has seen (every create, batch and upload is one)."""
        return sum(1 for c in sim_get(self.sim, "/__sim__/calls") if c["method"] == "POST")

    def records(self, module: str, ids: tuple[str, ...]) -> Iterator[dict[str, Any]]:
        """Ground truth of each id, 200 at a time (a long query line would be refused)."""
        for i in range(0, len(ids), 200):
            yield from sim_get(
                self.sim, f"/__sim__/records/{module}", ids=",".join(ids[i : i + 200])
            )

    def mint_token(self, expires_in: float) -> str:
        """A full-scope admin token that lives `expires_in` seconds of the sim's clock."""
        r = httpx.post(
            self.sim.base_url + "/__sim__/tokens", json={"expires_in": expires_in}, timeout=30
        )
        r.raise_for_status()
        return str(r.json()["access_token"])
