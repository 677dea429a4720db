"""Choosing the org for a command: `--sim` (in-process simulator) or the ZOHO_* environment."""

from __future__ import annotations

import os
import sys

from runner.clock import Clock, ScaledClock, SystemClock
from runner.errors import UsageError
from runner.execute.target import Connection, env_connection, sim_connection

#: The in-process simulator runs its jobs this many times faster than real time, so the
#: README's demo finishes in seconds; the runner's own clock stays real.
SIM_SPEED = 20.0


def connect(*, sim: bool) -> tuple[Connection, Clock]:
    """The connection and the runner's clock."""
    if sim:
        return sim_connection(clock=ScaledClock(SIM_SPEED)), SystemClock()
    return env_connection(os.environ), SystemClock()


def confirm(connection: Connection, *, yes: bool, action: str) -> None:
    """A real org needs a yes: asked on a terminal, `--yes` otherwise."""
    if connection.kind == "sim" or yes:
        return
    where = connection.target.api_domain
    if not sys.stdin.isatty():
        raise UsageError(f"{action} against {where} needs --yes when not run from a terminal")
    answer = input(f"{action} against {where}? Type 'yes' to go on: ").strip().lower()
    if answer != "yes":
        raise UsageError("not confirmed; nothing was sent")
