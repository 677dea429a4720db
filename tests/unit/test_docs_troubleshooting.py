"""docs/TROUBLESHOOTING.md explains every Zoho code the client knows and every error the
runner makes itself, found by reading runner/ with `ast`."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from runner import errors as runner_errors
from runner.docsgen import troubleshooting
from runner.docsgen.runner_errors import RUNNER_ERRORS
from runner.outcome import OUTCOME_UNKNOWN
from runner.simulator.exceptions import BY_CODE as SIMULATED
from runner.zoho import errors as z

RUNNER = Path(__file__).resolve().parents[2] / "runner"
PAGE = troubleshooting.render()
CODE = re.compile(r"[A-Z][A-Z_]+")
KEYS = {key for e in RUNNER_ERRORS for key in e.keys}
ERROR_CLASSES = {
    name for name, cls in vars(z).items() if isinstance(cls, type) and issubclass(cls, z.ZohoError)
} | {"JobError", "__init__"}


def _codes_the_runner_writes() -> set[str]:
    """`JobError("X", ...)`, `ZohoError("X", ...)`, `HostRefused("X", ...)` and the like
    (a `super().__init__("X", ...)` in runner/zoho/errors.py too): every X in runner/."""
    found = set()
    for path in RUNNER.rglob("*.py"):
        if "simulator" in path.parts or "docsgen" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            first = node.args[0]
            value = first.value if isinstance(first, ast.Constant) else None
            if name in ERROR_CLASSES and isinstance(value, str) and CODE.fullmatch(value):
                found.add(value)
    return found | {OUTCOME_UNKNOWN}  # written through runner.outcome's constant too


def test_every_client_code_has_a_row() -> None:
    """Each code of runner/zoho/errors.py's table is a row of the Zoho table."""
    missing = [c for c in z.KNOWN_CODES if f"| `{c}` |" not in PAGE]
    assert missing == []


def test_every_client_class_has_a_section() -> None:
    """Each class a known code maps to says what the runner does with it."""
    classes = {z.class_for(code, None) for code in z.KNOWN_CODES}
    assert classes <= set(troubleshooting.FAMILIES)


def test_simulated_statuses_are_the_simulators() -> None:
    """A code the simulator sends shows the status it sends it with."""
    for code, cls in SIMULATED.items():
        if code in z.KNOWN_CODES and code not in troubleshooting.ARRIVES_AS:
            assert troubleshooting.http_status(code) == str(cls.status), code


def test_class_statuses_match_the_simulator_but_for_the_documented_exceptions() -> None:
    """The fallback status of a class (for codes not simulated) is the one the simulator
    uses for its other codes, except the three the client's docstring tree calls out."""
    differ = {
        code
        for code, cls in SIMULATED.items()
        if code in z.KNOWN_CODES
        and code not in troubleshooting.ARRIVES_AS
        and troubleshooting.FAMILIES[z.class_for(code, None)].status != str(cls.status)
    }
    assert differ == {"AUTHORIZATION_FAILED", "FILE_TOO_LARGE", "MEDIA_TYPE_NOT_SUPPORTED"}


def test_every_code_the_runner_writes_is_explained() -> None:
    """A code the runner makes up (not Zoho's) has an entry among the runner's errors."""
    own = _codes_the_runner_writes() - z.KNOWN_CODES
    assert {"OUTCOME_UNKNOWN", "HOST_REFUSED", "INVALID_RESPONSE"} <= own
    assert own - KEYS == set()


def test_every_runner_exception_is_explained() -> None:
    """Each RunnerError subclass of runner/errors.py has an entry among the runner's errors."""
    classes = {
        name
        for name, cls in vars(runner_errors).items()
        if isinstance(cls, type)
        and issubclass(cls, runner_errors.RunnerError)
        and cls is not runner_errors.RunnerError
    }
    assert classes - KEYS == set()


def test_no_entry_names_something_that_is_gone() -> None:
    """Every key of an entry is an exception class or a code the runner still writes."""
    known = set(vars(runner_errors)) | _codes_the_runner_writes()
    assert KEYS - known == set()


def test_the_errors_users_meet_most_have_sections() -> None:
    """No target, lock held, unfinished run, OUTCOME_UNKNOWN, plan refused, host refused."""
    for heading in (
        "No target",
        "Lock held",
        "Unfinished run",
        "OUTCOME_UNKNOWN",
        "Plan refused",
        "Host refused",
    ):
        assert f"\n### {heading}\n" in PAGE, heading
