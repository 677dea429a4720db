"""`/crm/{v}/{module}/actions/mass_update`: POST (seed 002) and status GET (seed 000)."""

from __future__ import annotations

from starlette.responses import Response

from runner.simulator.auth import module_scope_name
from runner.simulator.models import mass
from runner.simulator.models.catalog import MASS_UPDATE_MODULES
from runner.simulator.models.values import iso
from runner.simulator.responses import mass_common as mc
from runner.simulator.responses.base import Ctx, encode, json_response, quoted


async def create(ctx: Ctx) -> Response:
    mod = mc.module_for(ctx, MASS_UPDATE_MODULES, "Mass update")
    user = ctx.auth(f"ZohoCRM.mass_update.{module_scope_name(mod.api_name)}.UPDATE")
    mc.must_manage(user)
    body = mc.body_dict(await ctx.json())
    values = mass.check_values(ctx.org, mod, body.get("data"))
    mc.check_mode(body)
    over_write = bool(body.get("over_write", False))
    if body.get("ids") is not None:
        ids = mc.ids_list(body["ids"])
        outcomes = mass.update_by_ids(ctx.org, mod, values, ids, over_write, ctx.now)
        created_time = ctx.org.stores[mod.api_name].created_time
        # seed 002 "Response for non-scheduler type", key for key, made once per call: every
        # record done was just stamped with this Modified_Time; ids are digit strings
        # (`ids_list`) and creation times the simulator's own ISO text, nothing to escape.
        head = (
            f'{{"code":"SUCCESS","details":{{"Modified_Time":{quoted(iso(ctx.now))},'
            f'"Modified_By":{encode(user.ref())},"Created_Time":"'
        )
        tail = (
            f'","Created_By":{encode(ctx.org.admin.ref())}}},"message":"record updated",'
            '"status":"success"}'
        )

        def success(o: mass.Outcome) -> str:
            assert o.n is not None
            return f'{head}{created_time(o.n)}","id":"{o.id}{tail}'

        return mc.per_record(outcomes, success)
    cvid = mc.cvid_of(body["cvid"], mass.INVALID_ID)
    job = mass.schedule_update(
        ctx.org, mod, user, values, over_write, cvid, body.get("territory"), ctx.now
    )
    return mc.scheduled(job.id, "mass update scheduled successfully")  # seed 002


async def status(ctx: Ctx) -> Response:
    mod = mc.module_for(ctx, MASS_UPDATE_MODULES, "Mass update")
    user = ctx.auth(f"ZohoCRM.mass_update.{module_scope_name(mod.api_name)}.READ")
    mc.must_read_status(user)
    job = mass.status(ctx.org, mod, "mass_update", mc.job_id(ctx))
    row = {
        "Status": job.state(),
        "Failed_Count": job.failed,
        "Updated_Count": job.ok,
        "Not_Updated_Count": job.total - job.applied,
        "Total_Count": job.total,
    }  # seed 000
    return json_response({"data": [row]})
