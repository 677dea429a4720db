"""Render `{{ ... }}` in string values with a sandboxed Jinja2 and StrictUndefined.

Context: `vars` (the manifest's own, rendered first with `env` only) and `env`, which
reads ZCRM_VAR_* variables only (template_env.py says why). Every string whose template
read the environment, directly or through a var built from it, is recorded in `from_env`
with the names it read: plans and messages show those names, never the value. Such a
string may only be record data (`values`, a mapping's `default_value`, a criteria
`value`): a masked job name, module, id or path could not be reviewed. Errors name the
key and show the template, never a value. The sandbox itself, and the wording of each
failure, are in sandbox.py, imported at the first template (Jinja2 is ~20 ms to import).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from runner.manifest.load import PathPart
from runner.manifest.rules import Reporter
from runner.manifest.template_env import EnvView, VarsView

if TYPE_CHECKING:
    from jinja2.sandbox import SandboxedEnvironment

_MARKERS = ("{{", "{%", "{#")
DATA_PLACES = "values, field_mappings[].default_value, criteria values"

KeyPath = tuple[PathPart, ...]


def _describe(template: str) -> str:
    shown = template if len(template) <= 80 else template[:77] + "..."
    return repr(shown)


def is_data_place(parts: KeyPath) -> bool:
    """Whether a value at this key path is record data, which may come from env."""
    if len(parts) < 4 or parts[0] != "jobs":
        return parts[:1] == ("vars",)
    field = parts[2]
    if field == "values":
        return True
    if field == "field_mappings":
        return len(parts) >= 5 and parts[4] == "default_value"
    return field == "criteria" and "value" in parts[3:]


class Renderer:
    """Renders one manifest's strings, reporting each failure at its key.

    After `render_manifest`, `from_env` maps the key path of every string built from the
    environment to the ZCRM_VAR_* names it read, and `env_values` holds what to redact
    wherever an output could echo it: those strings and the variables' own values.
    """

    def __init__(self, reporter: Reporter, environ: Mapping[str, str]) -> None:
        self.reporter = reporter
        self._sandbox: SandboxedEnvironment | None = None  # built at the first template
        self.environ = EnvView(environ)
        self.from_env: dict[KeyPath, tuple[str, ...]] = {}
        self.masks: dict[str, set[str]] = {}  # text to mask → the names it came from

    def render_manifest(self, data: dict[str, Any]) -> dict[str, Any]:
        out = dict(data)
        raw_vars = data.get("vars")
        context: dict[str, Any] = {"env": self.environ}
        if isinstance(raw_vars, dict):
            out["vars"] = self.walk(raw_vars, ["vars"], context)
        rendered = out.get("vars")
        context["vars"] = VarsView(
            rendered if isinstance(rendered, dict) else {}, self._vars_taint()
        )
        if "jobs" in data:
            out["jobs"] = self.walk(data["jobs"], ["jobs"], context)
        self.reporter.mask({text: tuple(sorted(names)) for text, names in self.masks.items()})
        return out

    @property
    def env_values(self) -> tuple[str, ...]:
        """What to redact wherever an output could echo it: the variables' values and
        every string built from them."""
        return tuple(sorted(self.masks))

    def _vars_taint(self) -> dict[str, frozenset[str]]:
        taint: dict[str, set[str]] = {}
        for path, names in self.from_env.items():
            if len(path) > 1 and path[0] == "vars":
                taint.setdefault(str(path[1]), set()).update(names)
        return {k: frozenset(v) for k, v in taint.items()}

    def _record(self, parts: list[PathPart], text: str, names: tuple[str, ...]) -> None:
        self.from_env[tuple(parts)] = names
        self.masks.setdefault(text, set()).update(names)
        for name in self.environ.reads:
            self.masks.setdefault(self.environ.value(name), set()).add(name)

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
        from runner.manifest import sandbox  # Jinja2, only for a manifest with templates

        views = [v for v in context.values() if isinstance(v, EnvView | VarsView)]
        for view in views:
            view.reads.clear()
        if self._sandbox is None:
            self._sandbox = sandbox.environment()
        try:
            text = sandbox.render(self._sandbox, template, context)
        except Exception as exc:  # every failure, a filter's own too, is a located problem
            self.reporter.add(parts, *sandbox.problem(exc, _describe(template)))
            return template
        names = tuple(sorted({n for view in views for n in view.reads}))
        if not names:
            return text
        if not is_data_place(tuple(parts)):
            msg = (
                f"template {_describe(template)} uses {', '.join(names)}: a value from the "
                f"environment may only be record data ({DATA_PLACES})"
            )
            fix = "write this value in the manifest: plans mask values from the environment"
            self.reporter.add(parts, msg, "template-env-place", fix)
            return template
        self._record(parts, text, names)
        return text
