"""Where the access token may go, decided before anything is sent.

The client puts `Authorization: Zoho-oauthtoken …` on every call, downloads included
(API_NOTES §1.2), and some URLs come from answers (a bulk write `download_url`, §4.5), so
the client checks every URL here first, before it fetches a token or opens a connection.
A URL passes when it is

- one of the target's own origins: the scheme, host and port of its api, accounts and
  upload URLs (`auth.target_from_env` takes those over https, or http to this machine);
- https on port 443 to a Zoho host of the target's data centre (`zoho_hosts`), unless the
  target is this machine: a local simulator's token never goes to Zoho;
- any loopback host (127.0.0.1, ::1, localhost) when the target is this machine.

Anything else (another host, plain http beyond this machine, a user name before the host,
a look-alike such as `www.zohoapis.com.evil.test`, an IP address) raises HostRefused.
Hosts are compared whole, as httpx parses them (the parse it connects with), never by
suffix. A redirect answer is HostRefused too (`redirect_refused`): the client follows none.
"""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from runner.zoho.auth import DATA_CENTRES, ENVIRONMENTS, LOOPBACK, Target
from runner.zoho.errors import HostRefused

# Zoho hosts of a data centre besides the api, accounts and upload hosts auth.py builds.
# Bulk write results, API_NOTES §4.5: SDK8's sample download_url is on
# download-accl.zoho.com, the OAS example on download.zohocrm.com (seed 003's is relative,
# so it joins api_domain). Uploads, API_NOTES §1.1/§4.1: the v8 pages name upload.zoho.com
# and the fast hosts upload-accl.zoho.com/.eu/.in. download-accl.zoho.eu/.in are inferred
# from that upload-accl pattern [U]; other data centres document no download host.
EXTRA_HOSTS: Mapping[str, tuple[str, ...]] = {
    "us": (
        "download-accl.zoho.com",
        "download.zohocrm.com",
        "upload.zoho.com",
        "upload-accl.zoho.com",
    ),
    "eu": ("download-accl.zoho.eu", "upload-accl.zoho.eu"),
    "in": ("download-accl.zoho.in", "upload-accl.zoho.in"),
}
_PORTS = {"http": 80, "https": 443}
REDIRECTS = frozenset({301, 302, 303, 307, 308})  # the client follows none (SDK8 neither)
Origin = tuple[str, str, int]


def zoho_hosts(dc: str) -> frozenset[str]:
    """Every Zoho host of data centre `dc` (empty for one auth.DATA_CENTRES does not know)."""
    if dc not in DATA_CENTRES:
        return frozenset()
    accounts, tld, upload = DATA_CENTRES[dc]
    api = {f"{prefix}.zohoapis.{tld}" for prefix in ENVIRONMENTS.values()}  # API_NOTES §7.3
    own = {httpx.URL(accounts).host, httpx.URL(upload).host, f"content.zohoapis.{tld}"}
    return frozenset(api | own | set(EXTRA_HOSTS.get(dc, ())))


def _origin(url: httpx.URL) -> Origin:
    return url.scheme, url.host, url.port or _PORTS.get(url.scheme, 0)


def shown(url: httpx.URL) -> str:
    """The URL without user name, query or fragment: what an error message may quote."""
    return f"{url.scheme}://{url.netloc.decode('ascii')}{url.path}"


class HostPolicy:
    """The hosts one target's token may reach; `check` before every request."""

    def __init__(self, target: Target) -> None:
        roles = {"api": target.api_domain, "accounts": target.accounts_url}
        roles["upload"] = target.upload_domain
        self._own: dict[Origin, str] = {}
        for role, url in roles.items():
            source = target.sources.get(role) or f"the target's {role} URL"
            self._own.setdefault(_origin(httpx.URL(url)), source)
        self.local = httpx.URL(target.api_domain).host in LOOPBACK
        self._zoho = frozenset() if self.local else zoho_hosts(target.dc)
        self._dc = target.dc

    def check(self, method: str, url: str) -> httpx.URL:
        """The parsed URL if the token may go there; HostRefused (nothing sent) otherwise."""
        try:
            parsed = httpx.URL(url)
        except httpx.InvalidURL:
            raise HostRefused("HOST_REFUSED", f"{method}: a malformed URL was not sent") from None
        why = self._refusal(parsed)
        if why is not None:
            raise HostRefused(
                "HOST_REFUSED",
                f"{method} {shown(parsed)} was not sent: {why}; the access token goes only to "
                "the target's own Zoho hosts over https (or to this machine for a local target)",
            )
        return parsed

    def source(self, url: httpx.URL) -> str:
        """Where the URL's host came from, for error messages ("" when unknown)."""
        if _origin(url) in self._own:
            return self._own[_origin(url)]
        if url.host in self._zoho:
            return f"a Zoho host of data centre {self._dc}"
        return "this machine" if self.local and url.host in LOOPBACK else ""

    def _refusal(self, url: httpx.URL) -> str | None:
        host = url.host
        if url.userinfo:
            return f"the URL has a user name before its host {host}"
        if url.scheme not in _PORTS or not host:
            return f"{url.scheme or 'no'} scheme, {host or 'no'} host"
        if url.scheme == "http" and host not in LOOPBACK:
            return f"plain http to {host} (http only reaches this machine)"
        if _origin(url) in self._own or (self.local and host in LOOPBACK):
            return None
        if host in self._zoho:
            if url.scheme == "https" and url.port in (None, 443):
                return None
            return f"port {url.port} on {host}"
        where = "the simulator on this machine" if self.local else f"data centre {self._dc}"
        return f"{host} is not a host of this target ({where})"


def redirect_refused(resp: httpx.Response) -> HostRefused:
    """A 3xx names where it pointed; following it could carry the token to another host."""
    asked = resp.request.url
    try:
        where = shown(asked.join(resp.headers.get("Location", "")))
    except httpx.InvalidURL:
        where = "an unreadable Location"
    return HostRefused(
        "REDIRECT_NOT_FOLLOWED",
        f"{resp.request.method} {asked.path} on {asked.host} answered HTTP {resp.status_code}, "
        f"a redirect to {where}; redirects are not followed, so the token was not sent there",
        http_status=resp.status_code,
    )
