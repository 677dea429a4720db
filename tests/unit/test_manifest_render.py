"""Templating: vars and ZCRM_VAR_* variables render; no other variable can be read, and a
value built from the environment is recorded so that plans and messages mask it."""

from __future__ import annotations

from pathlib import Path

import pytest

from runner.manifest.model import MassUpdateJob
from runner.manifest.template_env import mask_text
from runner.manifest.validate import check_files

SECRET = "s3cr3t-value-never-shown"
CANARY = "zcrm-var-canary-7f3a9c"
ENVIRON = {
    "ZCRM_VAR_REGION": "Education",
    "ZCRM_VAR_TOKEN": CANARY,
    "GITHUB_TOKEN": SECRET,
    "ZOHO_CLIENT_SECRET": SECRET,
    "ZOHO_X": SECRET,
    "REGION": SECRET,
}
READABLE = "(set: ZCRM_VAR_REGION, ZCRM_VAR_TOKEN)"


def _manifest(tmp_path: Path, value: str, vars_block: str = "") -> Path:
    path = tmp_path / "jobs.yaml"
    path.write_text(
        f"version: 1\n{vars_block}jobs:\n"
        "  - name: a\n    kind: mass_update\n    module: Accounts\n    ids: [1]\n"
        f"    values: {{Industry: {value}}}\n",
        encoding="utf-8",
    )
    return path


def _job(path: Path, environ: dict[str, str] = ENVIRON) -> tuple[list[str], MassUpdateJob | None]:
    checked = check_files([path], environ=environ)
    lines = [str(p) for p in checked.problems]
    for line in lines:
        assert SECRET not in line
        assert CANARY not in line
    if not checked.manifests:
        return lines, None
    job = checked.manifests[0].jobs[0]
    assert isinstance(job, MassUpdateJob)
    return lines, job


def _check(path: Path) -> tuple[list[str], str | None]:
    lines, job = _job(path)
    return lines, None if job is None else str(job.values["Industry"])


def test_vars_and_env_render(tmp_path: Path) -> None:
    """vars (rendered first, with env) and ZCRM_VAR_* variables reach string values."""
    path = _manifest(tmp_path, '"{{ vars.ind }}"', 'vars: {ind: "{{ env.ZCRM_VAR_REGION }}"}\n')
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


@pytest.mark.parametrize(
    ("template", "shown"),
    [
        ("{{ env.GITHUB_TOKEN }}", "env.GITHUB_TOKEN"),
        ("{{ env.REGION }}", "env.REGION"),
        ("{{ env['GITHUB' ~ '_TOKEN'] }}", "env.GITHUB_TOKEN"),
        ("{{ env.get('GITHUB_TOKEN', '') }}", "env.GITHUB_TOKEN"),
        ("{{ env.GITHUB_TOKEN | default('x') }}", "env.GITHUB_TOKEN"),
        ("{{ env['zcrm_var_region'] }}", "env.zcrm_var_region"),
        ("{{ env.ZCRM_VAR_ }}", "env.ZCRM_VAR_"),
        ("{{ env['a b'] }}", "env['a b']"),
        ("{{ env._values }}", "env._values"),
        ("{{ env | attr('_values') }}", "env._values"),
        ("{% if 'GITHUB_TOKEN' in env %}x{% endif %}", "env.GITHUB_TOKEN"),
    ],
)
def test_other_variables_are_not_readable(tmp_path: Path, template: str, shown: str) -> None:
    """Only ZCRM_VAR_* can be read: any other name is a located error that lists the
    readable names, never a value, and `default` cannot turn it into an empty string."""
    path = _manifest(tmp_path, f'"{template}"')
    lines, value = _check(path)
    assert value is None
    assert lines == [
        f"{path}:7:24: jobs[0].values.Industry: template {template!r}: {shown} is not "
        f"readable: templates read only ZCRM_VAR_* variables {READABLE} (template-env); "
        "put the value in a ZCRM_VAR_* variable and read it by that name"
    ]


