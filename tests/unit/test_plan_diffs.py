"""plan --online's value diffs (runner/plan/diffs.py) read from the in-process simulator:
ids read or sampled, views read by page with their territory, deletes named, refusals."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest

from runner.clock import ManualClock
from runner.manifest.model import MassDeleteJob, MassUpdateJob, Territory
from runner.plan.diffs import DELETE_SHOWN, job_diff, spread
from runner.plan.model import JobPlan
from runner.plan.summary import diff_lines
from runner.plan.values import shown
from runner.simulator.app import create_app
from runner.simulator.models.org import SimOrg
from runner.simulator.seed import build_demo_org
from runner.zoho.auth import Credentials, Target
from runner.zoho.client import ZohoClient

pytestmark = pytest.mark.anyio
BASE = "http://127.0.0.1"
JUNK = "554023000000091999"  # DEMO_ORG: Leads with n % 10 == 0 (30 of 300)
ALL_DEALS = "554023000000092001"
SOUTH = "554023000000430412"  # DEMO_ORG: records with n % 4 == 2
NOT_EDUCATION = "554023000000091515"  # Accounts


#: Education for the Accounts of the NOT_EDUCATION view in territory SOUTH.
SOUTH_ACCOUNTS = MassUpdateJob(
    name="a",
    module="Accounts",
    cvid=NOT_EDUCATION,
    territory=Territory(SOUTH),
    values={"Industry": "Education"},
)


def rid(k: int, n: int) -> str:
    return f"554023{k:03d}{n:09d}"


@dataclass
class Live:
    zc: ZohoClient
    org: SimOrg
    app: Any

    def queries(self) -> list[dict[str, str]]:
        return [dict(parse_qsl(c["query"])) for c in self.app.state.sim.calls]

    def truth(self, module: str, field: str, ns: list[int]) -> Counter[str]:
        return Counter(shown(self.org.stores[module].get(n, field)) for n in ns)


class _Refusing(httpx.AsyncBaseTransport):
    """Answers 400 INVALID_DATA to every request whose query holds `word`."""

    def __init__(self, inner: httpx.AsyncBaseTransport, word: str) -> None:
        self.inner, self.word = inner, word

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.word in request.url.query.decode():
            body = {"code": "INVALID_DATA", "details": {}, "message": "no", "status": "error"}
            return httpx.Response(400, json=body)
        return await self.inner.handle_async_request(request)


@asynccontextmanager
async def live(refuse: str | None = None) -> AsyncIterator[Live]:
    clock = ManualClock()
    org = build_demo_org(records=300)
    app = create_app(org, clock=clock)
    target = Target(BASE, BASE, BASE, Credentials(access_token=app.state.access_token), dc="sim")
    inner: httpx.AsyncBaseTransport = httpx.ASGITransport(app=app)
    transport = _Refusing(inner, refuse) if refuse else inner
    async with ZohoClient(target, clock=clock, transport=transport, rng=random.Random(1)) as zc:
        yield Live(zc, org, app)


def _plan(job: MassUpdateJob | MassDeleteJob, diff: Any, count: int | None = None) -> JobPlan:
    selector = "cvid" if job.cvid else "ids"
    return JobPlan(
        name=job.name,
        kind=job.kind,
        module=job.module,
        order=1,
        needs=(),
        destructive=job.kind == "mass_delete",
        selector=selector,
        record_count=count,
        steps=(),
        scopes=(),
        credits=0,
        diff=diff,
    )


def test_spread_keeps_order_and_reaches_the_end() -> None:
    """A sample of 4 from 10 ids is evenly spread; ids that fit are all kept."""
    ids = [str(n) for n in range(10)]
    assert spread(ids, 4) == ["0", "2", "5", "7"]
    assert spread(ids, 10) == ids


async def test_ids_update_counts_every_field_and_the_ids_not_found() -> None:
    """12 ids, one unknown: one GET of 12, counts per current value that match the org."""
    ids = (*(rid(4, n) for n in range(1, 12)), rid(4, 999))
    job = MassUpdateJob(
        name="d", module="Deals", ids=ids, values={"Stage": "Closed Won", "Type": "New Business"}
    )
    async with live() as s:
        diff = await job_diff(s.zc, job, count=None, limit=2_000)
        truth = s.truth("Deals", "Stage", list(range(1, 12)))
        assert len(s.queries()) == 1
    assert (diff.asked, diff.found, diff.total, diff.sampled) == (12, 11, 12, False)
    assert (diff.calls, diff.credits, diff.error) == (1, 1, None)
    stage = diff.fields[0]
    assert {c.value: c.records for c in stage.changes} == {
        v: n for v, n in truth.items() if v != "Closed Won"
    }
    assert stage.unchanged == truth["Closed Won"]
    head, items = diff_lines(_plan(job, diff, 12)) or ("", [])
    assert head == (
        "values now (read all 12 records; 1 of the ids are not in the org · 1 GET, 1 credit)"
    )
    assert items[0].startswith("Stage: ")
    assert items[1].startswith("Type: ")


async def test_ids_past_the_limit_are_sampled_and_say_so() -> None:
    """300 ids with a limit of 150: 150 spread over the list, 2 GETs, "sampled 150 of 300"."""
    job = MassUpdateJob(
        name="d", module="Deals", ids=tuple(rid(4, n) for n in range(1, 301)), values={"Stage": "x"}
    )
    async with live() as s:
        diff = await job_diff(s.zc, job, count=None, limit=150)
        sent = [q["ids"].split(",") for q in s.queries()]
    assert (diff.asked, diff.found, diff.total, diff.sampled) == (150, 150, 300, True)
    assert diff.calls == 2
    assert sent[0][:3] == [rid(4, 1), rid(4, 3), rid(4, 5)]
    head, _ = diff_lines(_plan(job, diff, 300)) or ("", [])
    assert head == "values now (sampled 150 of 300 records spread over the ids · 2 GETs, 2 credits)"


async def test_a_view_is_read_by_page_up_to_the_limit() -> None:
    """A view of 300 with a limit of 250: two pages, 3 credits each; the count is the total."""
    job = MassUpdateJob(name="d", module="Deals", cvid=ALL_DEALS, values={"Stage": "Closed Won"})
    async with live() as s:
        diff = await job_diff(s.zc, job, count=300, limit=250)
        assert [q.get("page") for q in s.queries()] == ["1", "2"]
        truth = s.truth("Deals", "Stage", list(range(1, 251)))
    assert (diff.asked, diff.total, diff.sampled) == (250, 300, True)
    assert (diff.calls, diff.credits) == (2, 6)
    assert sum(c.records for c in diff.fields[0].changes) + diff.fields[0].unchanged == 250
    assert diff.fields[0].unchanged == truth["Closed Won"]
    head, _ = diff_lines(_plan(job, diff, 300)) or ("", [])
    assert head.startswith("values now (sampled 250 of 300 records, the view's first · 2 GETs")


async def test_territory_narrows_the_view_where_get_records_can() -> None:
    """Accounts: the read sends territory_id and counts only the territory's records;
    Leads: Get Records cannot filter it, so the diff says it is of the whole view."""
    accounts = SOUTH_ACCOUNTS
    leads = MassUpdateJob(
        name="l",
        module="Leads",
        cvid=JUNK,
        territory=Territory(SOUTH, include_child=True),
        values={"Lead_Status": "Contacted"},
    )
    async with live() as s:
        narrowed = await job_diff(s.zc, accounts, count=240, limit=2_000)
        assert s.queries()[-1]["territory_id"] == SOUTH
        whole = await job_diff(s.zc, leads, count=30, limit=2_000)
        assert "territory_id" not in s.queries()[-1]
    assert (narrowed.total, narrowed.sampled) == (narrowed.asked, False)
    assert 0 < narrowed.asked < 240
    assert narrowed.scope == f"territory {SOUTH} only, by Get Records' territory_id"
    assert (whole.asked, whole.total) == (30, 30)
    assert whole.scope == (
        f"of the whole view: territory {SOUTH} narrows the job, and Get Records filters by "
        "territory only in Accounts, Contacts, Deals"
    )


async def test_a_refused_territory_read_falls_back_to_the_whole_view() -> None:
    """Should Zoho refuse territory_id with a cvid (undocumented, [U]), the view is read
    whole and the diff says why."""
    job = SOUTH_ACCOUNTS
    async with live(refuse="territory_id") as s:
        diff = await job_diff(s.zc, job, count=240, limit=2_000)
    assert (diff.asked, diff.total, diff.error) == (240, 240, None)
    assert diff.scope == (
        "of the whole view: Zoho refused territory_id with this view (INVALID_DATA)"
    )


async def test_a_delete_names_its_first_20_records() -> None:
    """A cvid delete reads one page of 20 (id and name field); an ids delete its first ids."""
    view = MassDeleteJob(name="v", module="Leads", cvid=JUNK)
    by_ids = MassDeleteJob(name="i", module="Leads", ids=tuple(rid(1, n) for n in range(1, 31)))
    async with live() as s:
        seen = await job_diff(s.zc, view, count=30, limit=2_000)
        assert s.queries()[-1]["per_page"] == str(DELETE_SHOWN)
        listed = await job_diff(s.zc, by_ids, count=None, limit=2_000)
        names = [s.org.stores["Leads"].get(n, "Last_Name") for n in range(10, 201, 10)]
    assert [r.id for r in seen.records] == [rid(1, n) for n in range(10, 201, 10)]
    assert [r.name for r in seen.records] == names
    assert (seen.name_field, seen.calls, seen.credits) == ("Last_Name", 1, 3)
    assert [r.id for r in listed.records] == [rid(1, n) for n in range(1, 21)]
    head, items = diff_lines(_plan(view, seen, 30)) or ("", [])
    assert head == "deletes 30 records; the first 20 (id, Last_Name) · 1 GET, ~3 credits"
    assert items[0] == f"{rid(1, 10)} {names[0]}"


async def test_a_refused_read_leaves_the_diff_unread_not_the_plan() -> None:
    """A read Zoho refuses becomes the diff's error; the plan goes on."""
    job = MassUpdateJob(name="d", module="Deals", ids=(rid(4, 1),), values={"Stage": "x"})
    async with live(refuse="ids=") as s:
        diff = await job_diff(s.zc, job, count=None, limit=2_000)
    assert diff.error is not None
    assert diff.error.startswith("INVALID_DATA")
    head, items = diff_lines(_plan(job, diff)) or ("", [])
    assert head.startswith("values not read: INVALID_DATA")
    assert items == []
