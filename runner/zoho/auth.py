"""Who we are and where the org lives: credentials, data-centre hosts and access tokens.

The target comes from the environment only (DESIGN.md "CLI contract"); with nothing set it
is an error, never a guess. Secrets live in `Credentials`, whose repr hides them, and are
never put into an exception message or a log line.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from runner.clock import Clock
from runner.errors import TargetError
from runner.zoho.errors import AuthError

# API_NOTES §7.3 (SDK8 dc/*_data_center.py): accounts server, api host suffix, upload host.
DATA_CENTRES: Mapping[str, tuple[str, str, str]] = {
    "us": ("https://accounts.zoho.com", "com", "https://content.zohoapis.com"),
    "eu": ("https://accounts.zoho.eu", "eu", "https://content.zohoapis.eu"),
    "in": ("https://accounts.zoho.in", "in", "https://content.zohoapis.in"),
    "au": ("https://accounts.zoho.com.au", "com.au", "https://content.zohoapis.com.au"),
    "jp": ("https://accounts.zoho.jp", "jp", "https://content.zohoapis.jp"),
    "ca": ("https://accounts.zohocloud.ca", "ca", "https://upload.zohocloud.ca"),
    "cn": ("https://accounts.zoho.com.cn", "com.cn", "https://content.zohoapis.com.cn"),
    "sa": ("https://accounts.zoho.sa", "sa", "https://files.zoho.sa"),
}
# API_NOTES §7.3: sandbox/developer orgs use another api host, same accounts and upload host.
ENVIRONMENTS: Mapping[str, str] = {
    "production": "www",
    "sandbox": "sandbox",
    "developer": "developer",
}
_REFRESH_VARS = ("ZOHO_CLIENT_ID", "ZOHO_CLIENT_SECRET", "ZOHO_REFRESH_TOKEN")
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})  # this machine: http allowed


@dataclass(frozen=True)
class Credentials:
    """An access token, or the refresh-token triple; repr shows which, never the values."""

    access_token: str | None = field(default=None, repr=False)
    client_id: str | None = field(default=None, repr=False)
    client_secret: str | None = field(default=None, repr=False)
    refresh_token: str | None = field(default=None, repr=False)

    @property
    def can_refresh(self) -> bool:
        return bool(self.client_id and self.client_secret and self.refresh_token)

    def __repr__(self) -> str:
        kind = "refresh-token" if self.can_refresh else "access-token"
        return f"Credentials({kind}, secrets redacted)"

    __str__ = __repr__


@dataclass(frozen=True)
class Target:
    """The org's hosts (no trailing slash) and how to authenticate against them."""

    api_domain: str
    accounts_url: str
    upload_domain: str
    credentials: Credentials
    dc: str = "us"
    env: str = "production"
    # role ("api", "accounts", "upload") → where its host came from, for error messages
    sources: Mapping[str, str] = field(default_factory=dict, compare=False)

    def describe(self) -> dict[str, str]:
        """What reports and plans may show about the target: hosts, never secrets."""
        auth = "refresh-token" if self.credentials.can_refresh else "access-token"
        return {"api_domain": self.api_domain, "dc": self.dc, "env": self.env, "auth": auth}


def _url(environ: Mapping[str, str], name: str, default: str) -> str:
    value = (environ.get(name) or "").strip() or default
    parts = urlsplit(value)
    if "@" in parts.netloc:
        # `https://www.zohoapis.com@evil.test` goes to evil.test; what precedes `@` may be a
        # password, so only the host is repeated.
        raise TargetError(
            f"{name} must not carry a user name (user@host): it would go to {parts.hostname}; "
            "give the host only"
        )
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TargetError(f"{name}={value!r} is not an http(s) URL")
    if parts.scheme == "http" and parts.hostname not in LOOPBACK:
        # A token sent over plain http to another machine would be readable on the way.
        raise TargetError(f"{name} must use https unless it points at this machine (127.0.0.1)")
    return value.rstrip("/")


def target_from_env(environ: Mapping[str, str]) -> Target:
    """Read the target from environment variables; raise TargetError when none is set."""
    token = (environ.get("ZOHO_ACCESS_TOKEN") or "").strip() or None
    given = {name: (environ.get(name) or "").strip() for name in _REFRESH_VARS}
    if any(given.values()) and not all(given.values()):
        missing = ", ".join(name for name, value in given.items() if not value)
        needs = ", ".join(_REFRESH_VARS)
        raise TargetError(f"the refresh-token flow needs {needs}; missing: {missing}")
    if token is None and not all(given.values()):
        raise TargetError(
            "no Zoho target: set ZOHO_ACCESS_TOKEN, or ZOHO_CLIENT_ID + ZOHO_CLIENT_SECRET + "
            "ZOHO_REFRESH_TOKEN (with ZOHO_DC or ZOHO_API_DOMAIN), or use --sim"
        )
    dc = (environ.get("ZOHO_DC") or "").strip().lower() or "us"
    if dc not in DATA_CENTRES:
        known = ", ".join(DATA_CENTRES)
        raise TargetError(f"ZOHO_DC={dc!r} is not a data centre; use one of {known}")
    env = (environ.get("ZOHO_ENV") or "production").strip().lower()
    if env not in ENVIRONMENTS:
        raise TargetError(f"ZOHO_ENV={env!r} is not one of {', '.join(ENVIRONMENTS)}")
    accounts, tld, upload = DATA_CENTRES[dc]
    api = f"https://{ENVIRONMENTS[env]}.zohoapis.{tld}"
    creds = Credentials(
        access_token=token,
        client_id=given["ZOHO_CLIENT_ID"] or None,
        client_secret=given["ZOHO_CLIENT_SECRET"] or None,
        refresh_token=given["ZOHO_REFRESH_TOKEN"] or None,
    )
    api_domain = _url(environ, "ZOHO_API_DOMAIN", api)
    from_dc = f"ZOHO_DC={dc}" + ("" if (environ.get("ZOHO_DC") or "").strip() else " default")
    default_from = from_dc
    if urlsplit(api_domain).hostname in LOOPBACK:
        # A simulator on this machine serves every host; never fall back to Zoho's own
        # accounts or upload servers (that would send the local token to the internet).
        accounts = upload = api_domain
        default_from = "as ZOHO_API_DOMAIN"
    sources = {
        "api": _source(environ, "ZOHO_API_DOMAIN", from_dc + _env_note(env)),
        "accounts": _source(environ, "ZOHO_ACCOUNTS_URL", default_from),
        "upload": _source(environ, "ZOHO_UPLOAD_DOMAIN", default_from),
    }
    return Target(
        api_domain=api_domain,
        accounts_url=_url(environ, "ZOHO_ACCOUNTS_URL", accounts),
        upload_domain=_url(environ, "ZOHO_UPLOAD_DOMAIN", upload),
        credentials=creds,
        dc=dc,
        env=env,
        sources=sources,
    )


