"""`zcrm-runner sim serve` over a real socket: a mass update by cvid run to COMPLETED with
plain httpx calls (as curl would), and faults seen by a real client."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import LiveSim, sim_serve_process, start_live_sim

pytestmark = pytest.mark.e2e

ACCOUNTS_VIEW = "554023000000091515"  # docs/DEMO_ORG.md: Accounts, "Industry is not Education"
MASS_UPDATE = "/crm/v8/Accounts/actions/mass_update"
PLAIN_IDS = [f"554023002{n:09d}" for n in (1, 2, 3, 4, 5, 6, 8)]  # DEMO_ORG: plain records
LOCKED_ID = "554023002000000007"  # DEMO_ORG: n % 50 == 7 is locked


def _truth(client: httpx.Client, ids: list[str]) -> dict[str, dict[str, Any]]:
    """Ground-truth records by id, from the /__sim__/ hook (DESIGN §Simulator)."""
    response = client.get("/__sim__/records/Accounts", params={"ids": ",".join(ids)})
    response.raise_for_status()
    return {entry["id"]: entry for entry in response.json()}


def _poll(client: httpx.Client, job_id: str, timeout: float = 30.0) -> dict[str, Any]:
    """GET the job's status until it leaves SCHEDULED/RUNNING, within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = client.get(MASS_UPDATE, params={"job_id": job_id})
        assert response.status_code == 200, response.text
        status: dict[str, Any] = response.json()["data"][0]
        if status["Status"] not in ("SCHEDULED", "RUNNING"):
            return status
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} still running after {timeout}s")


def test_mass_update_by_cvid_over_a_socket() -> None:
    """sim serve on port 0: a cvid mass update, sent as the SDK sends it, reaches COMPLETED
    and the records it reached now hold the new value; a locked one does not."""
    with sim_serve_process("--speed", "50", "--seed", "1") as sim:
        assert sim.base_url.startswith("http://127.0.0.1:")
        assert sim.env["ZOHO_UPLOAD_DOMAIN"] == sim.env["ZOHO_ACCOUNTS_URL"] == sim.base_url
        with httpx.Client(base_url=sim.base_url, headers=sim.headers, timeout=10) as client:
            before = _truth(client, [*PLAIN_IDS, LOCKED_ID])
            body = b'{"data":[{"Industry":"Education"}],"cvid":"' + ACCOUNTS_VIEW.encode() + b'"}'
            response = client.post(MASS_UPDATE, content=body)  # no Content-Type, as the SDK
            assert response.status_code == 200, response.text
            answer = response.json()["data"][0]
            assert (answer["code"], answer["status"]) == ("SUCCESS", "success")
            status = _poll(client, answer["details"]["job_id"])
            after = _truth(client, [*PLAIN_IDS, LOCKED_ID])
        assert sim.stop() == 0
    assert sim.stderr() == ""
    assert status["Status"] == "COMPLETED"
    assert status["Total_Count"] > 0
    assert (
        status["Updated_Count"] + status["Not_Updated_Count"] + status["Failed_Count"]
        == (status["Total_Count"])
    )
    industry = {i: after[i]["record"]["Industry"] for i in PLAIN_IDS}
    assert industry == dict.fromkeys(PLAIN_IDS, "Education")
    assert after[LOCKED_ID]["state"] == "locked"
    assert after[LOCKED_ID]["record"]["Industry"] == before[LOCKED_ID]["record"]["Industry"]
    assert before[LOCKED_ID]["record"]["Industry"] != "Education"  # it was in the view


def test_drop_fault_is_a_connection_error() -> None:
    """--faults drop=1: the client sees the connection closed with no answer, the server
    logs nothing and stays up; /__sim__/ hooks still answer."""
    with sim_serve_process("--faults", "drop=1") as sim:
        with httpx.Client(base_url=sim.base_url, headers=sim.headers, timeout=10) as client:
            for _ in range(3):
                with pytest.raises(httpx.RemoteProtocolError, match="without sending"):
                    client.get(MASS_UPDATE, params={"job_id": "1"})
            assert client.get("/__sim__/jobs").status_code == 200
        assert sim.stop() == 0
    assert sim.stderr() == ""


def test_bad_faults_spec_exits_1_before_listening() -> None:
    """A bad --faults spec makes the process exit 1 with a clear message."""
    expected = r"exited with 1; stderr: zcrm-runner: --faults: unknown fault 'x'"
    with pytest.raises(RuntimeError, match=expected), sim_serve_process("--faults", "x=1"):
        pass


@pytest.mark.anyio
async def test_concurrency_limit_over_a_socket() -> None:
    """concurrency=1 with 1 s latency: a second request while the first is in flight gets
    429 TOO_MANY_REQUESTS; the first still completes."""
    with start_live_sim(faults="concurrency=1,latency=1s", speed=1.0) as sim:
        assert sim.faults is not None
        async with httpx.AsyncClient(base_url=sim.base_url, headers=sim.headers) as client:
            first = asyncio.ensure_future(client.get(MASS_UPDATE, params={"job_id": "1"}))
            await _until(lambda: sim.faults is not None and sim.faults.in_flight == 1)
            second = await client.get(MASS_UPDATE, params={"job_id": "1"})
            held = await first
    assert second.status_code == 429
    assert second.json()["code"] == "TOO_MANY_REQUESTS"
    assert held.status_code != 429
    assert sim.faults.stats.concurrency_429 == 1


async def _until(condition: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.005)


def test_live_sim_fixture_serves_the_demo_org(live_sim: LiveSim) -> None:
    """The in-thread fixture answers authenticated calls on a real port."""
    with httpx.Client(base_url=live_sim.base_url, headers=live_sim.headers) as client:
        response = client.get("/crm/v8/org")
    assert response.status_code == 200
    assert response.json()["org"][0]["zgid"] == "673573045"
