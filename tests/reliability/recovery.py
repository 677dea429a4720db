"""How a user recovers after an interrupted apply, by one of three paths:

- `resume`: `resume --yes` until it exits 0 or 3 (and `apply` if there is nothing to
  resume and nothing finished yet, e.g. the run never started or ended FAILED);
- `apply`: `apply m.yaml --yes` again. With an unfinished run of these jobs it must refuse
  with exit 1 and name `zcrm-runner resume RUN_ID`, which the user then follows;
- `both`: as `resume`, then `apply` once more, which must send nothing (every job
  UNCHANGED, exit 0 or 3).

At most MAX_COMMANDS commands, each bounded by harness.COMMAND_TIMEOUT.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tests.reliability.checks import Finding, load_report
from tests.reliability.harness import Command, SimTruth, run_cli, unfinished_runs

MAX_COMMANDS = 8
NOTHING_TO_RESUME = ("no unfinished run", "nothing to resume")
CLOSED = "ended before sending anything; closed"  # runner/execute/unfinished.py


@dataclass
class User:
    """Recovers in `cwd` with the simulator's own token; records what it ran and saw."""

    cwd: Path
    env: dict[str, str]
    manifest: str
    truth: SimTruth
    commands: list[Command] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    finished: Command | None = None  # the command whose run finished the jobs (0 or 3)

    def _run(self, args: list[str]) -> Command:
        command = run_cli(args, self.cwd, self.env)
        self.commands.append(command)
        return command

    @property
    def _budget(self) -> bool:
        return len(self.commands) < MAX_COMMANDS

    def _apply(self) -> Command:
        return self._run(["apply", self.manifest, "--yes"])

    def recover(self, path: str, first: Command) -> None:
        """Follow `path` after the first apply (`first`) ended as it did."""
        if first.done:
            self.finished = first
        if path == "apply":
            self._apply_first([run.split()[0] for run in unfinished_runs(self.cwd, self.env)])
        else:
            self._resume_until_done(None)
        if path == "both" and self.finished is not None:
            self.apply_must_send_nothing()
        left = unfinished_runs(self.cwd, self.env)
        after = f"after recovery '{path}' ({len(self.commands)} commands)"
        if left:
            self._found("stuck run", f"{after} `zcrm-runner runs` still lists {', '.join(left)}")
        elif self.finished is None:
            last = self.commands[-1].describe() if self.commands else "nothing ran"
            self._found("stuck run", f"{after} no run has finished the jobs; last: {last}")

    def _apply_first(self, unfinished: list[str]) -> None:
        if not unfinished and self.finished is not None:
            self.apply_must_send_nothing()
            return
        command = self._apply()
        # A run that journaled no request is closed by the next apply (README: "A run that
        # sent nothing is closed by itself"), as one killed during its backups' reads is.
        closed = bool(unfinished) and f"run {unfinished[0]} {CLOSED}" in command.stderr
        refused = command.exit_code == 1 and command.resume_hint == (unfinished or [None])[0]
        if unfinished and not (refused or closed):
            want = f"exit 1 naming `zcrm-runner resume {unfinished[0]}`"
            text = f"apply while run {unfinished[0]} was unfinished should {want}"
            self._found("contract", f"{text}; got {command.describe()}")
        if command.done:
            self.finished = command
        elif command.exit_code == 1 and command.resume_hint:
            self._resume_until_done(command.resume_hint)
        else:
            self._resume_until_done(None)

    def _resume_until_done(self, run_id: str | None) -> None:
        """`resume [RUN_ID] --yes` until a run finishes; apply when nothing is left to resume
        and nothing finished yet (the run never started, or it ended FAILED)."""
        while self._budget:
            command = self._run(["resume", *([run_id] if run_id else []), "--yes"])
            if command.done:
                self.finished = command
                return
            said = command.stderr.lower()
            if command.exit_code == 1 and any(text in said for text in NOTHING_TO_RESUME):
                if self.finished is not None or not self._budget:
                    return  # the first apply had finished: nothing was left to do
                applied = self._apply()
                if applied.done:
                    self.finished = applied
                    return
                run_id = applied.resume_hint

    def apply_must_send_nothing(self) -> Command:
        """Apply after the run finished: exit 0 or 3, every job UNCHANGED, no POST sent."""
        before = self.truth.posts()
        command = self._apply()
        sent = self.truth.posts() - before
        report = load_report(self.cwd, command.run_id)
        changed = [
            f"{j['name']} {j['status']}"
            for j in (report or {}).get("jobs", [])
            if j["status"] != "UNCHANGED"
        ]
        if not command.done or sent or changed or report is None:
            run = self.finished.run_id if self.finished else "?"
            text = f"apply after run {run} finished must send nothing: {sent} POSTs,"
            self._found("contract", f"{text} jobs not UNCHANGED {changed}; {command.describe()}")
        return command

    def _found(self, category: str, text: str) -> None:
        self.findings.append(Finding(category, text))