def _source(environ: Mapping[str, str], name: str, default: str) -> str:
    """Where a host came from: the variable that set it, or how it was derived."""
    return name if (environ.get(name) or "").strip() else default


def _env_note(env: str) -> str:
    return "" if env == "production" else f", ZOHO_ENV={env}"


# Sends a form POST and returns (HTTP status, parsed JSON body); the client provides it.
PostForm = Callable[[str, Mapping[str, str]], Awaitable[tuple[int, Any]]]


class TokenSource:
    """Hands out the access token; refreshes it shortly before expiry, once for all workers."""

    def __init__(self, target: Target, *, clock: Clock, margin: float = 60.0) -> None:
        self._creds = target.credentials
        self._token_url = f"{target.accounts_url}/oauth/v2/token"  # API_NOTES §7.1
        self._clock = clock
        self._margin = margin
        self._token = self._creds.access_token
        self._expires_at: float | None = None  # None: lifetime unknown, use until refused
        self._lock = asyncio.Lock()
        self.refresh_count = 0

    def __repr__(self) -> str:
        return f"TokenSource({self._creds!r}, refreshes={self.refresh_count})"

    def _fresh(self) -> bool:
        if self._token is None:
            return False
        return self._expires_at is None or self._clock.now() < self._expires_at

    async def get(self, post: PostForm) -> str:
        """A token valid for at least the safety margin, refreshing if needed."""
        if self._fresh():
            assert self._token is not None
            return self._token
        async with self._lock:  # waiters find the token their peer just fetched
            if not self._fresh():
                await self._refresh(post)
            assert self._token is not None
            return self._token

    async def after_rejected(self, rejected: str, post: PostForm) -> str:
        """A new token after Zoho answered 401 INVALID_TOKEN to `rejected`."""
        async with self._lock:
            if self._token is not None and self._token != rejected and self._fresh():
                return self._token  # another worker already replaced it
            if not self._creds.can_refresh:
                raise AuthError(
                    "INVALID_TOKEN",
                    "Zoho rejected ZOHO_ACCESS_TOKEN (access tokens live 1 hour); set a new "
                    "one, or ZOHO_CLIENT_ID + ZOHO_CLIENT_SECRET + ZOHO_REFRESH_TOKEN",
                    http_status=401,
                )
            await self._refresh(post)
            assert self._token is not None
            return self._token

    async def _refresh(self, post: PostForm) -> None:
        creds = self._creds
        if not (creds.client_id and creds.client_secret and creds.refresh_token):
            raise AuthError("INVALID_TOKEN", "no access token and no refresh token to get one")
        form = {  # SDK8 oauth_token.py sends these as a form body (API_NOTES §7.1)
            "grant_type": "refresh_token",
            "client_id": creds.client_id,
            "client_secret": creds.client_secret,
            "refresh_token": creds.refresh_token,
        }
        self.refresh_count += 1
        status, body = await post(self._token_url, form)
        body = body if isinstance(body, Mapping) else {}
        token = body.get("access_token")
        if not isinstance(token, str) or not token:
            raise _refresh_refused(status, body, self._token_url)
        self._token = token
        self._expires_at = self._expiry(body)

    def _expiry(self, body: Mapping[str, Any]) -> float:
        # API_NOTES §7.1: with `expires_in_sec`, `expires_in` is in milliseconds.
        raw = body.get("expires_in_sec", body.get("expires_in", 3600))
        try:
            lifetime = float(raw)
        except (TypeError, ValueError):
            lifetime = 3600.0
        margin = min(self._margin, lifetime / 2)
        return self._clock.now() + lifetime - margin


def _refresh_refused(status: int, body: Mapping[str, Any], url: str) -> AuthError:
    """A clear error for a refused refresh; quotes Zoho's error name, never the request."""
    error = str(body.get("error") or "no access_token in the answer")
    if error == "invalid_code":  # API_NOTES §7.1: revoked or unknown refresh token
        why = (
            "the refresh token is revoked, mistyped or from another data centre "
            "(check ZOHO_DC / ZOHO_ACCOUNTS_URL)"
        )
    elif error == "Access Denied":  # API_NOTES §7.2: 10 token requests per 10 minutes
        why = "too many token requests for this refresh token; wait 10 minutes"
    else:
        why = "check ZOHO_CLIENT_ID, ZOHO_CLIENT_SECRET and ZOHO_REFRESH_TOKEN"
    return AuthError(
        error, f"token refresh at {url} refused (HTTP {status}, {error}): {why}", http_status=status
    )
