"""Render `{{ ... }}` in string values with a sandboxed Jinja2 and StrictUndefined.

Context: `vars` (the manifest's own, rendered first with `env` only) and `env`, which
reads ZCRM_VAR_* variables only (template_env.py says why). Every string whose template
read the environment, directly or through a var built from it, is recorded in `from_env`
with the names it read: plans and messages show those names, never the value. Such a
string may only be record data (`values`, a mapping's `default_value`, a criteria
`value`): a masked job name, module, id or path could not be reviewed. Errors name the
key and show the template, never a value.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping
from typing import Any

from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, UndefinedError, nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from runner.manifest.load import PathPart
from runner.manifest.rules import Reporter
from runner.manifest.template_env import (
    EnvRefused,
    EnvView,
    VarsView,
    dumps,
    shown_name,
)

_MARKERS = ("{{", "{%", "{#")
_MAX_OUTPUT = 1_000_000  # characters one operator may build; `'a' * 10**9` is refused
_VIEW_METHODS = frozenset({"get", "items", "keys", "values"})  # env refuses all but get
_FILE_TAGS: tuple[tuple[type[nodes.Node], str], ...] = (
    (nodes.Include, "include"),
    (nodes.Import, "import"),
    (nodes.FromImport, "import"),
    (nodes.Extends, "extends"),
)
DATA_PLACES = "values, field_mappings[].default_value, criteria values"

KeyPath = tuple[PathPart, ...]


class _NoFiles(Exception):
    """A template used a tag that loads another template: there is no file to load."""

    def __init__(self, tag: str) -> None:
        self.tag = tag
        super().__init__(tag)


class _Sandbox(SandboxedEnvironment):
    """No globals at all, a cap on what `*` and `**` may build, and `env`/`vars` looked up
    through their views (so a missing name says which ones exist)."""

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

    def getattr(self, obj: Any, attribute: str) -> Any:
        if isinstance(obj, EnvView | VarsView):
            if attribute in _VIEW_METHODS:
                return getattr(obj, attribute)  # as a dict's: `vars.items` is the method
            return self.getitem(obj, attribute)
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        if isinstance(obj, EnvView):
            value = obj.lookup(argument)
            if value is None:
                hint = f"{shown_name(argument)} is not set ({obj.readable})"
                return self.undefined(hint=hint, obj=obj, name=argument)
            return value
        if isinstance(obj, VarsView) and isinstance(argument, str):
            if argument in obj:
                return obj[argument]
            hint = f"'dict object' has no attribute {argument!r}"
            return self.undefined(hint=hint, obj=obj, name=argument)
        return super().getitem(obj, argument)


def _environment() -> SandboxedEnvironment:
    env = _Sandbox(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)
    env.globals.clear()  # no range, lipsum, cycler...: only vars and env reach a template
    env.policies["json.dumps_function"] = dumps  # `env | tojson` is refused by name
    return env


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
        self.env = _environment()
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
        views = [v for v in context.values() if isinstance(v, EnvView | VarsView)]
        for view in views:
            view.reads.clear()
        try:
            tree = self.env.parse(template)
            for node_type, tag in _FILE_TAGS:
                if tree.find(node_type) is not None:
                    raise _NoFiles(tag)
            text = self.env.from_string(tree).render(context)
        except Exception as exc:  # every failure, a filter's own too, is a located problem
            self.reporter.add(parts, *_problem(exc, _describe(template)))
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


def _problem(exc: Exception, shown: str) -> tuple[str, str, str]:
    """(message, rule, fix) for a template that failed; never a value in the text."""
    if isinstance(exc, EnvRefused) and exc.credential is not None:
        msg = f"template {shown} reads {exc.credential}: ZOHO_* variables are the runner's "
        return msg + "credentials", "template-secret", exc.fix
    if isinstance(exc, EnvRefused):
        return f"template {shown}: {exc.message}", "template-env", exc.fix
    if isinstance(exc, _NoFiles):
        msg = f"template {shown}: {exc.tag} is not available in manifests: "
        return (
            msg + "templates cannot read files",
            "template-no-files",
            "write the text here, or share it through vars",
        )
    if isinstance(exc, UndefinedError):
        fix = "define it under vars, or set that environment variable"
        return f"template {shown}: {exc.message}", "template-undefined", fix
    if isinstance(exc, SecurityError):
        fix = "use only vars and env with plain filters"
        return f"template {shown}: {exc.message}", "template-sandbox", fix
    if isinstance(exc, TemplateSyntaxError):
        fix = "fix the template: see jinja.palletsprojects.com"
        return f"template {shown}: {exc.message}", "template-syntax", fix
    if isinstance(exc, TemplateError):
        return f"template {shown}: {exc.message}", "template-error", "fix the template"
    # a filter raised; its text may quote a value, so omit it
    return (
        f"template {shown} failed with {type(exc).__name__}",
        "template-error",
        "fix the template",
    )
