"""`ZCRM_STATE_URL`: the PostgreSQL journal's address, and how it is shown without its password.

The URL is read from the environment only (never a flag: shells keep flags in their
history) and never recorded: runs store the state dir, not the URL. Every message, the
`runs` header and every report show `mask_url(url)`: `postgresql://ops:***@db/zcrm`.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from runner.errors import UsageError

STATE_URL = "ZCRM_STATE_URL"
SCHEMES = ("postgresql", "postgres")  # libpq's two URI schemes
MASK = "***"


def state_url(environ: Mapping[str, str]) -> str | None:
    """The PostgreSQL URL the environment names, or None for the SQLite journal."""
    url = environ.get(STATE_URL, "").strip()
    if not url:
        return None
    if urlsplit(url).scheme.lower() not in SCHEMES:  # not shown: it may be a password
        raise UsageError(
            f"{STATE_URL} is not a PostgreSQL URL; give postgresql://USER:PASSWORD@HOST:PORT/"
            "DATABASE, or unset it to keep the journal in --state-dir"
        )
    return url


def mask_url(url: str) -> str:
    """The URL with its password (in the user info or a `password` parameter) as ***."""
    parts = urlsplit(url)
    netloc = parts.netloc
    userinfo, at, hosts = netloc.rpartition("@")
    if at and ":" in userinfo:
        netloc = f"{userinfo.partition(':')[0]}:{MASK}@{hosts}"
    query = parse_qsl(parts.query, keep_blank_values=True)
    if any(k.lower() == "password" for k, _ in query):
        masked = [(k, MASK if k.lower() == "password" else v) for k, v in query]
        parts = parts._replace(query=urlencode(masked, safe="*"))
    return urlunsplit(parts._replace(netloc=netloc))


def url_secrets(url: str) -> tuple[str, ...]:
    """The password as the URL spells it and as libpq reads it (percent-decoded)."""
    parts = urlsplit(url)
    userinfo, at, _ = parts.netloc.rpartition("@")
    found = [userinfo.partition(":")[2]] if at and ":" in userinfo else []
    found += [v for k, v in parse_qsl(parts.query) if k.lower() == "password"]
    forms = {form for raw in found for form in (raw, unquote(raw)) if form}
    return tuple(sorted(forms, key=len, reverse=True))


def scrub_url_secrets(text: str, url: str) -> str:
    """`text` (a driver's message, say) with the URL's password replaced by ***."""
    for secret in url_secrets(url):
        text = text.replace(secret, MASK)
    return text
