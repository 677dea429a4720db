"""What every rule module shares: a Reporter that locates and records problems.

Rules receive plain (rendered) data that may still be wrong in any way, so they read it
defensively; the Reporter turns a key path into `file:line:col` only when a problem is
actually reported.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runner.manifest.load import Locator, PathPart
from runner.manifest.problems import Problem, Severity
from runner.manifest.template_env import mask_text

_PLAIN_KEY = re.compile(r"[A-Za-z0-9_$-]+")
MAX_PROBLEMS_PER_LIST = 20


def format_path(parts: Sequence[PathPart]) -> str:
    """`["jobs", 2, "values"]` → `jobs[2].values`; the root is `(root)`."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _PLAIN_KEY.fullmatch(part):
            out += f".{part}" if out else part
        else:
            out += f"[{part!r}]"
    return out or "(root)"


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The closest choice to a typo, compared case-insensitively, or None."""
    options = {c.lower().replace("_", "").replace(" ", ""): c for c in choices}
    squashed = word.lower().replace("_", "").replace(" ", "")
    if squashed in options:
        return options[squashed]
    hits = difflib.get_close_matches(squashed, list(options), n=1, cutoff=0.75)
    return options[hits[0]] if hits else None


@dataclass
class Reporter:
    """Collects the problems of one manifest, each located through its node graph."""

    display: str
    folder: Path
    locator: Locator
    data: dict[str, Any] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    # Values built from the environment → their ZCRM_VAR_* names: a rule that quotes a
    # value (`'x' is not one of ...`) shows the names instead (render.py).
    masks: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def mask(self, masks: dict[str, tuple[str, ...]]) -> None:
        """Mask these values in every problem reported from now on."""
        self.masks = masks

    def add(
        self,
        parts: Sequence[PathPart],
        message: str,
        rule: str,
        fix: str,
        *,
        key: bool = False,
        severity: Severity = "error",
    ) -> None:
        line, col = self.locator.mark(parts, key=key)
        path = format_path(parts)
        message, fix = mask_text(message, self.masks), mask_text(fix, self.masks)
        self.problems.append(Problem(self.display, line, col, path, message, rule, fix, severity))

    def warn(self, parts: Sequence[PathPart], message: str, rule: str, fix: str) -> None:
        self.add(parts, message, rule, fix, severity="warning")

    def at(
        self,
        file: str,
        line: int,
        parts: Sequence[PathPart],
        message: str,
        rule: str,
        fix: str,
        *,
        col: int = 1,
    ) -> None:
        """A problem inside another file (an ids file or a CSV), at its line and column."""
        path = format_path(parts)
        message, fix = mask_text(message, self.masks), mask_text(fix, self.masks)
        self.problems.append(Problem(file, line, col, path, message, rule, fix))

    @property
    def failed(self) -> bool:
        return any(p.severity == "error" for p in self.problems)


def walk(data: Any, parts: Sequence[PathPart]) -> Any:
    """The value at a key path, or None when the path does not exist."""
    for part in parts:
        if isinstance(data, dict) and isinstance(part, str):
            data = data.get(part)
        elif isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data):
            data = data[part]
        else:
            return None
    return data


def jobs_of(data: dict[str, Any]) -> list[tuple[int, dict[str, Any]]]:
    """(index, job) for every job that is at least a mapping; rules skip the rest."""
    jobs = data.get("jobs")
    if not isinstance(jobs, list):
        return []
    return [(i, job) for i, job in enumerate(jobs) if isinstance(job, dict)]


def text(value: Any) -> str | None:
    """The value if it is a non-empty string, else None (schema reports the rest)."""
    return value if isinstance(value, str) and value else None


RECORD_ID_FIX = 'write the id\'s digits, e.g. "554023000000497007"'


def shown(value: Any) -> str:
    """A short repr for messages."""
    out = repr(value)
    return out if len(out) <= 60 else out[:57] + "..."
