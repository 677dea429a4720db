"""Contracts between layers that must not drift: job kinds, error codes, schemas, choices.

docs/CONTRIBUTING.md's recipes say which file holds each list; these tests name the list
that lacks an entry, so a half-added job kind or error code fails here first.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Any, get_args

from runner import cli
from runner.commands import plan as plan_command
from runner.execute.drivers import DRIVERS
from runner.manifest import catalog
from runner.manifest.model import AnyJob, Job
from runner.manifest.schema import load_schema
from runner.plan.scopes import SCOPES_BY_KIND
from runner.simulator import exceptions as sim_errors
from runner.simulator.jobs import MACHINES
from runner.zoho.errors import KNOWN_CODES, error_from_response

ROOT = Path(__file__).resolve().parents[2]
SIMULATOR = ROOT / "runner" / "simulator"


def _subclasses(cls: type[Job]) -> set[type[Job]]:
    found = set(cls.__subclasses__())
    for sub in tuple(found):
        found |= _subclasses(sub)
    return found


def kind_lists() -> dict[str, set[str]]:
    """Every place that names the job kinds, by where it lives."""
    jobs = load_schema("jobs")["definitions"]
    branches = jobs["job"]["allOf"]
    plan_job = load_schema("plan")["definitions"]["job"]
    return {
        "DRIVERS (runner/execute/drivers/__init__.py)": set(DRIVERS),
        "MODULES_BY_KIND (runner/manifest/catalog.py)": set(catalog.MODULES_BY_KIND),
        "SOURCES (runner/manifest/catalog.py)": set(catalog.SOURCES),
        "Job subclasses (runner/manifest/model.py)": {c.kind for c in _subclasses(Job)},
        "AnyJob (runner/manifest/model.py)": {c.kind for c in get_args(AnyJob)},
        "kind enum (schemas/jobs.schema.json)": set(jobs["kind"]["enum"]),
        "job.allOf if kind (schemas/jobs.schema.json)": {
            b["if"]["properties"]["kind"]["const"] for b in branches
        },
        "job.allOf then $ref (schemas/jobs.schema.json)": {
            b["then"]["$ref"].removeprefix("#/definitions/") for b in branches
        },
        "job.kind enum (schemas/plan.schema.json)": set(plan_job["properties"]["kind"]["enum"]),
        "SCOPES_BY_KIND (runner/plan/scopes.py)": set(SCOPES_BY_KIND),
        "MACHINES (runner/simulator/jobs.py)": set(MACHINES),
    }


def test_every_list_of_job_kinds_names_the_same_kinds() -> None:
    """Driver, catalog, model, both schemas, scopes and simulator name the same kinds."""
    lists = kind_lists()
    every = set().union(*lists.values())
    lacking = {where: sorted(every - kinds) for where, kinds in lists.items() if kinds != every}
    assert not lacking, f"job kinds missing from: {lacking}"


def test_each_kind_branch_of_the_jobs_schema_points_at_its_own_definition() -> None:
    """`kind: X` selects `#/definitions/X`, and that definition exists."""
    jobs = load_schema("jobs")["definitions"]
    for branch in jobs["job"]["allOf"]:
        kind = branch["if"]["properties"]["kind"]["const"]
        assert branch["then"] == {"$ref": f"#/definitions/{kind}"}
        assert kind in jobs


# --- error codes --------------------------------------------------------------------

# Client codes (runner/zoho/errors.py) the simulator sends, but not as a SimError class:
# the file of runner/simulator/ that writes each one.
SENT_OUTSIDE_SIM_ERRORS = {
    "DUPLICATE_DATA": "models/bulk_rows.py",  # a bulk write result row (API_NOTES §4.5)
    "BLOCKED_RECORD": "models/bulk_rows.py",  # a bulk write result row (API_NOTES §4.5)
    "INTERNAL_SERVER_ERROR": "responses/bulk_read.py",  # a FAILURE job's result (§3.2)
    "invalid_code": "responses/oauth.py",  # a refused refresh token (API_NOTES §7.1)
}

# Client codes the simulator never sends, on purpose. Most come from API_NOTES' lists of
# an SDK's or OpenAPI file's codes (§3.1, §4.3), which do not say what earns each one;
# the simulator answers those cases with the nearest code whose cause is documented.
NOT_SIMULATED = {
    # auth: every bad token is INVALID_TOKEN; tokens are never evicted (API_NOTES §7.2)
    # and token requests are not rate limited (10 per 10 minutes, §7.2)
    "AUTHENTICATION_FAILURE": "a bad token is INVALID_TOKEN",
    "INVALID_OAUTHTOKEN": "tokens are never evicted; the client treats it as INVALID_TOKEN",
    "Access Denied": "token requests are not rate limited",
    # records: the simulated org has no per-record permissions and no converted leads;
    # a value of the wrong type is INVALID_DATA (models/mass.py)
    "CANNOT_PERFORM_ACTION": "no per-record permissions",
    "CONVERTED_RECORD": "no converted leads",
    "MAPPING_MISMATCH": "a value of the wrong type is INVALID_DATA",
    # bulk read create (API_NOTES §3.1)
    "AMBIGUOUS_GROUP_IN_CRITERIA": "INVALID_CRITERIA or GROUP_OPERATOR_NOT_SUPPORTED instead",
    "FIELD_AND_COMPARATOR_IN_CRITERIA_NOT_COMPATIBLE": (
        "FIELD_COMPARATOR_IN_CRITERIA_NOT_SUPPORTED instead"
    ),
    "VALUE_TYPE_NOT_SUPPORTED": "criteria values are checked for shape only",
    "VALUE_IN_CRITERIA_NOT_SUPPORTED": "criteria values are checked for shape only",
    "FIELD_NOT_SUPPORTED": "a field that cannot be exported is FIELD_NOT_AVAILABLE",
    "JOIN_LIMIT_EXCEEDED": "lookup (dot) fields are not limited",
    "CVID_NOT_SUPPORTED": "views are never shared or co-owned",
    "PAGE_NOT_SUPPORTED": "page works up to PAGE_RANGE_EXCEEDED",
    "QUERY_NOT_SUPPORTED": "a bad query is MANDATORY_NOT_FOUND / INVALID_DATA",
    "REQUEST_BODY_NOT_SUPPORTED": "a bad body is INVALID_REQUEST / MANDATORY_NOT_FOUND",
    # bulk write create (API_NOTES §4.3)
    "INVALID_FIELD_NAME": "an unknown mapped field is INVALID_FIELD, §4.3's other name",
    "INVALID_FORMAT": "a mapping's date format is not read",
    "FILE_NOT_FOUND": "an unknown file id is INVALID_FILE_ID",
    "FILE_NOT_SUPPORTED": "an upload that is not a zip is INVALID_FILE_FORMAT",
    "COEXISTENCE_NOT_ALLOWED": "keys are not checked for being used together",
    "MISSING_REQUIRED_KEY": "a missing key is MANDATORY_NOT_FOUND",
}


def test_every_code_the_simulator_sends_has_a_client_class() -> None:
    """The client knows (by class, not by fallback) every error code the simulator can send."""
    assert set(sim_errors.ALL_CODES) <= KNOWN_CODES
    assert set(SENT_OUTSIDE_SIM_ERRORS) <= KNOWN_CODES


def test_the_simulator_can_send_every_code_the_client_documents() -> None:
    """Each client code is a SimError, sent another way, or listed as not simulated."""
    missing = KNOWN_CODES - sim_errors.ALL_CODES - set(SENT_OUTSIDE_SIM_ERRORS)
    assert sorted(missing) == sorted(NOT_SIMULATED)


def test_the_allow_lists_are_not_stale() -> None:
    """A code listed as sent another way is written there, and not also a SimError."""
    assert not set(NOT_SIMULATED) & set(SENT_OUTSIDE_SIM_ERRORS)
    for code, where in SENT_OUTSIDE_SIM_ERRORS.items():
        assert code not in sim_errors.ALL_CODES
        assert f'"{code}"' in (SIMULATOR / where).read_text(encoding="utf-8"), (code, where)


def test_every_simulator_error_class_is_raised_somewhere() -> None:
    """Each SimError class is used by a model, route or hook, not only declared."""
    sources = "".join(
        p.read_text(encoding="utf-8")
        for p in sorted(SIMULATOR.rglob("*.py"))
        if p.name != "exceptions.py"
    )
    names = {
        cls: name
        for name, cls in vars(sim_errors).items()
        if isinstance(cls, type) and issubclass(cls, sim_errors.SimError)
    }
    unused = [code for code, cls in sim_errors.BY_CODE.items() if not _named(names[cls], sources)]
    assert not unused


def _named(name: str, text: str) -> bool:
    return re.search(rf"\be\.{name}\b", text) is not None


def test_simulator_errors_keep_code_and_status_on_the_client() -> None:
    """A simulator error envelope, read by the client, keeps its code and HTTP status."""
    for code, cls in sim_errors.BY_CODE.items():
        body = {"code": code, "details": {}, "message": "m", "status": "error"}
        mapped = error_from_response(cls.status, body)
        assert (mapped.code, mapped.http_status) == (code, cls.status)


# --- choices ------------------------------------------------------------------------


def _choices(verb: str, option: str) -> Any:
    parser = cli.build_parser()
    verbs = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    sub = verbs.choices[verb]
    return next(a.choices for a in sub._actions if option in a.option_strings)


def test_plan_formats_on_the_command_line_are_the_ones_plan_renders() -> None:
    """`plan --format` offers exactly `commands/plan.py` FORMATS."""
    assert list(_choices("plan", "--format")) == list(plan_command.FORMATS)


# --- docs ---------------------------------------------------------------------------


def test_contributing_names_only_files_that_exist() -> None:
    """Every repo path docs/CONTRIBUTING.md's recipes cite (placeholders aside) exists."""
    text = (ROOT / "docs" / "CONTRIBUTING.md").read_text(encoding="utf-8")
    paths = set(re.findall(r"`((?:runner|schemas|tests|docs)/[^`\s<>*]+?)/?`", text))
    assert paths
    missing = sorted(p for p in paths if not (ROOT / p).exists())
    assert not missing


def test_the_simulator_names_records_by_the_catalog_s_name_fields() -> None:
    """Every simulated module's name field is the one the planner reads for a delete's
    list (catalog.NAME_FIELDS; `Name` in a custom module)."""
    from runner.simulator.models.catalog import MODULES

    assert {m.api_name: m.name_field for m in MODULES} == {
        m.api_name: catalog.name_field(m.api_name) for m in MODULES
    }


def test_each_driver_is_filed_under_its_own_kind() -> None:
    """The registry names each driver's module by hand; what it finds there runs its key."""
    assert {kind: DRIVERS[kind].kind for kind in DRIVERS} == {kind: kind for kind in DRIVERS}