def test_readable_names_say_when_none_is_set(tmp_path: Path) -> None:
    """With no ZCRM_VAR_* variable set, the message says so."""
    path = _manifest(tmp_path, '"{{ env.GITHUB_TOKEN }}"')
    lines, _ = _job(path, {"GITHUB_TOKEN": SECRET})
    assert "templates read only ZCRM_VAR_* variables (no ZCRM_VAR_* variable is set)" in lines[0]


def test_unset_zcrm_var_is_undefined(tmp_path: Path) -> None:
    """An unset ZCRM_VAR_* variable is undefined (so `default` works), named with the
    variables that are set."""
    path = _manifest(tmp_path, '"{{ env.ZCRM_VAR_NOPE }}"')
    lines, _ = _check(path)
    assert lines == [
        f"{path}:7:24: jobs[0].values.Industry: template '{{{{ env.ZCRM_VAR_NOPE }}}}': "
        f"env.ZCRM_VAR_NOPE is not set {READABLE} (template-undefined); "
        "define it under vars, or set that environment variable"
    ]
    for template in (
        "{{ env.ZCRM_VAR_NOPE | default('x') }}",
        "{{ env.get('ZCRM_VAR_NOPE', 'x') }}",
    ):
        assert _check(_manifest(tmp_path, f'"{template}"')) == ([], "x")


@pytest.mark.parametrize(
    ("template", "what"),
    [
        ("{{ env.items() | list }}", "listed"),
        ("{{ env | list }}", "listed"),
        ("{{ env | dictsort }}", "listed"),
        ("{{ env.values() | list }}", "listed"),
        ("{{ env.keys() | join(',') }}", "listed"),
        ("{{ env | length }}", "listed"),
        ("{{ env | first }}", "listed"),
        ("{% for k in env %}{{ k }}{% endfor %}", "listed"),
        ("{{ env | tojson }}", "serialised"),
        ("{{ {'a': env} | tojson }}", "serialised"),
        ("{{ env }}", "printed"),
        ("{{ env | string }}", "printed"),
    ],
)
def test_env_cannot_be_listed_or_dumped(tmp_path: Path, template: str, what: str) -> None:
    """Iterating, printing or serialising env is refused by name, not a TypeError."""
    path = _manifest(tmp_path, f'"{template}"')
    lines, value = _check(path)
    assert value is None
    assert lines == [
        f"{path}:7:24: jobs[0].values.Industry: template {template!r}: env cannot be {what} "
        "(template-env); read one variable at a time, by its name: env.ZCRM_VAR_NAME"
    ]


@pytest.mark.parametrize(
    ("template", "tag"),
    [
        ("{% include 'secrets.txt' %}", "include"),
        ("{% import 'm.j2' as m %}", "import"),
        ("{% from 'm.j2' import x %}", "import"),
        ("{% extends 'base.j2' %}", "extends"),
    ],
)
def test_templates_cannot_read_files(tmp_path: Path, template: str, tag: str) -> None:
    """include, import and extends say that templates cannot read files."""
    path = _manifest(tmp_path, f'"{template}"')
    lines, _ = _check(path)
    assert lines == [
        f"{path}:7:24: jobs[0].values.Industry: template {template!r}: {tag} is not available "
        "in manifests: templates cannot read files (template-no-files); "
        "write the text here, or share it through vars"
    ]


