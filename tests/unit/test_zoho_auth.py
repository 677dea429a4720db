"""Targets from the environment, data-centre hosts, the token source and secret hygiene."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import pytest

from runner.clock import ManualClock
from runner.errors import TargetError
from runner.zoho.auth import Credentials, Target, TokenSource, target_from_env
from runner.zoho.errors import AuthError

TOKEN = "1000.PLANTED-access-token-7f3a"
SECRET = "PLANTED-client-secret-91c2"
REFRESH = "1000.PLANTED-refresh-token-44de"
REFRESH_ENV = {
    "ZOHO_CLIENT_ID": "1000.CLIENTID",
    "ZOHO_CLIENT_SECRET": SECRET,
    "ZOHO_REFRESH_TOKEN": REFRESH,
}

# API_NOTES §7.3
DC_HOSTS = {
    "us": ("https://accounts.zoho.com", "https://www.zohoapis.com", "https://content.zohoapis.com"),
    "eu": ("https://accounts.zoho.eu", "https://www.zohoapis.eu", "https://content.zohoapis.eu"),
    "in": ("https://accounts.zoho.in", "https://www.zohoapis.in", "https://content.zohoapis.in"),
    "au": (
        "https://accounts.zoho.com.au",
        "https://www.zohoapis.com.au",
        "https://content.zohoapis.com.au",
    ),
    "jp": ("https://accounts.zoho.jp", "https://www.zohoapis.jp", "https://content.zohoapis.jp"),
    "ca": (
        "https://accounts.zohocloud.ca",
        "https://www.zohoapis.ca",
        "https://upload.zohocloud.ca",
    ),
    "cn": (
        "https://accounts.zoho.com.cn",
        "https://www.zohoapis.com.cn",
        "https://content.zohoapis.com.cn",
    ),
    "sa": ("https://accounts.zoho.sa", "https://www.zohoapis.sa", "https://files.zoho.sa"),
}


@pytest.mark.parametrize("dc", sorted(DC_HOSTS))
def test_data_centre_hosts(dc: str) -> None:
    """Each of the 8 data centres resolves to its accounts, api and upload hosts."""
    target = target_from_env({"ZOHO_ACCESS_TOKEN": TOKEN, "ZOHO_DC": dc.upper()})
    assert (target.accounts_url, target.api_domain, target.upload_domain) == DC_HOSTS[dc]
    assert target.dc == dc


@pytest.mark.parametrize(("env", "prefix"), [("sandbox", "sandbox"), ("developer", "developer")])
def test_sandbox_and_developer_hosts(env: str, prefix: str) -> None:
    """Sandbox/developer orgs change the api host only (API_NOTES §7.3)."""
    target = target_from_env({**REFRESH_ENV, "ZOHO_DC": "eu", "ZOHO_ENV": env})
    assert target.api_domain == f"https://{prefix}.zohoapis.eu"
    assert target.accounts_url == "https://accounts.zoho.eu"
    assert target.upload_domain == "https://content.zohoapis.eu"


def test_default_is_us_production() -> None:
    """Without ZOHO_DC and ZOHO_ENV the target is US production."""
    target = target_from_env({"ZOHO_ACCESS_TOKEN": TOKEN})
    assert (target.dc, target.env, target.api_domain) == (
        "us",
        "production",
        "https://www.zohoapis.com",
    )


def test_overrides_win_and_lose_trailing_slash() -> None:
    """ZOHO_API_DOMAIN / ACCOUNTS_URL / UPLOAD_DOMAIN replace the table's hosts."""
    target = target_from_env(
        {
            "ZOHO_ACCESS_TOKEN": TOKEN,
            "ZOHO_API_DOMAIN": "http://127.0.0.1:8030/",
            "ZOHO_ACCOUNTS_URL": "http://localhost:8030",
            "ZOHO_UPLOAD_DOMAIN": "https://upload.zoho.com",
        }
    )
    assert target.api_domain == "http://127.0.0.1:8030"
    assert target.accounts_url == "http://localhost:8030"
    assert target.upload_domain == "https://upload.zoho.com"


