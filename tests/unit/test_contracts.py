"""Contracts between layers that must not drift: codes, kinds, schemas."""

from __future__ import annotations

from runner.execute.drivers import DRIVERS
from runner.manifest.schema import load_schema
from runner.simulator import exceptions as sim_errors
from runner.zoho.errors import KNOWN_CODES, error_from_response


def test_schema_kinds_equal_the_driver_registry() -> None:
    """Every kind the jobs schema allows has a driver, and every driver a kind."""
    schema = load_schema("jobs")
    found: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            kind = node.get("properties", {}).get("kind") if "properties" in node else None
            if isinstance(kind, dict):
                found.update(kind.get("enum", ()))
                if "const" in kind:
                    found.add(kind["const"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    assert found == set(DRIVERS)


def test_every_code_the_simulator_sends_has_a_client_class() -> None:
    """The client knows (by class, not by fallback) every error code the simulator can send."""
    assert set(sim_errors.ALL_CODES) <= KNOWN_CODES


def test_simulator_errors_keep_code_and_status_on_the_client() -> None:
    """A simulator error envelope, read by the client, keeps its code and HTTP status."""
    for code, cls in sim_errors.BY_CODE.items():
        body = {"code": code, "details": {}, "message": "m", "status": "error"}
        mapped = error_from_response(cls.status, body)
        assert (mapped.code, mapped.http_status) == (code, cls.status)
