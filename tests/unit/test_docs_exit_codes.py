"""docs/EXIT_CODES.md documents exactly the exit codes the code can end with.

Each command's `run()` is read with `ast`: a literal return is a code; `return
x.exit_code` (apply, resume) is any code `exit_code_for` returns, read the same way.
`cli.main` adds the codes every command may end with, and each exception's `exit_code`
must be documented somewhere.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import inspect
import pkgutil
import textwrap
from collections.abc import Callable
from typing import Any

import runner
from runner import cli
from runner.docsgen.exit_codes import COMMANDS, EVERY_COMMAND
from runner.errors import RunnerError
from runner.results import exit_code_for

RUN_RESULT = "RunResult.exit_code"


def _returns(func: Callable[..., Any], *, strict: bool = True) -> set[int | str]:
    """The codes a function returns: int literals (both sides of `a if c else b`), and
    RUN_RESULT for `return something.exit_code`. Anything else fails the test, unless
    not `strict` (then only the literals count)."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(func)))
    found: set[int | str] = set()

    def value(node: ast.expr | None) -> None:
        if isinstance(node, ast.Constant) and isinstance(node.value, int):
            found.add(node.value)
        elif isinstance(node, ast.IfExp):
            value(node.body)
            value(node.orelse)
        elif isinstance(node, ast.Attribute) and node.attr == "exit_code" and strict:
            found.add(RUN_RESULT)
        elif strict:
            shown = ast.unparse(node) if node is not None else "a bare return"
            raise AssertionError(f"{func.__qualname__}: cannot tell the code of {shown}")

    for node in ast.walk(tree):
        if isinstance(node, ast.Return):
            value(node.value)
    return found


def _commands() -> dict[str, str]:
    """`zcrm-runner` commands as typed (`sim serve`) → the module whose run() runs them."""
    found = {}
    for verb, sub in _subparsers(cli.build_parser()).items():
        nested = _subparsers(sub)
        for name in nested or {"": sub}:
            found[f"{verb} {name}".strip()] = f"runner.commands.{verb}"
    return found


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _run_codes(module: str) -> set[int]:
    found = _returns(importlib.import_module(module).run)
    if RUN_RESULT in found:
        found = (found - {RUN_RESULT}) | _returns(exit_code_for)
    return {c for c in found if isinstance(c, int)}


def test_every_command_has_its_exit_codes_documented() -> None:
    """The page has a section for each command of the CLI, and no other."""
    assert set(COMMANDS) == set(_commands())


def test_a_commands_codes_are_the_codes_it_can_return() -> None:
    """Each code run() can return is documented; each documented one can happen (or is 1,
    which any RunnerError gives)."""
    for command, module in _commands().items():
        documented = {e.code for e in COMMANDS[command]}
        returned = _run_codes(module)
        assert returned <= documented, (command, sorted(returned - documented))
        assert documented <= returned | {1}, (command, sorted(documented - returned - {1}))


def test_exit_code_for_returns_what_apply_documents() -> None:
    """exit_code_for's codes are 0, 1, 3 and 4, as documented for apply and resume."""
    assert _returns(exit_code_for) == {0, 1, 3, 4}
    assert {e.code for e in COMMANDS["apply"]} == {0, 1, 3, 4}
    assert {e.code for e in COMMANDS["resume"]} == {0, 1, 3, 4}


def test_main_returns_only_codes_every_command_documents() -> None:
    """cli.main's own returns (^C, broken pipe, internal error) are in 'Every command'."""
    literal = {c for c in _returns(cli.main, strict=False) if isinstance(c, int)}
    assert literal == {0, 1, 130}
    assert literal <= {e.code for e in EVERY_COMMAND}


def _exception_classes(cls: type[RunnerError]) -> set[type[RunnerError]]:
    found = {cls}
    for sub in cls.__subclasses__():
        found |= _exception_classes(sub)
    return found


def test_every_exception_exit_code_is_documented() -> None:
    """Each RunnerError subclass anywhere in runner/ ends with a documented code."""
    for info in pkgutil.walk_packages(runner.__path__, "runner."):
        if not info.name.endswith("__main__"):  # those run the CLI when imported
            importlib.import_module(info.name)
    documented = {e.code for e in EVERY_COMMAND} | {
        e.code for exits in COMMANDS.values() for e in exits
    }
    codes = {cls.exit_code for cls in _exception_classes(RunnerError)}
    assert codes == {1, 3, 4, 130}
    assert codes <= documented
