"""The deterministic demo org of docs/DEMO_ORG.md (ids, cvids, territories, users).

`--seed` changes only generated record values, never these ids; records are lazy, so a
million per module costs nothing at start-up.
"""

from __future__ import annotations

from runner.simulator.models.catalog import MODULES
from runner.simulator.models.criteria import compile_criteria
from runner.simulator.models.org import SimOrg
from runner.simulator.models.values import ADMIN_EMAIL, ADMIN_ID, ADMIN_NAME
from runner.simulator.models.views import SimCustomView, SimTerritory, SimUser

ORG_ID = "554023000000046001"
ZGID = "673573045"
COMPANY = "Zylker Demo"
READONLY_ID = "554023000000235012"

# The demo OAuth client (refresh_token grant, API_NOTES §7.1). Not secrets: a fake org's.
SIM_CLIENT_ID = "1000.SIMCLIENT"
SIM_CLIENT_SECRET = "sim-client-secret"
SIM_REFRESH_TOKEN = "1000.sim-refresh-admin"
SIM_READONLY_REFRESH_TOKEN = "1000.sim-refresh-readonly"

# Extra view the SDK wire vectors use (wire/02, wire/13): Leads from Advertisement.
WIRE_LEADS_CVID = "554023000000087501"


def _eq(field: str, comparator: str, value: str) -> dict[str, object]:
    return {"field": {"api_name": field}, "comparator": comparator, "value": value}


_VIEWS: list[tuple[str, str, str, dict[str, object] | None, bool]] = [
    ("554023000000091515", "Accounts", "Not Education",
     _eq("Industry", "not_equal", "Education"), False),
    ("554023000000091999", "Leads", "Junk Leads", _eq("Lead_Status", "equal", "Junk Lead"), False),
    ("554023000000092001", "Deals", "All Deals", None, False),
    ("554023000000092002", "Leads", "All Leads", None, False),
    ("554023000000092003", "Contacts", "Empty view", None, True),
    (WIRE_LEADS_CVID, "Leads", "Advertisement Leads",
     _eq("Lead_Source", "equal", "Advertisement"), False),
]  # fmt: skip

TERRITORIES = (
    SimTerritory("554023000000430401", "World"),
    SimTerritory("554023000000430409", "Americas", "554023000000430401"),
    SimTerritory("554023000000430411", "North America", "554023000000430409"),
    SimTerritory("554023000000430412", "South America", "554023000000430409"),
    SimTerritory("554023000000430410", "EMEA", "554023000000430401"),
)

USERS = (
    SimUser(ADMIN_ID, ADMIN_NAME, ADMIN_EMAIL, "Administrator", "CEO", admin=True),
    SimUser(
        READONLY_ID, "Read Only", "read.only@zylker.example", "Standard", "Manager", admin=False
    ),
)


def build_demo_org(*, seed: int = 1, records: int = 300) -> SimOrg:
    """The demo org; `records` per module (up to millions: values are computed on read)."""
    by_name = {m.api_name: m for m in MODULES}
    views = [
        SimCustomView(
            cvid,
            module,
            name,
            criteria,
            empty,
            None if criteria is None else compile_criteria(by_name[module], criteria),
        )
        for cvid, module, name, criteria, empty in _VIEWS
    ]
    return SimOrg(
        seed=seed,
        records=records,
        modules=MODULES,
        views=views,
        territories=TERRITORIES,
        users=USERS,
        org_id=ORG_ID,
        zgid=ZGID,
        company=COMPANY,
    )
