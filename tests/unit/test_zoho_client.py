"""ZohoClient: auth header, retries with backoff/Retry-After/deadline, POST safety, tokens."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from runner.clock import ManualClock
from runner.zoho import errors as ze
from runner.zoho.auth import Credentials, Target
from runner.zoho.client import ZohoClient
from runner.zoho.retry import RetryPolicy

TOKEN = "1000.PLANTED-access-token-7f3a"
SECRET = "PLANTED-client-secret-91c2"
REFRESH = "1000.PLANTED-refresh-token-44de"
SECRETS = (TOKEN, SECRET, REFRESH)
Step = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


class Script:
    """A MockTransport handler that plays steps in order and records every request."""

    def __init__(self, *steps: Step) -> None:
        self.steps = list(steps)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        step = self.steps.pop(0)
        if isinstance(step, Exception):
            raise step
        if isinstance(step, httpx.Response):
            return step
        return step(request)


def err(status: int, code: str, headers: dict[str, str] | None = None) -> httpx.Response:
    body = {"code": code, "details": {}, "message": code.lower(), "status": "error"}
    return httpx.Response(status, json=body, headers=headers)


def ok(body: Any = None) -> httpx.Response:
    return httpx.Response(200, json=body if body is not None else {"ok": True})


def make(
    script: Script, *, clock: ManualClock | None = None, refresh: bool = False, **kw: Any
) -> ZohoClient:
    creds = (
        Credentials(client_id="cid", client_secret=SECRET, refresh_token=REFRESH)
        if refresh
        else Credentials(access_token=TOKEN)
    )
    target = Target("https://api.test", "https://accounts.test", "https://upload.test", creds)
    return ZohoClient(
        target,
        clock=clock or ManualClock(),
        transport=httpx.MockTransport(script),
        rng=random.Random(7),
        **kw,
    )


@pytest.mark.anyio
async def test_get_sends_token_header_to_api_domain() -> None:
    """A GET goes to api_domain + path with `Authorization: Zoho-oauthtoken <token>`."""
    script = Script(ok({"org": []}))
    async with make(script) as zc:
        resp = await zc.get("/crm/v8/org", params={"a": "1"})
    assert resp.body == {"org": []}
    (req,) = script.requests
    assert str(req.url) == "https://api.test/crm/v8/org?a=1"
    assert req.headers["Authorization"] == f"Zoho-oauthtoken {TOKEN}"
    assert req.headers["User-Agent"].startswith("zcrm-runner/")


@pytest.mark.parametrize(
    "failure",
    [
        err(500, "INTERNAL_ERROR"),
        err(503, "SOMETHING"),
        err(429, "TOO_MANY_REQUESTS"),
        httpx.ReadTimeout("read timed out"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
        httpx.ConnectError("connection refused"),
    ],
    ids=["500", "503", "429", "timeout", "drop", "refused"],
)
@pytest.mark.anyio
async def test_get_is_retried_after_transient_failure(failure: Step) -> None:
    """GETs retry on 5xx, 429, timeouts and dropped connections, sleeping on the clock."""
    clock = ManualClock()
    script = Script(failure, failure, ok())
    async with make(script, clock=clock) as zc:
        resp = await zc.get("/x")
    assert resp.status == 200
    assert len(script.requests) == 3
    assert len(clock.slept) == 2
    policy = RetryPolicy()
    assert all(0 <= s <= policy.base * 2**i for i, s in enumerate(clock.slept))


@pytest.mark.anyio
async def test_backoff_is_bounded_by_attempts_and_cap() -> None:
    """After `attempts` tries the last error is raised; each wait stays under the cap."""
    clock = ManualClock()
    script = Script(*[err(500, "INTERNAL_ERROR")] * 5)
    async with make(script, clock=clock, retry=RetryPolicy(attempts=5, base=1, cap=3)) as zc:
        with pytest.raises(ze.ServerError) as info:
            await zc.get("/x")
    assert len(script.requests) == 5
    assert info.value.code == "INTERNAL_ERROR"
    assert len(clock.slept) == 4
    assert all(0 <= s <= 3 for s in clock.slept)
    assert len(set(clock.slept)) == 4  # jittered, not a fixed ladder


@pytest.mark.parametrize(("header", "wait"), [("7", 7.0), ("Thu, 01 Jan 2026 00:00:12 GMT", 12.0)])
@pytest.mark.anyio
async def test_retry_after_is_honoured(header: str, wait: float) -> None:
    """Retry-After in seconds or as an HTTP date sets the wait exactly."""
    clock = ManualClock()  # 2026-01-01T00:00:00Z
    script = Script(err(429, "TOO_MANY_REQUESTS", {"Retry-After": header}), ok())
    async with make(script, clock=clock) as zc:
        await zc.get("/x")
    assert clock.slept == [wait]


@pytest.mark.anyio
async def test_never_sleeps_past_the_deadline() -> None:
    """A Retry-After beyond the deadline raises at once instead of sleeping."""
    clock = ManualClock()
    script = Script(err(429, "TOO_MANY_REQUESTS", {"Retry-After": "30"}), ok())
    async with make(script, clock=clock, deadline=clock.now() + 10) as zc:
        with pytest.raises(ze.RateLimited) as info:
            await zc.get("/x")
    assert info.value.retry_after == 30
    assert clock.slept == []
    assert len(script.requests) == 1


@pytest.mark.anyio
async def test_backoff_stops_at_deadline() -> None:
    """With endless 500s, total sleeping stays within the deadline, then the error is raised."""
    clock = ManualClock()
    start = clock.now()
    script = Script(*[err(500, "INTERNAL_ERROR")] * 50)
    policy = RetryPolicy(attempts=50, base=1, cap=4)
    async with make(script, clock=clock, retry=policy) as zc:
        with pytest.raises(ze.ServerError):
            await zc.get("/x", deadline=start + 6)
    assert clock.now() <= start + 6
    assert 1 < len(script.requests) < 50


@pytest.mark.parametrize(
    "failure",
    [
        err(500, "INTERNAL_ERROR"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
        httpx.ReadTimeout("read timed out"),
        httpx.WriteError("broken pipe"),
    ],
    ids=["500", "drop", "timeout", "write"],
)
@pytest.mark.anyio
async def test_post_losing_its_answer_is_outcome_unknown(failure: Step) -> None:
    """A job-creating POST is sent once; a lost answer raises OutcomeUnknown, not a retry."""
    script = Script(failure, ok())
    async with make(script) as zc:
        with pytest.raises(ze.OutcomeUnknown) as info:
            await zc.request("POST", "/crm/v8/Leads/actions/mass_delete", json_body={"cvid": "1"})
    assert len(script.requests) == 1
    assert info.value.request_was_processed is None
    assert isinstance(info.value.__cause__, (ze.ServerError, ze.TransportError))
    assert "mass_delete" in str(info.value)


@pytest.mark.anyio
async def test_dropped_post_keeps_the_httpx_cause_chain() -> None:
    """httpx errors are translated once, `from exc`, so the original stays reachable."""
    drop = httpx.RemoteProtocolError("Server disconnected")
    script = Script(drop)
    async with make(script) as zc:
        with pytest.raises(ze.OutcomeUnknown) as info:
            await zc.request("POST", "/p", json_body={})
    transport_error = info.value.__cause__
    assert isinstance(transport_error, ze.TransportError)
    assert transport_error.__cause__ is drop


@pytest.mark.anyio
async def test_post_whose_connection_never_opened_is_retried() -> None:
    """A refused connection means Zoho never saw the POST, so it is sent again."""
    script = Script(httpx.ConnectError("refused"), ok({"data": []}))
    async with make(script) as zc:
        resp = await zc.request("POST", "/p", json_body={"a": 1})
    assert resp.status == 200
    assert len(script.requests) == 2


@pytest.mark.parametrize(
    ("answer", "cls"),
    [
        (err(429, "TOO_MANY_REQUESTS"), ze.RateLimited),
        (err(400, "INVALID_DATA"), ze.InvalidRequest),
    ],
)
@pytest.mark.anyio
async def test_refused_post_is_not_retried_but_marked_refused(
    answer: httpx.Response, cls: type[ze.ZohoError]
) -> None:
    """429 or a request-level 4xx: raised once, `request_was_processed` False."""
    script = Script(answer, ok())
    async with make(script) as zc:
        with pytest.raises(cls) as info:
            await zc.request("POST", "/p", json_body={})
    assert info.value.request_was_processed is False
    assert len(script.requests) == 1


@pytest.mark.anyio
async def test_refused_post_retried_when_asked() -> None:
    """With retry_refused_posts the client itself resends a POST refused with 429."""
    clock = ManualClock()
    script = Script(err(429, "TOO_MANY_REQUESTS", {"Retry-After": "2"}), ok())
    async with make(script, clock=clock, retry_refused_posts=True) as zc:
        await zc.request("POST", "/p", json_body={})
    assert len(script.requests) == 2
    assert clock.slept == [2.0]


@pytest.mark.anyio
async def test_error_envelope_in_a_2xx_answer_raises() -> None:
    """Seed 002: ALREADY_SCHEDULED comes back as HTTP 202; it is still an error."""
    script = Script(err(202, "ALREADY_SCHEDULED"))
    async with make(script) as zc:
        with pytest.raises(ze.AlreadyScheduled) as info:
            await zc.request("POST", "/p", json_body={})
    assert info.value.http_status == 202
    assert info.value.request_was_processed is False


@pytest.mark.anyio
async def test_redirects_are_not_followed() -> None:
    """follow_redirects is off (as in SDK8): a 302 is an error, never a second request."""
    script = Script(httpx.Response(302, headers={"Location": "https://evil.test/"}))
    async with make(script) as zc:
        with pytest.raises(ze.ZohoError) as info:
            await zc.get("/x")
    assert info.value.http_status == 302
    assert len(script.requests) == 1


def _token_answer(n: int) -> httpx.Response:
    return httpx.Response(200, json={"access_token": f"1000.fresh-{n}", "expires_in": 3600})


@pytest.mark.anyio
async def test_invalid_token_refreshes_once_and_resends() -> None:
    """401 INVALID_TOKEN: one refresh, the same request again with the new token."""
    script = Script(_token_answer(1), err(401, "INVALID_TOKEN"), _token_answer(2), ok())
    async with make(script, refresh=True) as zc:
        await zc.request("POST", "/crm/v8/Deals/actions/mass_update", json_body={"ids": ["1"]})
    paths = [r.url.path for r in script.requests]
    assert paths == ["/oauth/v2/token", "/crm/v8/Deals/actions/mass_update"] * 2
    assert script.requests[3].headers["Authorization"] == "Zoho-oauthtoken 1000.fresh-2"
    assert script.requests[0].headers.get("Authorization") is None
    assert b"client_secret=" in script.requests[0].content


@pytest.mark.anyio
async def test_second_invalid_token_is_an_auth_error() -> None:
    """A fresh token refused again raises AuthError instead of refreshing in a loop."""
    script = Script(
        _token_answer(1), err(401, "INVALID_TOKEN"), _token_answer(2), err(401, "INVALID_TOKEN")
    )
    async with make(script, refresh=True) as zc:
        with pytest.raises(ze.AuthError):
            await zc.get("/x")
    assert len(script.requests) == 4


@pytest.mark.anyio
async def test_twenty_concurrent_calls_on_expired_token_refresh_once() -> None:
    """20 workers starting together with an expired token share one refresh request."""

    async def handler(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0)
        if request.url.path == "/oauth/v2/token":
            return _token_answer(1)
        return ok()

    clock = ManualClock()
    target = Target(
        "https://api.test",
        "https://accounts.test",
        "https://upload.test",
        Credentials(client_id="cid", client_secret=SECRET, refresh_token=REFRESH),
    )
    seen: list[httpx.Request] = []

    async def recording(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return await handler(request)

    async with ZohoClient(target, clock=clock, transport=httpx.MockTransport(recording)) as zc:
        await zc.get("/warm")  # first token
        clock.advance(4000)  # now expired
        await asyncio.gather(*(zc.get(f"/r{i}") for i in range(20)))
    refreshes = [r for r in seen if r.url.path == "/oauth/v2/token"]
    assert len(refreshes) == 2  # the first token, then exactly one for all 20 workers
    assert len(seen) == 2 + 1 + 20


@pytest.mark.anyio
async def test_token_refresh_survives_a_dropped_connection() -> None:
    """The refresh itself creates no record, so a drop during it is retried."""
    clock = ManualClock()
    script = Script(httpx.RemoteProtocolError("drop"), _token_answer(1), ok())
    async with make(script, clock=clock, refresh=True) as zc:
        await zc.get("/x")
    assert [r.url.path for r in script.requests] == ["/oauth/v2/token", "/oauth/v2/token", "/x"]


@pytest.mark.anyio
async def test_secrets_appear_in_no_error_or_log(caplog: pytest.LogCaptureFixture) -> None:
    """Planted token, secret and refresh token appear in no exception text, repr or log line."""
    caplog.set_level(logging.DEBUG)
    errors: list[BaseException] = []
    scripts = [
        (Script(*[err(500, "INTERNAL_ERROR")] * 6), False, "GET"),
        (Script(httpx.RemoteProtocolError("drop")), False, "POST"),
        (Script(httpx.Response(200, json={"error": "invalid_code"})), True, "GET"),
        (
            Script(
                _token_answer(1),
                err(401, "INVALID_TOKEN"),
                _token_answer(2),
                err(401, "INVALID_TOKEN"),
            ),
            True,
            "GET",
        ),
    ]
    for script, refresh, method in scripts:
        async with make(script, refresh=refresh) as zc:
            try:
                await zc.request(method, "/x", json_body={} if method == "POST" else None)
            except ze.ZohoError as exc:
                errors.append(exc)
            assert all(s not in repr(zc.target) + repr(zc.tokens) for s in SECRETS)
    assert len(errors) == len(scripts)
    texts = [caplog.text]
    for exc in errors:
        chained: BaseException | None = exc
        while chained is not None:
            texts += [str(chained), repr(chained), str(getattr(chained, "details", ""))]
            chained = chained.__cause__
    for text in texts:
        for secret in SECRETS:
            assert secret not in text


@pytest.mark.anyio
async def test_download_streams_to_disk_and_retries(tmp_path: Path) -> None:
    """Downloads retry like reads and land whole at dest, with no .part file left."""
    payload = b"PK\x03\x04" + bytes(range(256)) * 100
    script = Script(err(500, "INTERNAL_ERROR"), httpx.Response(200, content=payload))
    async with make(script) as zc:
        out = await zc.download("/crm/bulk/v8/read/1/result", tmp_path / "a" / "r.zip")
    assert out.read_bytes() == payload
    assert not (tmp_path / "a" / "r.zip.part").exists()
    assert script.requests[1].headers["Authorization"] == f"Zoho-oauthtoken {TOKEN}"


@pytest.mark.anyio
async def test_big_integers_stay_exact() -> None:
    """A 19-digit id sent as a JSON number is parsed exactly (no float on the way)."""
    script = Script(httpx.Response(200, content=b'{"id": 5540230000001020019}'))
    async with make(script) as zc:
        resp = await zc.get("/x")
    assert resp.body["id"] == 5540230000001020019


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("raw", "value"),
    [
        (b'{"id": 18446744073709551616}', 18446744073709551616),  # 2**64: orjson refuses it
        (b'{"n": NaN}', None),  # json's extension; orjson refuses it
        (b'{"s": "\\ud800"}', "\ud800"),  # a lone surrogate
        (b'{"id": "554023000000235011"}', "554023000000235011"),
    ],
)
async def test_answers_read_as_json_reads_them(raw: bytes, value: Any) -> None:
    """The fast parser gives the value json gives; what it refuses, json reads."""
    script = Script(httpx.Response(200, content=raw))
    async with make(script) as zc:
        resp = await zc.get("/x")
    (got,) = resp.body.values()
    assert got == value or (value is None and got != got)  # NaN is not equal to itself


@pytest.mark.anyio
async def test_an_answer_that_is_not_json_is_named_not_parsed() -> None:
    """A body neither parser reads becomes an error naming its first characters."""
    script = Script(httpx.Response(500, content=b"<html>Bad gateway</html>"))
    async with make(script) as zc:
        with pytest.raises(ze.ZohoError) as caught:
            await zc.request("POST", "/x", json_body={})
    assert "Bad gateway" in str(caught.value)
