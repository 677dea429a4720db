"""The HTTP stack's own floor for `bench/apply_process.py`'s job (`--control`).

The apply job's 100 POSTs of 500 Deals ids at concurrency 10, sent by a bare
httpx.AsyncClient that only sends each body and parses each answer (orjson, as the
runner does): no journal, no outcomes, no reports. Run against `sim serve` (ZOHO_*
variables of its first lines); prints the seconds from the first POST to the last answer
parsed. What the runner's job phase takes beyond this is the runner's; what this takes
beyond the 0.5 s floor is httpx, the simulator and the machine.
"""

from __future__ import annotations

import asyncio
import json
import os
import time

import httpx
import orjson

IDS, BATCH, LIMIT = 50_000, 500, 10


async def main() -> float:
    api, token = os.environ["ZOHO_API_DOMAIN"], os.environ["ZOHO_ACCESS_TOKEN"]
    url = f"{api}/crm/v8/Deals/actions/mass_update"
    headers = {"Authorization": f"Zoho-oauthtoken {token}", "Content-Type": "application/json"}
    slots = asyncio.Semaphore(LIMIT)
    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=LIMIT)) as client:
        await client.get(f"{api}/crm/v8/org", headers=headers)  # as the runner's org check

        async def one(batch: int) -> None:
            first = batch * BATCH + 1
            ids = [f"554023004{n:09d}" for n in range(first, first + BATCH)]
            body = json.dumps({"data": [{"Stage": "Closed Won"}], "ids": ids}).encode()
            async with slots:  # freed once the answer is read, as the runner's transport
                answer = await client.post(url, content=body, headers=headers)
            orjson.loads(answer.content)

        start = time.perf_counter()
        await asyncio.gather(*(one(n) for n in range(IDS // BATCH)))
        return time.perf_counter() - start


if __name__ == "__main__":
    print(f"{asyncio.run(main()):.6f}")
