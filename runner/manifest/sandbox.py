"""The Jinja2 side of manifest templates: a sandbox with no globals and no files, and the
wording of every way a template can fail.

render.py imports this module only when a string holds a template marker, so `validate`
of a manifest without templates never imports Jinja2 (~20 ms of every run, issue 11).
"""

from __future__ import annotations

import operator
from typing import Any

from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, UndefinedError, nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from runner.manifest.template_env import EnvRefused, EnvView, VarsView, dumps, shown_name

_MAX_OUTPUT = 1_000_000  # characters one operator may build; `'a' * 10**9` is refused
_VIEW_METHODS = frozenset({"get", "items", "keys", "values"})  # env refuses all but get
_FILE_TAGS: tuple[tuple[type[nodes.Node], str], ...] = (
    (nodes.Include, "include"),
    (nodes.Import, "import"),
    (nodes.FromImport, "import"),
    (nodes.Extends, "extends"),
)


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


def environment() -> SandboxedEnvironment:
    """A fresh sandbox: StrictUndefined, no autoescape, no globals."""
    env = _Sandbox(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)
    env.globals.clear()  # no range, lipsum, cycler...: only vars and env reach a template
    env.policies["json.dumps_function"] = dumps  # `env | tojson` is refused by name
    return env


def render(env: SandboxedEnvironment, template: str, context: dict[str, Any]) -> str:
    """The template's text; raises what it failed with (`problem` words it)."""
    tree = env.parse(template)
    for node_type, tag in _FILE_TAGS:
        if tree.find(node_type) is not None:
            raise _NoFiles(tag)
    return env.from_string(tree).render(context)


def problem(exc: Exception, shown: str) -> tuple[str, str, str]:
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
