"""Markdown building blocks the generated pages share: tables, code, the page header."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

#: The command that regenerates every page; the staleness tests print it.
REGENERATE = "python -m runner.docsgen"


def header(title: str, source: str) -> list[str]:
    """A page's title and the note that says where it comes from and how to remake it."""
    return [
        f"# {title}",
        "",
        f"<!-- Generated from {source} by `{REGENERATE}`: edit the source, then run it. -->",
        "",
    ]


def cell(text: str) -> str:
    """Table-cell text: pipes escaped, line breaks folded (a table row is one line)."""
    return " ".join(text.replace("|", "\\|").split())


def code(value: Any) -> str:
    """An inline code span: strings as written, anything else as JSON (`true`, `[]`)."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    fence = "``" if "`" in text else "`"
    pad = " " if fence == "``" else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def codes(values: Iterable[Any], joiner: str = ", ") -> str:
    """Several code spans in a row: `a`, `b`, `c`."""
    return joiner.join(code(v) for v in values)


def table(head: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    """A GitHub table; cells are passed through `cell`."""
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return lines


def sentence(text: str) -> str:
    """`text` ending with one full stop (descriptions in the schema mostly have one)."""
    text = text.strip()
    return text if not text or text[-1] in ".!?)" or text.endswith("`") else f"{text}."