@pytest.mark.parametrize(
    ("value", "vars_block", "names"),
    [
        ('"{{ env.ZCRM_VAR_TOKEN }}"', "", ("ZCRM_VAR_TOKEN",)),
        ('"{{ env.ZCRM_VAR_TOKEN | upper }}"', "", ("ZCRM_VAR_TOKEN",)),
        (
            '"{{ env.ZCRM_VAR_TOKEN[:4] ~ env.ZCRM_VAR_REGION }}"',
            "",
            ("ZCRM_VAR_REGION", "ZCRM_VAR_TOKEN"),
        ),
        ("\"{{ env.get('ZCRM_VAR_TOKEN') }}\"", "", ("ZCRM_VAR_TOKEN",)),
        ('"x-{{ vars.t }}"', 'vars: {t: "{{ env.ZCRM_VAR_TOKEN }}"}\n', ("ZCRM_VAR_TOKEN",)),
        (
            '"{{ vars.t.deep }}"',
            'vars: {t: {deep: "{{ env.ZCRM_VAR_TOKEN }}"}}\n',
            ("ZCRM_VAR_TOKEN",),
        ),
        ('"{{ vars | tojson }}"', 'vars: {t: "{{ env.ZCRM_VAR_TOKEN }}"}\n', ("ZCRM_VAR_TOKEN",)),
        (
            '"{{ vars.items() | list }}"',
            'vars: {t: "{{ env.ZCRM_VAR_TOKEN }}"}\n',
            ("ZCRM_VAR_TOKEN",),
        ),
    ],
)
def test_values_built_from_env_are_recorded(
    tmp_path: Path, value: str, vars_block: str, names: tuple[str, ...]
) -> None:
    """A value that read a ZCRM_VAR_* variable, transformed, joined or through vars, is
    recorded with the names it read; the raw value and the result are both to redact."""
    checked = check_files([_manifest(tmp_path, value, vars_block)], environ=ENVIRON)
    assert [str(p) for p in checked.problems] == []
    (manifest,) = checked.manifests
    job = manifest.jobs[0]
    assert job.from_env == {("values", "Industry"): names}
    assert job.env_names("values") == names
    assert CANARY in manifest.env_values
    assert str(job.values["Industry"]) in manifest.env_values  # type: ignore[attr-defined]


def test_a_var_not_read_leaves_values_unmasked(tmp_path: Path) -> None:
    """Reading a plain var is not reading env, even when another var came from env."""
    block = 'vars: {t: "{{ env.ZCRM_VAR_TOKEN }}", stage: Won}\n'
    (manifest,) = check_files(
        [_manifest(tmp_path, '"{{ vars.stage }}"', block)], environ=ENVIRON
    ).manifests
    assert manifest.jobs[0].from_env == {}


ENV_R = '"{{ env.ZCRM_VAR_REGION }}"'


@pytest.mark.parametrize(
    ("fields", "where"),
    [
        ({"name": '"{{ env.ZCRM_VAR_REGION | lower }}"'}, "jobs[0].name"),
        ({"module": ENV_R}, "jobs[0].module"),
        ({"ids": None, "cvid": ENV_R}, "jobs[0].cvid"),
        ({"ids": f"[{ENV_R}]"}, "jobs[0].ids[0]"),
        ({"kind": "bulk_read", "ids": None, "output": '"{{ vars.r }}.csv"'}, "jobs[0].output"),
    ],
)
def test_env_values_are_record_data_only(
    tmp_path: Path, fields: dict[str, str | None], where: str
) -> None:
    """A name, module, selector or path built from env is refused: plans mask such values,
    and a masked job name or cvid could not be reviewed."""
    job = {"name": "a", "kind": "mass_delete", "module": "Accounts", "ids": "[1]", **fields}
    job_lines = "  - " + "\n    ".join(f"{k}: {v}" for k, v in job.items() if v is not None)
    path = tmp_path / "jobs.yaml"
    path.write_text(
        f'version: 1\nvars: {{r: "{{{{ env.ZCRM_VAR_REGION }}}}"}}\njobs:\n{job_lines}\n',
        encoding="utf-8",
    )
    lines, _ = _job(path)  # then the rules see the template text, and say so too
    assert f": {where}: template " in lines[0]
    assert (
        " uses ZCRM_VAR_REGION: a value from the environment may only be record data " in lines[0]
    )
    assert "(template-env-place); write this value in the manifest" in lines[0]
    assert "Education" not in lines[0]


def test_messages_mask_values_from_env() -> None:
    """A message that quotes a value from env (whole, cut at 57 characters, or bare)
    shows the variable's name; a short value is masked only where it is quoted."""
    long = "v" * 70
    masks = {CANARY: ("ZCRM_VAR_TOKEN",), long: ("ZCRM_VAR_LONG",), "EU": ("ZCRM_VAR_R",)}
    text = f"{CANARY!r} is not one; got {CANARY}; {repr(long)[:57]}...; 'EU' in EUROPE"
    assert mask_text(text, masks) == (
        "(from env: ZCRM_VAR_TOKEN) is not one; got (from env: ZCRM_VAR_TOKEN); "
        "(from env: ZCRM_VAR_LONG); (from env: ZCRM_VAR_R) in EUROPE"
    )


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
