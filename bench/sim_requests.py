"""The simulator's own cost per request, in-process and over a socket, and the memory a
200,000-row bulk read page needs on its way out.

    python bench/sim_requests.py                      # per-request figures, 1,000 records
    python bench/sim_requests.py --records 1000000    # + a 200,000-row bulk read page

"Own cost" = time per request through the simulator minus the same client and transport on
a one-line Starlette route (the baseline row). 127.0.0.1 only; every loop is bounded.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import os
import platform
import resource
import statistics
import sys
import tempfile
import threading
import time
import tracemalloc
import zipfile
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere

from runner.clock import ManualClock
from runner.simulator.app import create_app
from runner.simulator.faults import DropConnections
from runner.simulator.seed import build_demo_org

LEADS_JUNK_VIEW = "554023000000091999"  # docs/DEMO_ORG.md
PAGE_ROWS = 200_000  # API_NOTES §3.4: 200,000 records per bulk read page


def _lead_id(n: int) -> str:
    return f"554023001{n:09d}"  # docs/DEMO_ORG.md: "554023" + f"{k:03d}" + f"{n:09d}"


def _baseline_app() -> Starlette:
    async def ok(request: Request) -> JSONResponse:
        await request.body()
        return JSONResponse({"data": [{"Status": "COMPLETED", "details": {"job_id": "1"}}]})

    return Starlette(routes=[Route("/{path:path}", ok, methods=["GET", "POST"])])


@contextmanager
def _uvicorn(app: Any) -> Iterator[str]:
    """uvicorn on 127.0.0.1, port 0, in a thread; yields the base URL."""
    server = uvicorn.Server(
        uvicorn.Config(
            DropConnections(app), host="127.0.0.1", port=0, log_level="warning", http="h11"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


async def _timed(n: int, call: Callable[[], Awaitable[httpx.Response]]) -> dict[str, float]:
    """n sequential calls (after 10 warm-up calls): per-call µs and requests a second."""
    for _ in range(10):
        (await call()).raise_for_status()
    samples: list[float] = []
    for _ in range(n):
        start = time.perf_counter()
        response = await call()
        samples.append(time.perf_counter() - start)
        if response.status_code not in (200, 207):
            raise RuntimeError(f"{response.status_code}: {response.text[:200]}")
    samples.sort()
    return {
        "mean_us": statistics.fmean(samples) * 1e6,
        "p50_us": samples[len(samples) // 2] * 1e6,
        "p95_us": samples[int(len(samples) * 0.95)] * 1e6,
        "rps": n / sum(samples),
    }


async def _scenarios(client: httpx.AsyncClient, headers: dict[str, str], n: int) -> dict[str, Any]:
    """The two request kinds measured: a cheap status GET and a 500-id mass update POST."""
    answer = await client.post(
        "/crm/v8/Leads/actions/mass_update",
        content=json.dumps({"data": [{"City": "Lisbon"}], "cvid": LEADS_JUNK_VIEW}),
        headers=headers,
    )
    answer.raise_for_status()
    job_id = answer.json()["data"][0]["details"]["job_id"]
    ids_body = json.dumps(
        {"data": [{"City": "Porto"}], "ids": [_lead_id(i) for i in range(1, 501)]}
    )
    return {
        "GET mass update status": await _timed(
            n,
            lambda: client.get(
                "/crm/v8/Leads/actions/mass_update", params={"job_id": job_id}, headers=headers
            ),
        ),
        "POST mass update, 500 ids": await _timed(
            max(10, n // 20),
            lambda: client.post(
                "/crm/v8/Leads/actions/mass_update", content=ids_body, headers=headers
            ),
        ),
    }


def _sim(records: int) -> Starlette:
    """A fresh demo org: a cvid job already scheduled would answer ALREADY_SCHEDULED."""
    return create_app(build_demo_org(seed=1, records=max(records, 500)), clock=ManualClock())


async def _per_request(records: int, n: int) -> dict[str, dict[str, Any]]:
    token = _sim(records).state.access_token  # default_token(seed): the same for every app
    headers = {"Authorization": f"Zoho-oauthtoken {token}"}
    results: dict[str, dict[str, Any]] = {}
    for label in ("baseline", "simulator"):
        app = _baseline_app() if label == "baseline" else _sim(records)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://sim") as client:
            results[f"in-process {label}"] = await _scenarios(client, headers, n)
        app = _baseline_app() if label == "baseline" else _sim(records)
        with _uvicorn(app) as url:
            async with httpx.AsyncClient(base_url=url) as client:  # keep-alive: one connection
                results[f"socket {label}"] = await _scenarios(client, headers, n)
    return results


async def _bulk_page(records: int) -> dict[str, Any]:
    """Create a Leads bulk read, run it to COMPLETED on a manual clock, stream the result
    over a socket into a temp file while tracing Python memory, then count the rows."""
    started = time.perf_counter()
    clock = ManualClock()
    app = create_app(build_demo_org(seed=1, records=records), clock=clock)
    org_s = time.perf_counter() - started
    headers = {"Authorization": f"Zoho-oauthtoken {app.state.access_token}"}
    fields = ["Last_Name", "First_Name", "Company", "Email", "Lead_Status", "City"]
    query = {"query": {"module": {"api_name": "Leads"}, "fields": fields, "page": 1}}
    with _uvicorn(app) as url, tempfile.TemporaryDirectory() as tmp:
        async with httpx.AsyncClient(base_url=url, headers=headers, timeout=600) as client:
            created = await client.post("/crm/bulk/v8/read", json=query)
            job_id = created.json()["data"][0]["details"]["id"]
            state = ""
            for _ in range(1000):  # bounded: a job that never completes fails the bench
                clock.advance(60)
                status = (await client.get(f"/crm/bulk/v8/read/{job_id}")).json()["data"][0]
                state = status["state"]
                if state in ("COMPLETED", "FAILURE"):
                    break
            if state != "COMPLETED":
                raise RuntimeError(f"bulk read ended {state}")
            path = Path(tmp) / "page.zip"
            rss_before = _rss_mb()
            size, download_s = await _download(client, job_id, path)
            rss_after = _rss_mb()
            tracemalloc.start()  # a second download, traced: Python's peak allocation
            _, traced_s = await _download(client, job_id, path)
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            rows, csv_bytes = _count_rows(path)
    return {
        "records": records,
        "org_build_s": org_s,
        "zip_bytes": size,
        "csv_bytes": csv_bytes,
        "rows": rows,
        "more_records": status["result"].get("more_records"),
        "download_s": download_s,
        "rows_per_s": rows / download_s,
        "traced_download_s": traced_s,
        "traced_peak_mb": peak / 2**20,
        "rss_max_before_mb": rss_before,
        "rss_max_after_mb": rss_after,
    }


async def _download(client: httpx.AsyncClient, job_id: str, path: Path) -> tuple[int, float]:
    """Stream the result zip to `path` chunk by chunk: its size and the seconds it took."""
    started = time.perf_counter()
    size = 0
    with path.open("wb") as out:
        async with client.stream("GET", f"/crm/bulk/v8/read/{job_id}/result") as answer:
            answer.raise_for_status()
            async for chunk in answer.aiter_raw():
                size += out.write(chunk)
    return size, time.perf_counter() - started


def _count_rows(path: Path) -> tuple[int, int]:
    """Data rows and uncompressed size of the one CSV in the zip, read as a stream."""
    with zipfile.ZipFile(path) as archive:
        (info,) = archive.infolist()
        with archive.open(info) as raw:
            reader = csv.reader(io.TextIOWrapper(raw, encoding="utf-8", newline=""))
            rows = sum(1 for _ in reader) - 1  # the header row
    return rows, info.file_size


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def _machine() -> str:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return f"{os.cpu_count()} CPUs ({model}), Python {platform.python_version()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1000, help="records per module")
    parser.add_argument("-n", type=int, default=2000, help="status GETs per scenario")
    args = parser.parse_args()
    print(f"# {_machine()}; httpx {httpx.__version__}, uvicorn {uvicorn.__version__}")
    results = asyncio.run(_per_request(min(args.records, 1000), args.n))
    print("| transport | request | mean µs | p50 µs | p95 µs | req/s |")
    print("|---|---|---:|---:|---:|---:|")
    for where, scenarios in results.items():
        for request, r in scenarios.items():
            print(
                f"| {where} | {request} | {r['mean_us']:.0f} | {r['p50_us']:.0f} "
                f"| {r['p95_us']:.0f} | {r['rps']:.0f} |"
            )
    if args.records >= PAGE_ROWS:
        print(json.dumps(asyncio.run(_bulk_page(args.records)), indent=2))


if __name__ == "__main__":
    main()
