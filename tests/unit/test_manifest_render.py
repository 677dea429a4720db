"""Templating: vars and env render; ZOHO_* credentials can never be read."""

from __future__ import annotations

from pathlib import Path

import pytest

from runner.manifest.model import MassUpdateJob
from runner.manifest.render import SafeEnviron
from runner.manifest.validate import check_files

SECRET = "s3cr3t-value-never-shown"
ENVIRON = {"REGION": "Education", "ZOHO_CLIENT_SECRET": SECRET, "ZOHO_X": SECRET}


def _manifest(tmp_path: Path, value: str, vars_block: str = "") -> Path:
    path = tmp_path / "jobs.yaml"
    path.write_text(
        f"version: 1\n{vars_block}jobs:\n"
        "  - name: a\n    kind: mass_update\n    module: Accounts\n    ids: [1]\n"
        f"    values: {{Industry: {value}}}\n",
        encoding="utf-8",
    )
    return path


def _check(path: Path) -> tuple[list[str], str | None]:
    checked = check_files([path], environ=ENVIRON)
    lines = [str(p) for p in checked.problems]
    if not checked.manifests:
        return lines, None
    job = checked.manifests[0].jobs[0]
    assert isinstance(job, MassUpdateJob)
    return lines, str(job.values["Industry"])


def test_vars_and_env_render(tmp_path: Path) -> None:
    """vars (rendered first, with env) and env reach string values."""
    path = _manifest(tmp_path, '"{{ vars.ind }}"', 'vars: {ind: "{{ env.REGION }}"}\n')
    assert _check(path) == ([], "Education")


@pytest.mark.parametrize(
    ("template", "name"),
    [
        ("{{ env.ZOHO_CLIENT_SECRET }}", "ZOHO_CLIENT_SECRET"),
        ("{{ env['ZO' ~ 'HO_X'] }}", "ZOHO_X"),
        ("{{ env.get('ZOHO_X') }}", "ZOHO_X"),
        ("{{ env['zoho_x'] }}", "zoho_x"),
    ],
)
def test_zoho_variables_refused(tmp_path: Path, template: str, name: str) -> None:
    """Any lookup of a ZOHO_* variable is an error at its key, and no value leaks."""
    lines, value = _check(_manifest(tmp_path, f'"{template}"'))
    assert value is None
    assert len(lines) == 1
    assert f"7:24: jobs[0].values.Industry: template {template!r} reads {name}:" in lines[0]
    assert "(template-secret); remove it; credentials never go into a manifest" in lines[0]
    assert SECRET not in lines[0]


@pytest.mark.parametrize(
    "template",
    [
        "{{ env.items() | list }}",
        "{{ env | list }}",
        "{{ env | dictsort }}",
        "{{ env.values() | list }}",
    ],
)
def test_iteration_hides_zoho_variables(tmp_path: Path, template: str) -> None:
    """Iterating env shows the other variables but never a ZOHO_* name or value."""
    lines, value = _check(_manifest(tmp_path, f'"{template}"'))
    assert lines == []
    assert value is not None
    assert "REGION" in value or "Education" in value
    assert "ZOHO" not in value
    assert SECRET not in value


def test_safe_environ_is_a_read_only_view() -> None:
    """The mapping has no ZOHO_* key at all, and `in` says so."""
    env = SafeEnviron(ENVIRON)
    assert dict(env) == {"REGION": "Education"}
    assert "ZOHO_X" not in env
    assert len(env) == 1


def test_undefined_name_is_located(tmp_path: Path) -> None:
    """An undefined name is an error at its key, with the template shown."""
    path = _manifest(tmp_path, '"{{ vars.nope }}"', "vars: {a: 1}\n")
    lines, _ = _check(path)
    assert lines == [
        f"{path}:8:24: jobs[0].values.Industry: template '{{{{ vars.nope }}}}': "
        "'dict object' has no attribute 'nope' (template-undefined); "
        "define it under vars, or set that environment variable"
    ]


@pytest.mark.parametrize(
    ("template", "rule"),
    [
        ("{{ ''.__class__.__mro__ }}", "template-sandbox"),
        ("{{ 'a' * 100000000 }}", "template-sandbox"),
        ("{{ range(3) | list }}", "template-undefined"),
        ("{{ vars.a", "template-syntax"),
    ],
)
def test_sandbox_violations_and_syntax_are_problems(
    tmp_path: Path, template: str, rule: str
) -> None:
    """Unsafe attributes, huge products, missing globals and bad syntax never raise."""
    lines, value = _check(_manifest(tmp_path, f'"{template}"', "vars: {a: 1}\n"))
    assert value is None
    assert [f"({rule});" in line for line in lines] == [True]


def test_non_string_values_are_not_rendered(tmp_path: Path) -> None:
    """Only strings are templates; ids stay as they are."""
    path = _manifest(tmp_path, "plain text")
    assert _check(path) == ([], "plain text")
