"""Mass delete: by ids (≤ 500, answered per record) or by cvid (a scheduled, polled job).

The SDK sends ids and cvid as JSON numbers (wire 04, 13); the runner sends strings, which
Zoho's own docs show and the server accepts (API_NOTES §1.3), so no digit is ever lost.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from runner.outcome import RecordOutcome
from runner.zoho import endpoints
from runner.zoho.client import ZohoClient
from runner.zoho.errors import ZohoError
from runner.zoho.mass_update import TerritoryLike, check_ids, territory_body
from runner.zoho.records import MassJobStatus, action_details, as_id, record_outcomes


async def mass_delete_ids(
    client: ZohoClient, module: str, ids: Sequence[str]
) -> list[RecordOutcome]:
    """Delete records at once; one outcome per id in input order (API_NOTES §2.2)."""
    id_list = check_ids(ids)
    resp = await client.request(
        "POST", endpoints.mass_delete(module), json_body={"ids": id_list}, allow_record_errors=True
    )
    return record_outcomes(id_list, resp.body)


async def schedule_mass_delete(
    client: ZohoClient, module: str, cvid: str, *, territory: TerritoryLike | None = None
) -> str:
    """Schedule deleting a custom view's records; its job id (AlreadyScheduled is HTTP 400)."""
    body: dict[str, Any] = {"cvid": str(cvid)}
    if territory is not None:
        body["territory"] = territory_body(territory)
    resp = await client.request("POST", endpoints.mass_delete(module), json_body=body)
    details = action_details(resp)
    if "job_id" not in details:
        raise ZohoError("INVALID_RESPONSE", "mass delete answer has no job_id")
    return as_id(details["job_id"])


async def mass_delete_status(client: ZohoClient, module: str, job_id: str) -> MassJobStatus:
    """Poll a scheduled job (seed 001): Status, Total/Deleted/Failed counts."""
    resp = await client.get(endpoints.mass_delete(module), params={"job_id": str(job_id)})
    return MassJobStatus.from_body(resp, "Deleted_Count")
