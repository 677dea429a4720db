"""Progress of a run: rich bars on a terminal, one plain line per event otherwise.

Drivers report events through the `Progress` protocol and never print. Lines carry no
secret: only job names, counts, states, Zoho job ids, and Zoho's errors (code, message,
details) after the journal's scrub (`executor.redacted`).

rich is imported by the bars only: an apply whose stderr is a log or a pipe (CI, scripts)
skips its ~20 ms of imports (issue 13, docs/BENCHMARKS.md "apply as a whole process").
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Protocol, TextIO

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import TaskID


class Progress(Protocol):
    """Events a run reports while it works."""

    def job_started(self, name: str, *, total: int | None, detail: str) -> None: ...

    def job_advanced(
        self, name: str, *, done: int, total: int | None = None, state: str | None = None
    ) -> None: ...

    def job_finished(self, name: str, *, status: str, detail: str) -> None: ...

    def note(self, name: str, text: str) -> None: ...


class NullProgress:
    """Reports nothing (tests, library use)."""

    def job_started(self, name: str, *, total: int | None, detail: str) -> None:
        pass

    def job_advanced(
        self, name: str, *, done: int, total: int | None = None, state: str | None = None
    ) -> None:
        pass

    def job_finished(self, name: str, *, status: str, detail: str) -> None:
        pass

    def note(self, name: str, text: str) -> None:
        pass


class PlainProgress:
    """One line per event, for logs and CI: changes of state, not every count tick."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream or sys.stderr
        self._last: dict[str, tuple[str | None, int]] = {}

    def _line(self, name: str, text: str) -> None:
        print(f"[{name}] {text}", file=self._stream, flush=True)

    def job_started(self, name: str, *, total: int | None, detail: str) -> None:
        size = "" if total is None else f" ({total} records)"
        self._line(name, f"started: {detail}{size}")

    def job_advanced(
        self, name: str, *, done: int, total: int | None = None, state: str | None = None
    ) -> None:
        last_state, last_done = self._last.get(name, (None, -1))
        if state == last_state and done == last_done:
            return
        self._last[name] = (state, done)
        of = "" if total is None else f"/{total}"
        self._line(name, f"{state or 'progress'}: {done}{of}")

    def job_finished(self, name: str, *, status: str, detail: str) -> None:
        self._line(name, f"{status}: {detail}")

    def note(self, name: str, text: str) -> None:
        self._line(name, text)


class BarsProgress:
    """Rich progress bars, one per job: records done / total, Zoho state, elapsed time."""

    def __init__(self, console: Console | None = None) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
        from rich.progress import Progress as RichBars

        self._bars = RichBars(
            TextColumn("{task.fields[job]}", style="bold"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[state]}"),
            TimeElapsedColumn(),
            console=console or Console(stderr=True),
            transient=False,
        )
        self._tasks: dict[str, TaskID] = {}

    def __enter__(self) -> BarsProgress:
        self._bars.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._bars.stop()

    def job_started(self, name: str, *, total: int | None, detail: str) -> None:
        self._tasks[name] = self._bars.add_task(name, total=total, job=name, state=detail)

    def job_advanced(
        self, name: str, *, done: int, total: int | None = None, state: str | None = None
    ) -> None:
        task = self._tasks.get(name)
        if task is None:
            return
        if state is None:
            self._bars.update(task, completed=done, total=total)
        else:
            self._bars.update(task, completed=done, total=total, state=state)

    def job_finished(self, name: str, *, status: str, detail: str) -> None:
        task = self._tasks.get(name)
        if task is not None:
            # The bar keeps the state only; the counts follow in the run's summary.
            self._bars.update(task, state=status)

    def note(self, name: str, text: str) -> None:
        self._bars.console.print(f"[{name}] {text}", markup=False, highlight=False)
