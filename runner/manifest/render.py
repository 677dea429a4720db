"""Render `{{ ... }}` in string values with a sandboxed Jinja2 and StrictUndefined.

Context: `vars` (the manifest's own, rendered first with `env` only) and `env` (the
process environment). `env` never yields a ZOHO_* variable: those hold the runner's
credentials, so a lookup is refused and iteration hides them, whatever trick a template
uses to build the name. Errors name the key and show the template, never a value.
"""

from __future__ import annotations

import operator
from collections.abc import Iterator, Mapping
from typing import Any

from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, UndefinedError
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from runner.manifest.load import PathPart
from runner.manifest.rules import Reporter

_MARKERS = ("{{", "{%", "{#")
_MAX_OUTPUT = 1_000_000  # characters one operator may build; `'a' * 10**9` is refused


def is_secret_name(name: str) -> bool:
    """The runner's credentials and settings all live in ZOHO_* variables."""
    return name.upper().startswith("ZOHO_")


class SecretRefused(Exception):
    """A template asked for a ZOHO_* variable (not a LookupError, so Jinja cannot hide it)."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(name)


class SafeEnviron(Mapping[str, str]):
    """Read-only view of the environment without ZOHO_*: never stored, never iterated."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._visible = {k: v for k, v in environ.items() if not is_secret_name(k)}

    def __getitem__(self, name: str) -> str:
        if isinstance(name, str) and is_secret_name(name):
            raise SecretRefused(name)
        return self._visible[name]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and not is_secret_name(name) and name in self._visible

    def __iter__(self) -> Iterator[str]:
        return iter(self._visible)

    def __len__(self) -> int:
        return len(self._visible)


class _Sandbox(SandboxedEnvironment):
    """No globals at all, and a cap on what `*` and `**` may build."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator_name: str, left: Any, right: Any) -> Any:
        if operator_name == "**" and isinstance(right, int) and abs(right) > 100:
            raise SecurityError("exponent too large")
        if operator_name == "*":
            for seq, times in ((left, right), (right, left)):
                sized = isinstance(seq, str | list | tuple) and isinstance(times, int)
                if sized and len(seq) * times > _MAX_OUTPUT:
                    raise SecurityError("result too large")
            return operator.mul(left, right)
        return super().call_binop(context, operator_name, left, right)


def _environment() -> SandboxedEnvironment:
    env = _Sandbox(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)
    env.globals.clear()  # no range, lipsum, cycler...: only vars and env reach a template
    return env


def _describe(template: str) -> str:
    shown = template if len(template) <= 80 else template[:77] + "..."
    return repr(shown)


class Renderer:
    """Renders one manifest's strings, reporting each failure at its key."""

    def __init__(self, reporter: Reporter, environ: Mapping[str, str]) -> None:
        self.reporter = reporter
        self.env = _environment()
        self.safe_environ = SafeEnviron(environ)

    def render_manifest(self, data: dict[str, Any]) -> dict[str, Any]:
        out = dict(data)
        raw_vars = data.get("vars")
        context: dict[str, Any] = {"env": self.safe_environ}
        if isinstance(raw_vars, dict):
            out["vars"] = self.walk(raw_vars, ["vars"], context)
        context["vars"] = out.get("vars") if isinstance(out.get("vars"), dict) else {}
        if "jobs" in data:
            out["jobs"] = self.walk(data["jobs"], ["jobs"], context)
        return out

    def walk(self, value: Any, parts: list[PathPart], context: dict[str, Any]) -> Any:
        if isinstance(value, str):
            if "{" in value and any(m in value for m in _MARKERS):
                return self.render(value, parts, context)
            return value
        if isinstance(value, dict):
            return {k: self.walk(v, [*parts, k], context) for k, v in value.items()}
        if isinstance(value, list):
            if not any(type(v) is not int and (type(v) is not str or "{" in v) for v in value):
                return value  # long id lists: nothing to render
            return [self.walk(v, [*parts, i], context) for i, v in enumerate(value)]
        return value

    def render(self, template: str, parts: list[PathPart], context: dict[str, Any]) -> str:
        shown = _describe(template)

        def report(message: str, rule: str, fix: str) -> None:
            self.reporter.add(parts, message, rule, fix)

        try:
            return self.env.from_string(template).render(context)
        except SecretRefused as exc:
            msg = (
                f"template {shown} reads {exc.name}: ZOHO_* variables are the runner's credentials"
            )
            report(msg, "template-secret", "remove it; credentials never go into a manifest")
        except UndefinedError as exc:
            msg = f"template {shown}: {exc.message}"
            fix = "define it under vars, or set that environment variable"
            report(msg, "template-undefined", fix)
        except SecurityError as exc:
            msg = f"template {shown}: {exc.message}"
            report(msg, "template-sandbox", "use only vars and env with plain filters")
        except TemplateSyntaxError as exc:
            msg = f"template {shown}: {exc.message}"
            report(msg, "template-syntax", "fix the template: see jinja.palletsprojects.com")
        except TemplateError as exc:
            report(f"template {shown}: {exc.message}", "template-error", "fix the template")
        except Exception as exc:  # a filter raised; its text may quote a value, so omit it
            msg = f"template {shown} failed with {type(exc).__name__}"
            report(msg, "template-error", "fix the template")
        return template
