"""Pieces mass update and mass delete share: permissions, ids parsing, per-record answers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.responses import Response

from runner.simulator import exceptions as e
from runner.simulator.models.mass import Outcome
from runner.simulator.models.schema import ModuleDef
from runner.simulator.models.views import SimUser
from runner.simulator.responses.base import Ctx, as_id, encode, json_response, text_response
from runner.zoho.limits import MASS_IDS_PER_CALL


def module_for(ctx: Ctx, supported: frozenset[str], action: str) -> ModuleDef:
    """INVALID_TOKEN first, then INVALID_MODULE (seeds 000-002), then NOT_SUPPORTED."""
    ctx.token()
    mod = ctx.org.module(ctx.params["module"])
    if mod.api_name not in supported:
        # API_NOTES §2.2: "Mass delete is not supported for this module"; same for update.
        raise e.SimNotSupported(
            f"{action} is not supported for this module", {"resource_path_index": 0}
        )
    return mod


def must_manage(user: SimUser) -> None:
    """DEMO_ORG: the read-only user has no mass update/delete permission (seed 002)."""
    if not user.admin:
        raise e.SimNoPermission(details={"permissions": ["Crm_Implied_Mass_Actions"]})


def must_read_status(user: SimUser) -> None:
    """seed 000/001: AUTHORIZATION_FAILED when the user may not read mass job status."""
    if not user.admin:
        raise e.SimAuthorizationFailed(
            "User does not have sufficient privilege to read records", {"api_name": "job_id"}
        )


def job_id(ctx: Ctx) -> str:
    """seed 000/001: MANDATORY_NOT_FOUND without `job_id`."""
    raw = (ctx.query("job_id") or "").strip()
    if not raw:
        raise e.SimMandatoryNotFound("mandatory param missing", {"param_name": "job_id"})
    return raw


def ids_list(raw: Any) -> list[str]:
    """`ids` as strings or big JSON numbers (API_NOTES §1.3), at most 500 per call."""
    if not isinstance(raw, list) or not raw:
        raise e.SimInvalidData(
            "invalid data",
            {"api_name": "ids", "json_path": "$.ids", "expected_data_type": "jsonarray"},
        )
    if len(raw) > MASS_IDS_PER_CALL:
        # seed 002 note / API_NOTES §2.1: at most 500 ids per call; code as seed 002's limit.
        raise e.SimLimitExceeded(details={"api_name": "ids", "max_limit": MASS_IDS_PER_CALL})
    if all(type(v) is str and v.isascii() and v.isdigit() for v in raw):  # the usual body
        return list(raw)
    out = []
    for i, value in enumerate(raw):
        rid = as_id(value)
        if rid is None:
            raise e.SimInvalidData(
                "invalid data", {"api_name": "ids", "json_path": f"$.ids[{i}]", "id": str(value)}
            )
        out.append(rid)
    return out


def cvid_of(raw: Any, message: str) -> str:
    cvid = as_id(raw)
    if cvid is None:
        raise e.SimInvalidData(message, {"api_name": "cvid", "json_path": "$.cvid", "id": str(raw)})
    return cvid


def check_mode(body: dict[str, Any]) -> None:
    """Exactly one of ids / cvid; territory only with cvid (seed 002 notes, API_NOTES §2.1)."""
    has_ids, has_cvid = body.get("ids") is not None, body.get("cvid") is not None
    if not has_ids and not has_cvid:
        raise e.SimMandatoryNotFound(details={"api_name": "ids", "expected_data_type": "jsonarray"})
    if body.get("territory") is not None and not has_cvid:
        raise e.SimMandatoryNotFound(details={"api_name": "cvid", "json_path": "$.cvid"})
    if has_ids and has_cvid:
        raise e.SimInvalidData("give either ids or cvid, not both", {"api_name": "ids"})


def per_record(outcomes: list[Outcome], success: Callable[[Outcome], str]) -> Response:
    """`data[]` in input order; 200 all done, 207 mixed (API_NOTES §2.2), 400 none done [U].

    `success` gives one done record's entry as JSON text: a 500-record answer is built
    from pieces in a quarter of the time `json.dumps` takes over the same objects.
    """
    data = [success(o) if o.error is None else encode(o.error.body()) for o in outcomes]
    failed = sum(1 for o in outcomes if o.error is not None)
    status = 200 if failed == 0 else 400 if failed == len(outcomes) else 207
    return text_response('{"data":[' + ",".join(data) + "]}", status)


def scheduled(job_id_: str, message: str) -> Response:
    return json_response(
        {
            "data": [
                {
                    "code": "SUCCESS",
                    "details": {"job_id": job_id_},
                    "message": message,
                    "status": "success",
                }
            ]
        }
    )


def body_dict(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise e.SimInvalidData("invalid data", {"api_name": "body"})
    return body
