"""`GET /crm/{v}/{module}` (list or `ids`) and `GET /crm/{v}/{module}/deleted` (API_NOTES §13).

`fields` is required (REQUIRED_PARAM_MISSING), at most 50 (LIMIT_EXCEEDED). `territory_id`
(with `include_child`) narrows a listing, with or without `cvid`: the sources document the
parameter, not how it combines with a view [U]; here it narrows the view.

Listing order: with neither `sort_by` nor `sort_order` the simulator keeps its long-standing
default, ascending record number (= ascending id), and says so in `info`; Zoho documents
`id` descending. `sort_by` alone sorts descending, Zoho's documented default order.
"""

from __future__ import annotations

from starlette.responses import Response

from runner.simulator import exceptions as e
from runner.simulator.models import record_reads as rr
from runner.simulator.models.record_order import SORT_FIELDS, SORT_ORDERS
from runner.simulator.models.schema import ModuleDef
from runner.simulator.responses import records
from runner.simulator.responses.base import Ctx, json_response
from runner.simulator.responses.records import int_param
from runner.zoho.limits import PAGE_REACH, RECORDS_PER_PAGE


def _query(ctx: Ctx, mod: ModuleDef, fields: list[str]) -> rr.ReadQuery:
    """The listing's parameters, checked in API_NOTES §13's terms."""
    cvid, sort_by, sort_order = ctx.query("cvid"), ctx.query("sort_by"), ctx.query("sort_order")
    if ctx.query("page_token") is not None and ctx.query("page") is not None:
        raise e.SimAmbiguityDuringProcessing(details={"param_name": "page_token"})
    if cvid is not None and sort_by is not None:
        raise e.SimAmbiguityDuringProcessing(details={"param_name": "sort_by"})
    if sort_by is not None and sort_by not in SORT_FIELDS:
        raise e.SimInvalidData(
            "invalid data", {"param_name": "sort_by", "supported_values": list(SORT_FIELDS)}
        )
    if sort_order is not None and sort_order not in SORT_ORDERS:
        raise e.SimInvalidData(
            "invalid data", {"param_name": "sort_order", "supported_values": list(SORT_ORDERS)}
        )
    per_page = int_param(ctx, "per_page", RECORDS_PER_PAGE, RECORDS_PER_PAGE)
    if cvid is not None:
        rr.check_cvid(ctx.org, mod, cvid)
    territory_id = ctx.query("territory_id")
    if territory_id is not None:
        rr.check_territory(ctx.org, mod, territory_id)
    if sort_order is None:
        sort_order = "asc" if sort_by is None else "desc"  # see the module docstring
    return rr.ReadQuery(
        module=mod.api_name,
        fields=tuple(fields),
        cvid=cvid,
        territory=None if territory_id is None else (territory_id, _include_child(ctx)),
        sort_by=sort_by or "id",
        sort_order=sort_order,
        per_page=per_page,
    )


def _include_child(ctx: Ctx) -> bool:
    raw = ctx.query("include_child")
    if raw not in (None, "true", "false"):
        raise e.SimInvalidData("invalid data", {"param_name": "include_child"})
    return raw == "true"


async def list_records(ctx: Ctx) -> Response:
    mod, user = records.read_module(ctx)
    fields = records.required_fields(ctx, mod)
    raw_ids = ctx.query("ids")
    if raw_ids is not None:
        return records.by_ids(ctx, mod, fields, raw_ids)
    query = _query(ctx, mod, fields)
    per_page, token = query.per_page, ctx.query("page_token")
    if token is not None:
        offset = rr.resume(ctx.org, token, user.id, query, ctx.now)
    else:
        page = int_param(ctx, "page", 1, 10**9)
        if page * per_page > PAGE_REACH:
            raise e.SimDiscretePaginationLimitExceeded(details={"limit": PAGE_REACH})
        offset = (page - 1) * per_page
    found = rr.select(ctx.org, mod, query, offset)
    if not found.rows:
        return Response(status_code=204)  # API_NOTES §13: nothing matches, 204 and no body
    info = records.info(
        per_page,
        len(found.rows),
        offset // per_page + 1,
        found.more,
        (query.sort_by, query.sort_order),
    )
    if found.more:  # API_NOTES §13: the token comes with every page that has a next one
        following = rr.issue_token(ctx.org, user.id, query, offset + per_page, ctx.now)
        info["next_page_token"] = following
        info["page_token_expiry"] = rr.token_expiry(ctx.org, following)
    if token is not None and offset >= per_page:
        info["previous_page_token"] = rr.issue_token(
            ctx.org, user.id, query, offset - per_page, ctx.now
        )
    return json_response({"data": found.rows, "info": info})


async def deleted_records(ctx: Ctx) -> Response:
    """Recycle-bin and permanently deleted records, newest deletion first; info has no
    page tokens (API_NOTES §13)."""
    mod, _ = records.read_module(ctx)
    kind = ctx.query("type")
    kind = "all" if kind is None else kind
    if kind not in rr.DELETED_TYPES:
        raise e.SimPatternNotMatched(details={"param_name": "type"})
    page = int_param(ctx, "page", 1, 10**9)
    per_page = int_param(ctx, "per_page", RECORDS_PER_PAGE, RECORDS_PER_PAGE)
    rows, more = rr.deleted_page(ctx.org, mod, kind, page, per_page, ctx.now)
    if not rows:
        return Response(status_code=204)  # API_NOTES §13
    info = {"per_page": per_page, "count": len(rows), "page": page, "more_records": more}
    return json_response({"data": rows, "info": info})
