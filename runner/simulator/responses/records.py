"""Records: list with paging, get by `ids`, one record, and `actions/count` (API_NOTES §6)."""

from __future__ import annotations

from starlette.responses import Response

from runner.simulator import exceptions as e
from runner.simulator.auth import module_scope_name
from runner.simulator.models.schema import ModuleDef
from runner.simulator.responses.base import Ctx, as_id, json_response

MAX_PER_PAGE = 200
MAX_IDS = 100


def _read(ctx: Ctx) -> ModuleDef:
    ctx.token()
    mod = ctx.org.module(ctx.params["module"])
    ctx.auth(f"ZohoCRM.modules.{module_scope_name(mod.api_name)}.READ")
    return mod


def _int(ctx: Ctx, name: str, default: int, top: int) -> int:
    raw = ctx.query(name)
    if raw is None:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= top:
        raise e.InvalidData("invalid data", {"param_name": name})
    return int(raw)


def _fields(ctx: Ctx, mod: ModuleDef) -> list[str] | None:
    raw = ctx.query("fields")
    if not raw:
        return None
    names = [f.strip() for f in raw.split(",") if f.strip()]
    ctx.org.check_fields(mod, names)
    return names


async def list_records(ctx: Ctx) -> Response:
    mod = _read(ctx)
    fields = _fields(ctx, mod)
    raw_ids = ctx.query("ids")
    if raw_ids is not None:
        ids = [i.strip() for i in raw_ids.split(",") if i.strip()]
        if len(ids) > MAX_IDS:
            raise e.LimitExceeded("too many ids", {"param_name": "ids", "max_limit": MAX_IDS})
        rows = ctx.org.by_ids(mod, [as_id(i) or i for i in ids], fields)
        more = False
        page, per_page = 1, max(len(ids), 1)
    else:
        page = _int(ctx, "page", 1, 10**9)
        per_page = _int(ctx, "per_page", MAX_PER_PAGE, MAX_PER_PAGE)
        rows, more = ctx.org.page(mod, page, per_page, fields)
    if not rows:
        return Response(status_code=204)  # API_NOTES §5.2: 204 for empty reads
    info = {"per_page": per_page, "count": len(rows), "page": page, "more_records": more}
    return json_response({"data": rows, "info": info})


async def get_record(ctx: Ctx) -> Response:
    mod = _read(ctx)
    rows = ctx.org.by_ids(mod, [ctx.params["record_id"]], _fields(ctx, mod))
    if not rows:
        return Response(status_code=204)
    return json_response({"data": rows})


async def count(ctx: Ctx) -> Response:
    """`{"count": N}`: the body shape is assumed (API_NOTES §6 [U])."""
    mod = _read(ctx)
    cvid = ctx.query("cvid")
    return json_response({"count": ctx.org.count(mod, cvid)})
