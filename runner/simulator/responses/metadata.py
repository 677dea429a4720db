"""Users, org and settings: what the SDK reads at start (wire/00) and before a mass update
(wire/01: `settings/fields`), and what online pre-checks read (API_NOTES §6)."""

from __future__ import annotations

from starlette.responses import Response

from runner.simulator import exceptions as e
from runner.simulator.responses.base import Ctx, json_response


def _info(count: int) -> dict[str, object]:
    return {"per_page": 200, "count": count, "page": 1, "more_records": False}


async def users(ctx: Ctx) -> Response:
    """`?type=CurrentUser` gives the token's user (SDK8 reads users[0].email, §9.2)."""
    user = ctx.auth("ZohoCRM.users.READ")
    kind = ctx.query("type") or "AllUsers"
    chosen = [user] if kind == "CurrentUser" else list(ctx.org.users.values())
    return json_response({"users": [u.to_json() for u in chosen], "info": _info(len(chosen))})


async def org(ctx: Ctx) -> Response:
    """`org[0].zgid` is the X-CRM-ORG value for uploads (API_NOTES §6)."""
    ctx.auth("ZohoCRM.org.READ")
    o = ctx.org
    body = {
        "id": o.org_id,
        "zgid": o.zgid,
        "company_name": o.company,
        "primary_email": o.admin.email,
        "country_code": "US",
        "currency": "US Dollar - USD",
        "time_zone": "GMT",
    }
    return json_response({"org": [body]})


async def modules(ctx: Ctx) -> Response:
    ctx.auth("ZohoCRM.settings.modules.READ")
    return json_response({"modules": [m.to_json() for m in ctx.org.modules.values()]})


def _module_param(ctx: Ctx) -> str:
    name = ctx.query("module")
    if not name:
        raise e.SimRequiredParamMissing(details={"param": "module"})
    return name


async def fields(ctx: Ctx) -> Response:
    ctx.auth("ZohoCRM.settings.fields.READ")
    mod = ctx.org.module(_module_param(ctx))
    return json_response({"fields": [f.to_json(mod.k) for f in mod.fields]})


async def custom_views(ctx: Ctx) -> Response:
    ctx.auth("ZohoCRM.settings.custom_views.READ")
    mod = ctx.org.module(_module_param(ctx))
    views = [v.to_json() for v in ctx.org.views.values() if v.module == mod.api_name]
    return json_response({"custom_views": views, "info": _info(len(views))})