def test_plain_http_to_another_machine_is_refused() -> None:
    """A token is never sent over plain http beyond loopback."""
    with pytest.raises(TargetError, match="ZOHO_API_DOMAIN must use https"):
        target_from_env({"ZOHO_ACCESS_TOKEN": TOKEN, "ZOHO_API_DOMAIN": "http://crm.example.com"})


def test_no_target_names_the_variables() -> None:
    """With no credentials the error says exactly what to set."""
    with pytest.raises(TargetError) as info:
        target_from_env({"ZOHO_DC": "eu"})
    text = str(info.value)
    for name in ("ZOHO_ACCESS_TOKEN", "ZOHO_CLIENT_ID", "ZOHO_CLIENT_SECRET", "ZOHO_REFRESH_TOKEN"):
        assert name in text
    assert "--sim" in text


def test_partial_refresh_triple_names_the_missing_one() -> None:
    """Two of the three refresh variables is an error naming the third, not a guess."""
    env = {"ZOHO_ACCESS_TOKEN": TOKEN, **REFRESH_ENV, "ZOHO_REFRESH_TOKEN": ""}
    with pytest.raises(TargetError, match=r"missing: ZOHO_REFRESH_TOKEN$"):
        target_from_env(env)


@pytest.mark.parametrize(
    ("env", "match"),
    [({"ZOHO_DC": "uk"}, "ZOHO_DC='uk' is not a data centre"), ({"ZOHO_ENV": "prod"}, "ZOHO_ENV")],
)
def test_bad_dc_or_env(env: dict[str, str], match: str) -> None:
    """An unknown data centre or environment is refused with the valid choices."""
    with pytest.raises(TargetError, match=match):
        target_from_env({"ZOHO_ACCESS_TOKEN": TOKEN, **env})


def test_credentials_and_target_never_show_secrets() -> None:
    """repr/str of credentials, target and token source hide every secret."""
    target = target_from_env({"ZOHO_ACCESS_TOKEN": TOKEN, **REFRESH_ENV})
    texts = [
        repr(target.credentials),
        str(target.credentials),
        repr(target),
        str(target.describe()),
        repr(TokenSource(target, clock=ManualClock())),
    ]
    for text in texts:
        for secret in (TOKEN, SECRET, REFRESH):
            assert secret not in text
    assert "refresh-token" in repr(target.credentials)


class FakeAccounts:
    """Answers token refreshes like Zoho Accounts, counting them; yields once per call."""

    def __init__(self, answers: list[tuple[int, Any]] | None = None) -> None:
        self.answers = answers or []
        self.forms: list[Mapping[str, str]] = []
        self.urls: list[str] = []

    async def __call__(self, url: str, form: Mapping[str, str]) -> tuple[int, Any]:
        self.urls.append(url)
        self.forms.append(dict(form))
        await asyncio.sleep(0)  # let every waiting worker pile up on the lock
        if self.answers:
            return self.answers.pop(0)
        n = len(self.forms)
        return 200, {"access_token": f"1000.fresh-{n}", "expires_in": 3600, "api_domain": "x"}


def _refresh_target() -> Target:
    return Target(
        api_domain="https://api.test",
        accounts_url="https://accounts.test",
        upload_domain="https://upload.test",
        credentials=Credentials(client_id="cid", client_secret=SECRET, refresh_token=REFRESH),
    )


@pytest.mark.anyio
async def test_twenty_concurrent_workers_share_one_refresh() -> None:
    """20 workers asking at once with no valid token cause exactly one refresh request."""
    accounts = FakeAccounts()
    source = TokenSource(_refresh_target(), clock=ManualClock())
    tokens = await asyncio.gather(*(source.get(accounts) for _ in range(20)))
    assert len(accounts.forms) == 1
    assert set(tokens) == {"1000.fresh-1"}
    assert accounts.urls == ["https://accounts.test/oauth/v2/token"]
    assert accounts.forms[0] == {
        "grant_type": "refresh_token",
        "client_id": "cid",
        "client_secret": SECRET,
        "refresh_token": REFRESH,
    }


