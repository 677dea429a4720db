"""The runner's exception tree; every error knows the exit code it ends the process with.

    RunnerError                      exit 1   anything the user can act on; no traceback
     ├── UsageError                  exit 1   bad command-line arguments or combinations
     ├── ManifestError               exit 1   a manifest failed to load or validate (.problems)
     ├── TargetError                 exit 1   no Zoho target configured, or a bad one
     ├── StalePlanError              exit 1   a saved plan no longer holds: inputs moved, or
     │                                        used already, too old, another version's
     ├── StateLockedError            exit 1   another apply holds the state lock
     ├── StateError                  exit 1   the PostgreSQL journal cannot be opened or
     │                                        failed (ZCRM_STATE_URL, shown masked)
 ├── UnfinishedRunError          exit 1   an earlier run of these jobs must be resumed first
     ├── zoho.errors.ZohoError       exit 1   an API answer (tree drawn in runner/zoho/errors.py)
     ├── RecordsFailedError          exit 3   the run finished but some records failed
     ├── DeadlineReachedError        exit 4   the wait ended; Zoho jobs keep running, resume
     └── RunInterrupted              exit 130 ^C

Per-record failures are report data, never exceptions; RecordsFailedError only carries the
exit code of a run whose report already says which records failed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from runner.manifest.problems import Problem


class RunnerError(Exception):
    """Base class: a failure explained to the user in one message, ending with exit_code."""

    exit_code: ClassVar[int] = 1


class UsageError(RunnerError):
    """Arguments that cannot work together, or a file that is not there."""


class ManifestError(RunnerError):
    """One or more manifests are invalid; `problems` holds every finding, located."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__(f"{len(self.problems)} problem(s) found")


class TargetError(RunnerError):
    """No org to talk to (no --sim, no credentials), or credentials that cannot work."""


class StalePlanError(RunnerError):
    """A saved plan was reviewed against other manifests, another org or other counts; or
    a run applied it already, it is older than --max-plan-age, or another version made it."""


class StateLockedError(RunnerError):
    """Another apply holds the lock on the state file."""


class StateError(RunnerError):
    """The journal's database (ZCRM_STATE_URL) cannot be reached, set up, or failed mid-run."""


class UnfinishedRunError(RunnerError):
    """An interrupted run of the same jobs on the same org: `resume` it, or `--abandon` it."""


class RecordsFailedError(RunnerError):
    """The run ended, but some records failed; the report lists them."""

    exit_code = 3


class DeadlineReachedError(RunnerError):
    """The deadline passed while Zoho jobs were still running; `resume` finishes them."""

    exit_code = 4

    def __init__(self, message: str, run_id: str) -> None:
        self.run_id = run_id
        super().__init__(message)


class RunInterrupted(RunnerError):
    """The user pressed ^C; the journal keeps what was done."""

    exit_code = 130
