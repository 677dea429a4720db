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
        store = ctx.org.stores[mod.api_name]
        # seed 002 "Response for non-scheduler type", key for key; the users once per call;
        # ids are digit strings (`ids_list`) and creation times the simulator's own ISO
        # text, nothing in them to escape.
        modified_by, created_by = encode(user.ref()), encode(ctx.org.admin.ref())

        def success(o: mass.Outcome) -> str:
            assert o.n is not None
            modified = quoted(store.get(o.n, "Modified_Time") or iso(ctx.now))
            return (
                f'{{"code":"SUCCESS","details":{{"Modified_Time":{modified},'
                f'"Modified_By":{modified_by},"Created_Time":"{store.created_time(o.n)}",'
                f'"id":"{o.id}","Created_By":{created_by}}},"message":"record updated",'
                '"status":"success"}'
            )

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
