"""`/crm/{v}/{module}/actions/mass_delete`: POST (API_NOTES §2) and status GET (seed 001)."""

from __future__ import annotations

from starlette.responses import Response

from runner.simulator.auth import module_scope_name
from runner.simulator.models import mass
from runner.simulator.models.catalog import MASS_DELETE_MODULES
from runner.simulator.responses import mass_common as mc
from runner.simulator.responses.base import Ctx, json_response, quoted


async def create(ctx: Ctx) -> Response:
    mod = mc.module_for(ctx, MASS_DELETE_MODULES, "Mass delete")
    user = ctx.auth(f"ZohoCRM.mass_delete.{module_scope_name(mod.api_name)}.DELETE")
    mc.must_manage(user)
    body = mc.body_dict(await ctx.json())
    mc.check_mode(body)
    if body.get("ids") is not None:
        outcomes = mass.delete_by_ids(ctx.org, mod, user, mc.ids_list(body["ids"]), ctx.now)
        return mc.per_record(
            outcomes,
            lambda o: (
                f'{{"code":"SUCCESS","details":{{"id":{quoted(o.id)}}},'
                '"message":"record is deleted","status":"success"}'
            ),  # API_NOTES §2.2
        )
    message = "the cvid given seems to be invalid"  # API_NOTES §2.2
    cvid = mc.cvid_of(body["cvid"], message)
    job = mass.schedule_delete(ctx.org, mod, user, cvid, body.get("territory"), ctx.now)
    return mc.scheduled(job.id, "mass delete scheduled successfully")  # API_NOTES §2.2


async def status(ctx: Ctx) -> Response:
    mod = mc.module_for(ctx, MASS_DELETE_MODULES, "Mass delete")
    user = ctx.auth(f"ZohoCRM.mass_delete.{module_scope_name(mod.api_name)}.READ")
    mc.must_read_status(user)
    job = mass.status(ctx.org, mod, "mass_delete", mc.job_id(ctx))
    row = {
        "Status": job.state(),
        "Failed_Count": job.failed,
        "Deleted_Count": job.ok,
        "Total_Count": job.total,
    }  # seed 001
    return json_response({"data": [row]})
