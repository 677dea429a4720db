"""One Problem type for every validation finding, located at file:line:col and a key path."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    """A finding: where it is, what is wrong, which rule says so, and how to fix it.

    `path` is the key path through the manifest (`jobs[2].values`), `rule` a stable slug
    (`deals-max-3`) that tests and docs pin, `fix` one imperative sentence.
    """

    file: str
    line: int
    col: int
    path: str
    message: str
    rule: str
    fix: str
    severity: Severity = "error"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.col}: "
        tag = "warning: " if self.severity == "warning" else ""
        return f"{where}{tag}{self.path}: {self.message} ({self.rule}); {self.fix}"

    def to_dict(self) -> dict[str, object]:
        return asdict(self)