@pytest.mark.anyio
async def test_token_is_cached_then_refreshed_shortly_before_expiry() -> None:
    """The token is reused until ~60 s before expiry, then refreshed once."""
    clock, accounts = ManualClock(), FakeAccounts()
    source = TokenSource(_refresh_target(), clock=clock)
    assert await source.get(accounts) == "1000.fresh-1"
    clock.advance(3500)
    assert await source.get(accounts) == "1000.fresh-1"
    clock.advance(45)  # 3545 s: inside the 60 s margin
    assert await source.get(accounts) == "1000.fresh-2"
    assert len(accounts.forms) == 2


@pytest.mark.anyio
async def test_expires_in_milliseconds_with_expires_in_sec() -> None:
    """With expires_in_sec present, expires_in is milliseconds (API_NOTES §7.1)."""
    clock = ManualClock()
    accounts = FakeAccounts(
        [(200, {"access_token": "a", "expires_in": 3600000, "expires_in_sec": 3600})]
    )
    source = TokenSource(_refresh_target(), clock=clock)
    await source.get(accounts)
    clock.advance(3000)
    assert await source.get(accounts) == "a"
    clock.advance(600)
    assert await source.get(accounts) == "1000.fresh-2"


@pytest.mark.anyio
async def test_rejected_token_refreshes_once_for_all_who_saw_it() -> None:
    """Many workers reporting the same rejected token trigger a single refresh."""
    accounts = FakeAccounts()
    source = TokenSource(_refresh_target(), clock=ManualClock())
    first = await source.get(accounts)
    again = await asyncio.gather(*(source.after_rejected(first, accounts) for _ in range(20)))
    assert set(again) == {"1000.fresh-2"}
    assert len(accounts.forms) == 2


@pytest.mark.anyio
async def test_static_token_rejected_says_what_to_do() -> None:
    """A rejected ZOHO_ACCESS_TOKEN without refresh credentials is a clear AuthError."""
    target = Target("https://a", "https://b", "https://c", Credentials(access_token=TOKEN))
    source = TokenSource(target, clock=ManualClock())
    accounts = FakeAccounts()
    assert await source.get(accounts) == TOKEN
    with pytest.raises(AuthError, match="ZOHO_REFRESH_TOKEN") as info:
        await source.after_rejected(TOKEN, accounts)
    assert TOKEN not in str(info.value)
    assert accounts.forms == []


@pytest.mark.parametrize(
    ("body", "match"),
    [
        ({"error": "invalid_code"}, "revoked"),
        (
            {
                "error_description": "You have made too many requests continuously.",
                "error": "Access Denied",
                "status": "failure",
            },
            "wait 10 minutes",
        ),
        ({}, "ZOHO_CLIENT_SECRET"),
    ],
)
@pytest.mark.anyio
async def test_refused_refresh_is_clear_and_secret_free(body: dict[str, str], match: str) -> None:
    """invalid_code / Access Denied / no token become AuthError, quoting no secret."""
    source = TokenSource(_refresh_target(), clock=ManualClock())
    with pytest.raises(AuthError, match=match) as info:
        await source.get(FakeAccounts([(200, body)]))
    text = f"{info.value} {info.value!r} {info.value.details}"
    for secret in (SECRET, REFRESH):
        assert secret not in text


def test_loopback_api_domain_keeps_every_host_local() -> None:
    """ZOHO_API_DOMAIN on 127.0.0.1 alone: accounts and upload default to it, never Zoho's."""
    target = target_from_env({"ZOHO_ACCESS_TOKEN": "t", "ZOHO_API_DOMAIN": "http://127.0.0.1:8030"})
    assert target.accounts_url == "http://127.0.0.1:8030"
    assert target.upload_domain == "http://127.0.0.1:8030"
