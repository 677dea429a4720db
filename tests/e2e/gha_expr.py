"""GitHub Actions expressions (`${{ ... }}`), the part our example workflows use.

Literals ('text', numbers, true, false, null), context paths (`steps.plan.outcome`),
`!`, `==`, `!=`, `&&`, `||`, parentheses and the status functions `success()`,
`failure()`, `always()`, `cancelled()`. Comparison and truthiness follow GitHub's rules
(docs: "Evaluate expressions in workflows and actions"): strings compare ignoring case,
values of different types compare as numbers, a missing property is null. Anything else
is an error, so a workflow that grows past this subset fails its test instead of being
half understood.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from typing import Any

_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<num>-?\d+(?:\.\d+)?)|(?P<op>==|!=|&&|\|\||[!()])"
    r"|(?P<call>[A-Za-z_][\w-]*\(\))|(?P<path>[A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*)*))"
)
_EMBEDDED = re.compile(r"\$\{\{(.*?)\}\}", re.S)


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    while pos < len(text.rstrip()):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise ValueError(f"unsupported expression at {text[pos:]!r} in {text!r}")
        kind = match.lastgroup
        assert kind is not None
        out.append((kind, match.group(kind)))
        pos = match.end()
    return out


def _number(value: Any) -> float:
    if value is None:
        return 0.0
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(str(value).strip() or 0)
    except ValueError:
        return math.nan


def equal(a: Any, b: Any) -> bool:
    """GitHub's `==`: strings ignore case; different types compare as numbers."""
    if isinstance(a, str) and isinstance(b, str):
        return a.casefold() == b.casefold()
    if type(a) is type(b) and not isinstance(a, (int, float)):
        return bool(a == b)
    return _number(a) == _number(b)


def truthy(value: Any) -> bool:
    """Falsy: false, 0, NaN, '' and null."""
    if isinstance(value, float) and math.isnan(value):
        return False
    return value not in (None, False, 0, "")


def as_text(value: Any) -> str:
    """How a value reads once it is put into a string (`env:`, `with:`)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class _Parser:
    def __init__(
        self, text: str, contexts: Mapping[str, Any], functions: Mapping[str, Callable[[], bool]]
    ) -> None:
        self.tokens = _tokens(text)
        self.pos = 0
        self.text = text
        self.contexts = contexts
        self.functions = functions

    def peek(self) -> str | None:
        return self.tokens[self.pos][1] if self.pos < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def parse(self) -> Any:
        value = self.or_()
        if self.pos != len(self.tokens):
            raise ValueError(f"unexpected {self.peek()!r} in {self.text!r}")
        return value

    def or_(self) -> Any:
        value = self.and_()
        while self.peek() == "||":
            self.take()
            right = self.and_()
            value = value if truthy(value) else right
        return value

    def and_(self) -> Any:
        value = self.compare()
        while self.peek() == "&&":
            self.take()
            right = self.compare()
            value = right if truthy(value) else value
        return value

    def compare(self) -> Any:
        value = self.unary()
        while self.peek() in ("==", "!="):
            op = self.take()[1]
            same = equal(value, self.unary())
            value = same if op == "==" else not same
        return value

    def unary(self) -> Any:
        if self.peek() == "!":
            self.take()
            return not truthy(self.unary())
        return self.atom()

    def atom(self) -> Any:
        kind, text = self.take()
        if text == "(":
            value = self.or_()
            if self.take()[1] != ")":
                raise ValueError(f"missing ) in {self.text!r}")
            return value
        if kind == "str":
            return text[1:-1].replace("''", "'")
        if kind == "num":
            return float(text)
        if kind == "call":
            name = text[:-2]
            if name not in self.functions:
                raise ValueError(f"unsupported function {text} in {self.text!r}")
            return self.functions[name]()
        if kind == "path":
            return self.lookup(text)
        raise ValueError(f"unexpected {text!r} in {self.text!r}")

    def lookup(self, path: str) -> Any:
        literals = {"true": True, "false": False, "null": None}
        if path in literals:
            return literals[path]
        head, *rest = path.split(".")
        if head not in self.contexts:
            raise ValueError(f"unknown context {head!r} in {self.text!r}")
        value: Any = self.contexts[head]
        for part in rest:
            value = value.get(part) if isinstance(value, Mapping) else None
        return value


def evaluate(
    text: str,
    contexts: Mapping[str, Any],
    functions: Mapping[str, Callable[[], bool]] | None = None,
) -> Any:
    """The value of one expression (the text inside `${{ }}`, or a bare `if:`)."""
    return _Parser(text, contexts, functions or {}).parse()


def interpolate(text: str, contexts: Mapping[str, Any]) -> str:
    """A string with every `${{ expr }}` replaced by its value as text."""
    return _EMBEDDED.sub(lambda m: as_text(evaluate(m.group(1), contexts)), text)


def condition(
    text: str | bool | None,
    contexts: Mapping[str, Any],
    functions: Mapping[str, Callable[[], bool]],
) -> bool:
    """An `if:`: absent means success(); a status function anywhere replaces that default."""
    if text is None:
        return functions["success"]()
    if isinstance(text, bool):
        return text
    inner = text.strip()
    whole = _EMBEDDED.fullmatch(inner)
    expr = whole.group(1) if whole else inner
    value = evaluate(expr, contexts, functions)
    if not re.search(r"\b(success|failure|always|cancelled)\(\)", expr):
        return functions["success"]() and truthy(value)
    return truthy(value)
