"""Where the token may go (runner.zoho.hosts): every allowed host per data centre passes,
every hostile URL is refused by name before any request, redirects are not followed, and a
connection error names the host it tried and where that host came from (issue 9, 3 and 8)."""

from __future__ import annotations

import dataclasses
import ssl
from collections.abc import Mapping
from pathlib import Path

import httpx
import pytest

from runner.clock import ManualClock
from runner.errors import TargetError
from runner.execute import target as target_module
from runner.execute.target import SIM_BASE
from runner.zoho import errors as ze
from runner.zoho.auth import DATA_CENTRES, Credentials, Target, target_from_env
from runner.zoho.client import ZohoClient
from runner.zoho.hosts import EXTRA_HOSTS, HostPolicy, zoho_hosts
from runner.zoho.retry import RetryPolicy

pytestmark = pytest.mark.anyio

TOKEN = "1000.PLANTED-access-token-hosts"
SECRET = "PLANTED-client-secret-hosts"


class Guard:
    """A MockTransport handler that records requests and fails the test as soon as the
    token (or the refresh secret) reaches a host outside `allowed`."""

    def __init__(self, *allowed: str, answer: httpx.Response | None = None) -> None:
        self.allowed = set(allowed)
        self.answer = answer
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        carried = TOKEN in request.headers.get("Authorization", "") or (
            SECRET.encode() in request.content
        )
        if carried and request.url.host not in self.allowed:
            pytest.fail(f"the token reached {request.url.host}")
        if request.url.path == "/oauth/v2/token":
            return httpx.Response(200, json={"access_token": TOKEN, "expires_in": 3600})
        return self.answer or httpx.Response(200, json={"ok": True})


def env_target(**env: str) -> Target:
    return target_from_env({"ZOHO_ACCESS_TOKEN": TOKEN, **env})


def client(target: Target, handler: Guard | None = None, **kw: object) -> ZohoClient:
    transport = httpx.MockTransport(handler or Guard())
    return ZohoClient(target, clock=ManualClock(), transport=transport, **kw)  # type: ignore[arg-type]


def test_us_hosts_are_pinned() -> None:
    """The US list word for word: API_NOTES §7.3 (api, accounts, upload), §1.1/§4.1/§4.5."""
    assert sorted(zoho_hosts("us")) == [
        "accounts.zoho.com",
        "content.zohoapis.com",
        "developer.zohoapis.com",
        "download-accl.zoho.com",
        "download.zohocrm.com",
        "sandbox.zohoapis.com",
        "upload-accl.zoho.com",
        "upload.zoho.com",
        "www.zohoapis.com",
    ]
    assert zoho_hosts("sim") == frozenset()


ALLOWED = sorted((dc, host) for dc in DATA_CENTRES for host in zoho_hosts(dc))


@pytest.mark.parametrize(("dc", "host"), ALLOWED)
async def test_each_zoho_host_of_the_data_centre_gets_the_token(
    dc: str, host: str, tmp_path: Path
) -> None:
    """A GET, a POST and a download to each of the data centre's hosts go out with the token."""
    guard = Guard(host)
    async with client(env_target(ZOHO_DC=dc), guard) as zc:
        await zc.get(f"https://{host}/crm/v8/org")
        await zc.request("POST", f"https://{host}/crm/v8/x", json_body={})
        await zc.download(f"https://{host}/v2/crm/1/bulk-write/2/2.zip", tmp_path / "r.zip")
    assert [r.url.host for r in guard.requests] == [host] * 3
    assert all(r.headers["Authorization"] == f"Zoho-oauthtoken {TOKEN}" for r in guard.requests)


@pytest.mark.parametrize("dc", sorted(DATA_CENTRES))
async def test_the_targets_own_hosts_pass_for_every_data_centre(dc: str) -> None:
    """Relative paths join api_domain; upload and the token refresh use their own hosts."""
    target = target_from_env(
        {"ZOHO_CLIENT_ID": "cid", "ZOHO_CLIENT_SECRET": SECRET, "ZOHO_REFRESH_TOKEN": "r",
         "ZOHO_DC": dc}
    )  # fmt: skip
    hosts = [httpx.URL(u).host for u in (target.accounts_url, target.api_domain)]
    upload = httpx.URL(target.upload_domain).host
    guard = Guard(*hosts, upload)
    async with client(target, guard) as zc:
        await zc.get("/crm/v8/org")
        await zc.request("POST", "/crm/v8/upload", base="upload", json_body={})
    assert [r.url.host for r in guard.requests] == [*hosts, upload]


