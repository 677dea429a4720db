"""Mass update: by ids (≤ 500, answered per record) or by cvid (a scheduled, polled job).

Body shapes as the official SDK sends them (wire 01, 02); ids and cvids stay strings.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from runner.outcome import RecordOutcome
from runner.zoho import endpoints
from runner.zoho.client import ZohoClient
from runner.zoho.errors import ZohoError
from runner.zoho.limits import MASS_IDS_PER_CALL
from runner.zoho.records import (
    MassJobStatus,
    action_details,
    as_id,
    record_outcomes,
)


class TerritoryLike(Protocol):
    """A territory filter (runner.manifest.model.Territory fits)."""

    @property
    def id(self) -> str: ...

    @property
    def include_child(self) -> bool: ...


def territory_body(territory: TerritoryLike) -> dict[str, Any]:
    """`{"id", "include_child"}` as in seed 002's sample input."""
    return {"id": str(territory.id), "include_child": bool(territory.include_child)}


def check_ids(ids: Sequence[str]) -> list[str]:
    """The ids as a list of strings; 1 to 500 of them (the caller batches)."""
    if not 1 <= len(ids) <= MASS_IDS_PER_CALL:
        raise ValueError(f"an ids call takes 1 to {MASS_IDS_PER_CALL} ids, got {len(ids)}")
    return [str(i) for i in ids]


async def mass_update_ids(
    client: ZohoClient,
    module: str,
    ids: Sequence[str],
    values: Mapping[str, Any],
    *,
    over_write: bool = False,
) -> list[RecordOutcome]:
    """Update records at once; one outcome per id in input order (200, 207 or all refused)."""
    id_list = check_ids(ids)
    body: dict[str, Any] = {"data": [dict(values)], "ids": id_list}  # wire 01
    if over_write:
        body["over_write"] = True
    resp = await client.request(
        "POST", endpoints.mass_update(module), json_body=body, allow_record_errors=True
    )
    return record_outcomes(id_list, resp.body)


async def schedule_mass_update(
    client: ZohoClient,
    module: str,
    cvid: str,
    values: Mapping[str, Any],
    *,
    territory: TerritoryLike | None = None,
    over_write: bool = False,
) -> str:
    """Schedule a job over a custom view; its job id. AlreadyScheduled: wait, never resend."""
    body: dict[str, Any] = {"cvid": str(cvid), "data": [dict(values)]}  # wire 02
    if territory is not None:
        body["territory"] = territory_body(territory)
    if over_write:
        body["over_write"] = True
    resp = await client.request("POST", endpoints.mass_update(module), json_body=body)
    details = action_details(resp)  # seed 002: 202 ALREADY_SCHEDULED raises here or earlier
    if "job_id" not in details:
        raise ZohoError("INVALID_RESPONSE", "mass update answer has no job_id")
    return as_id(details["job_id"])


async def mass_update_status(client: ZohoClient, module: str, job_id: str) -> MassJobStatus:
    """Poll a scheduled job (seed 000): Status, Total/Updated/Not_Updated/Failed counts."""
    resp = await client.get(endpoints.mass_update(module), params={"job_id": str(job_id)})
    return MassJobStatus.from_body(resp, "Updated_Count")
