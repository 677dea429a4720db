"""Records: the `ids` read, one record, `actions/count`, and what every record read shares
(API_NOTES §6, §13). Listing pages and deleted records: `record_reads.py`."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from runner.simulator import exceptions as e
from runner.simulator.auth import module_scope_name
from runner.simulator.models.schema import ModuleDef
from runner.simulator.models.views import SimUser
from runner.simulator.responses.base import Ctx, as_id, json_response
from runner.zoho.limits import GET_IDS_PER_CALL, GET_MAX_FIELDS


def read_module(ctx: Ctx) -> tuple[ModuleDef, SimUser]:
    """The module of the path, and the user, once READ scope of it is checked (§13)."""
    ctx.token()
    mod = ctx.org.module(ctx.params["module"])
    user = ctx.auth(f"ZohoCRM.modules.{module_scope_name(mod.api_name)}.READ")
    return mod, user


def int_param(ctx: Ctx, name: str, default: int, top: int) -> int:
    """A query parameter from 1 to `top`, `default` when absent; INVALID_DATA otherwise."""
    raw = ctx.query(name)
    if raw is None:
        return default
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= top:
        raise e.SimInvalidData("invalid data", {"param_name": name})
    return int(raw)


def fields_param(ctx: Ctx, mod: ModuleDef) -> list[str] | None:
    """`fields` where it may be left out (one record by its id): all fields then."""
    raw = ctx.query("fields")
    if not raw:
        return None
    names = [f.strip() for f in raw.split(",") if f.strip()]
    ctx.org.check_fields(mod, names)
    return names


def required_fields(ctx: Ctx, mod: ModuleDef) -> list[str]:
    """`fields` of Get Records: required, at most 50 names (API_NOTES §13)."""
    names = fields_param(ctx, mod)
    if not names:
        raise e.SimRequiredParamMissing(details={"param_name": "fields"})
    if len(names) > GET_MAX_FIELDS:
        raise e.SimLimitExceeded(
            "the number of fields exceeds the limit",
            {"limit": GET_MAX_FIELDS, "param_name": "fields"},
        )
    return names


def info(
    per_page: int, count: int, page: int, more: bool, sort: tuple[str, str] = ("id", "asc")
) -> dict[str, Any]:
    """`info` of a records page, every key OAS-Y marks required (API_NOTES §13)."""
    return {
        "per_page": per_page,
        "count": count,
        "page": page,
        "sort_by": sort[0],
        "sort_order": sort[1],
        "more_records": more,
        "next_page_token": None,
        "previous_page_token": None,
        "page_token_expiry": None,
    }


def by_ids(ctx: Ctx, mod: ModuleDef, fields: list[str], raw_ids: str) -> Response:
    """`GET /{module}?ids=`: those records that exist, in the order asked."""
    ids = [i.strip() for i in raw_ids.split(",") if i.strip()]
    if len(ids) > GET_IDS_PER_CALL:
        raise e.SimLimitExceeded(
            "too many ids", {"param_name": "ids", "max_limit": GET_IDS_PER_CALL}
        )
    rows = ctx.org.by_ids(mod, [as_id(i) or i for i in ids], fields)
    if not rows:
        return Response(status_code=204)  # API_NOTES §5.2: 204 for empty reads
    return json_response({"data": rows, "info": info(max(len(ids), 1), len(rows), 1, False)})


async def get_record(ctx: Ctx) -> Response:
    mod, _ = read_module(ctx)
    rows = ctx.org.by_ids(mod, [ctx.params["record_id"]], fields_param(ctx, mod))
    if not rows:
        return Response(status_code=204)
    return json_response({"data": rows})


async def count(ctx: Ctx) -> Response:
    """`{"count": N}`: the body shape is assumed (API_NOTES §6 [U])."""
    mod, _ = read_module(ctx)
    cvid = ctx.query("cvid")
    return json_response({"count": ctx.org.count(mod, cvid)})