HOSTILE = {
    "another host": ("https://evil.test/r.zip", "evil.test is not a host of this target"),
    "http to a Zoho host": ("http://download-accl.zoho.com/r.zip", "plain http to download"),
    "user name first": ("https://me@www.zohoapis.com/r.zip", "user name before its host www."),
    "userinfo trick": ("https://www.zohoapis.com@evil.test/r", "user name before its host evil."),
    "backslash trick": ("https://www.zohoapis.com\\@evil.test/r", "before its host evil.test"),
    "look-alike suffix": ("https://www.zohoapis.com.evil.test/r", "www.zohoapis.com.evil.test is"),
    "bare parent domain": ("https://zohoapis.com/r", "zohoapis.com is not"),
    "lookalike prefix": ("https://evilzohoapis.com/r", "evilzohoapis.com is not"),
    "trailing dot": ("https://www.zohoapis.com./r", "www.zohoapis.com. is not"),
    "an IP address": ("https://52.84.10.1/r.zip", "52.84.10.1 is not"),
    "loopback from Zoho": ("https://127.0.0.1/r.zip", "127.0.0.1 is not a host of this target"),
    "another port": ("https://www.zohoapis.com:8443/r", "port 8443 on www.zohoapis.com"),
    "another data centre": ("https://www.zohoapis.eu/r", "www.zohoapis.eu is not"),
    "unicode look-alike": ("https://www.zohoapıs.com/r", "www.xn--zohoaps-wfb.com is not"),
    "other scheme": ("ftp://www.zohoapis.com/r", "ftp scheme"),
    "upper-case scheme": ("HTTPS://evil.test/r", "evil.test is not"),
    "malformed": ("https://www.zohoapis.com:abc/r", "a malformed URL was not sent"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
@pytest.mark.parametrize("call", ["get", "post", "download"])
async def test_hostile_url_is_refused_by_name_before_any_request(
    case: str, call: str, tmp_path: Path
) -> None:
    """No request at all (not even a token refresh); the error names the host."""
    url, named = HOSTILE[case]
    target = target_from_env(
        {"ZOHO_CLIENT_ID": "cid", "ZOHO_CLIENT_SECRET": SECRET, "ZOHO_REFRESH_TOKEN": "r"}
    )
    guard = Guard()
    async with client(target, guard) as zc:
        send = {
            "get": lambda: zc.get(url),
            "post": lambda: zc.request("POST", url, json_body={}),
            "download": lambda: zc.download(url, tmp_path / "r.zip"),
        }[call]
        with pytest.raises(ze.HostRefused) as info:
            await send()
    assert guard.requests == []
    assert zc.calls == 0
    assert info.value.code == "HOST_REFUSED"
    assert named in info.value.message
    assert "was not sent" in info.value.message
    assert info.value.request_was_processed is False
    assert not (tmp_path / "r.zip").exists()


async def test_refusal_message_is_pinned_and_hides_user_name_and_query() -> None:
    """The full text, with the URL shown without `user:pass@` or its query string."""
    async with client(env_target()) as zc:
        with pytest.raises(ze.HostRefused) as info:
            await zc.get("https://u:pw@evil.test/v2/r.zip?sig=abc")
    assert info.value.message == (
        "GET https://evil.test/v2/r.zip was not sent: the URL has a user name before its host "
        "evil.test; the access token goes only to the target's own Zoho hosts over https (or "
        "to this machine for a local target)"
    )


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8030/x", "http://localhost:9/x", "http://[::1]/x", "https://127.0.0.1/x"],
)
async def test_a_loopback_target_may_use_any_loopback_url(url: str) -> None:
    """A simulator on this machine: http is fine, any loopback name and port."""
    target = env_target(ZOHO_API_DOMAIN="http://127.0.0.1:8030")
    guard = Guard("127.0.0.1", "localhost", "::1")
    async with client(target, guard) as zc:
        await zc.get(url)
    assert len(guard.requests) == 1


@pytest.mark.parametrize(
    "url",
    ["https://www.zohoapis.com/x", "https://download-accl.zoho.com/r.zip", "https://evil.test/x"],
)
async def test_a_loopback_target_never_sends_its_token_to_zoho(url: str) -> None:
    """The local simulator's token stays local, even to Zoho's own hosts."""
    guard = Guard()
    async with client(env_target(ZOHO_API_DOMAIN="http://127.0.0.1:8030"), guard) as zc:
        with pytest.raises(ze.HostRefused, match="simulator on this machine"):
            await zc.get(url)
    assert guard.requests == []


async def test_the_in_process_simulator_target_is_loopback() -> None:
    """--sim's target answers on 127.0.0.1, so its absolute download URLs are loopback."""
    assert httpx.URL(SIM_BASE).host == "127.0.0.1"
    target = Target(SIM_BASE, SIM_BASE, SIM_BASE, Credentials(TOKEN), dc="sim")
    assert HostPolicy(target).local


async def test_plain_http_own_origin_beyond_loopback_is_refused() -> None:
    """Even a Target built by hand with http to another machine sends nothing."""
    target = Target("http://crm.test", "http://crm.test", "http://crm.test", Credentials(TOKEN))
    guard = Guard()
    async with client(target, guard) as zc:
        with pytest.raises(ze.HostRefused, match=r"plain http to crm\.test"):
            await zc.get("/crm/v8/org")
    assert guard.requests == []


@pytest.mark.parametrize(
    ("value", "host"),
    [
        ("https://www.zohoapis.com@evil.test", "evil.test"),
        ("https://u:pw@zohoapis.test", "zohoapis.test"),
    ],
)
def test_a_user_name_in_a_host_variable_is_refused_naming_only_the_host(
    value: str, host: str
) -> None:
    """ZOHO_API_DOMAIN with user@ is a TargetError naming the host, not what precedes `@`."""
    with pytest.raises(TargetError) as info:
        env_target(ZOHO_API_DOMAIN=value)
    assert str(info.value) == (
        f"ZOHO_API_DOMAIN must not carry a user name (user@host): it would go to {host}; "
        "give the host only"
    )


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
async def test_a_redirect_is_not_followed_and_names_where_it_pointed(status: int) -> None:
    """follow_redirects is off; a 3xx is HostRefused naming the Location's host, one request."""
    answer = httpx.Response(status, headers={"Location": "https://evil.test/steal?t=1"})
    guard = Guard("www.zohoapis.com", answer=answer)
    async with client(env_target(), guard) as zc:
        assert zc._http.follow_redirects is False
        with pytest.raises(ze.HostRefused) as info:
            await zc.get("/crm/bulk/v8/read/1/result")
    assert len(guard.requests) == 1
    assert info.value.code == "REDIRECT_NOT_FOLLOWED"
    assert info.value.http_status == status
    assert info.value.message == (
        f"GET /crm/bulk/v8/read/1/result on www.zohoapis.com answered HTTP {status}, a redirect "
        "to https://evil.test/steal; redirects are not followed, so the token was not sent there"
    )


async def test_a_download_redirect_is_not_followed(tmp_path: Path) -> None:
    """The streamed download path refuses a 302 the same way, writing no file."""
    answer = httpx.Response(302, headers={"Location": "/elsewhere"})
    guard = Guard("download-accl.zoho.com", answer=answer)
    async with client(env_target(), guard) as zc:
        with pytest.raises(ze.HostRefused, match=r"redirect to https://download-accl\.zoho\.com/"):
            await zc.download("https://download-accl.zoho.com/r.zip", tmp_path / "r.zip")
    assert len(guard.requests) == 1
    assert not (tmp_path / "r.zip").exists()


def refusing(exc: Exception) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    return httpx.MockTransport(handler)


CONNECT_CASES: Mapping[str, tuple[dict[str, str], str, str]] = {
    "default dc": ({}, "/crm/v8/org", "could not connect to www.zohoapis.com (ZOHO_DC=us default)"),
    "chosen dc": ({"ZOHO_DC": "eu"}, "/crm/v8/org", "www.zohoapis.eu (ZOHO_DC=eu)"),
    "sandbox": (
        {"ZOHO_DC": "in", "ZOHO_ENV": "sandbox"}, "/x",
        "sandbox.zohoapis.in (ZOHO_DC=in, ZOHO_ENV=sandbox)",
    ),
    "api variable": (
        {"ZOHO_API_DOMAIN": "https://crm.example.test:8443"}, "/x",
        "could not connect to crm.example.test:8443 (ZOHO_API_DOMAIN)",
    ),
    "download host": (
        {}, "https://download-accl.zoho.com/r.zip",
        "could not connect to download-accl.zoho.com (a Zoho host of data centre us)",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(CONNECT_CASES))
async def test_connection_error_names_the_host_and_where_it_came_from(case: str) -> None:
    """DNS, TLS and refused connections (httpx.ConnectError) name the host tried."""
    env, path, expected = CONNECT_CASES[case]
    exc = httpx.ConnectError("[Errno -2] Name or service not known")
    async with ZohoClient(
        env_target(**env), clock=ManualClock(), transport=refusing(exc),
        retry=RetryPolicy(attempts=2),
    ) as zc:  # fmt: skip
        with pytest.raises(ze.TransportError) as info:
            await zc.get(path)
    assert expected in info.value.message
    assert info.value.message.endswith("ConnectError: [Errno -2] Name or service not known")


async def test_token_refresh_connection_error_names_the_accounts_variable() -> None:
    """A refresh that cannot reach ZOHO_ACCOUNTS_URL says so, and never shows the secret."""
    target = target_from_env(
        {"ZOHO_CLIENT_ID": "cid", "ZOHO_CLIENT_SECRET": SECRET, "ZOHO_REFRESH_TOKEN": "r",
         "ZOHO_ACCOUNTS_URL": "https://login.example.test"}
    )  # fmt: skip
    exc = httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed")
    async with ZohoClient(
        target, clock=ManualClock(), transport=refusing(exc), retry=RetryPolicy(attempts=1)
    ) as zc:
        with pytest.raises(ze.TransportError) as info:
            await zc.get("/crm/v8/org")
    assert info.value.message.startswith(
        "could not connect to login.example.test (ZOHO_ACCOUNTS_URL): POST /oauth/v2/token:"
    )
    assert SECRET not in str(info.value)


async def test_a_timeout_after_connecting_names_the_host_too() -> None:
    """Not a connect failure, but the message still says which host stopped answering."""
    async with ZohoClient(
        env_target(), clock=ManualClock(), transport=refusing(httpx.ReadTimeout("timed out")),
        retry=RetryPolicy(attempts=1),
    ) as zc:  # fmt: skip
        with pytest.raises(ze.TransportError) as info:
            await zc.get("/crm/v8/org")
    assert info.value.message == (
        "GET /crm/v8/org on www.zohoapis.com (ZOHO_DC=us default): ReadTimeout: timed out"
    )


def test_extra_hosts_belong_to_known_data_centres() -> None:
    """Every documented extra host is listed under a data centre auth.py knows."""
    assert set(EXTRA_HOSTS) <= set(DATA_CENTRES)


def test_a_target_all_on_plain_http_gets_a_tls_context_that_trusts_nothing() -> None:
    """`sim serve` on this machine skips loading the CA bundle (issue 13), yet TLS through
    its transport would fail verification; a target with any https URL keeps httpx's CAs."""
    local = target_from_env({"ZOHO_API_DOMAIN": "http://127.0.0.1:8030",
                             "ZOHO_ACCOUNTS_URL": "http://127.0.0.1:8030",
                             "ZOHO_UPLOAD_DOMAIN": "http://127.0.0.1:8030",
                             "ZOHO_ACCESS_TOKEN": TOKEN})  # fmt: skip
    context = target_module._tls(local)
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname
    assert context.cert_store_stats()["x509_ca"] == 0
    zoho = target_from_env({"ZOHO_ACCESS_TOKEN": TOKEN})
    assert target_module._tls(zoho) is True
    mixed = dataclasses.replace(local, upload_domain="https://content.zohoapis.com")
    assert target_module._tls(mixed) is True
