"""Access tokens (user, scopes, expiry on the clock) and scope checks.

Scope grammar `service.scope[.module].OPERATION`; ALL covers every operation and a scope
without a module covers every module (API_NOTES §7.4). Tokens live 3600 s (§7.2).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from runner.simulator import exceptions as e

TOKEN_LIFETIME = 3600.0  # API_NOTES §7.1: expires_in 3600
FULL_SCOPES = (
    "ZohoCRM.modules.ALL",
    "ZohoCRM.settings.ALL",
    "ZohoCRM.users.ALL",
    "ZohoCRM.org.ALL",
    "ZohoCRM.mass_update.UPDATE",
    "ZohoCRM.mass_update.READ",
    "ZohoCRM.mass_delete.DELETE",
    "ZohoCRM.mass_delete.READ",
    "ZohoCRM.bulk.ALL",
    "ZohoFiles.files.ALL",
)
PREFIX = "Zoho-oauthtoken "  # API_NOTES §1.2


@dataclass(frozen=True)
class Token:
    value: str
    user_id: str
    scopes: tuple[str, ...]
    expires_at: float | None  # None: the fixed token `sim serve` prints never expires


def covers(granted: str, required: str) -> bool:
    """Does one granted scope cover one required scope? (case-insensitive, API_NOTES §7.4)"""
    g = granted.lower().split(".")
    r = required.lower().split(".")
    if len(g) < 2 or len(r) < 2:
        return False
    g_path, g_op = g[:-1], g[-1]
    r_path, r_op = r[:-1], r[-1]
    if r_path[: len(g_path)] != g_path:
        return False
    return g_op in ("all", r_op) or (g_op == "write" and r_op in ("create", "update", "delete"))


def module_scope_name(module: str) -> str:
    """Scopes name modules in lower case without underscores (seed 000: `pricebooks`)."""
    return module.lower().replace("_", "")


class Tokens:
    """Issued tokens, deterministic from the org seed and a counter."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.by_value: dict[str, Token] = {}
        self._count = 0

    def fixed(self, value: str, user_id: str) -> Token:
        token = Token(value, user_id, FULL_SCOPES, None)
        self.by_value[value] = token
        return token

    def issue(
        self, user_id: str, scopes: Iterable[str], now: float, lifetime: float = TOKEN_LIFETIME
    ) -> Token:
        """A new token that expires `lifetime` seconds of the clock after `now`."""
        self._count += 1
        digest = hashlib.sha256(f"zcrm-sim:{self.seed}:{self._count}".encode()).hexdigest()
        token = Token(f"1000.{digest[:32]}.{digest[32:64]}", user_id, tuple(scopes), now + lifetime)
        self.by_value[token.value] = token
        return token

    def check(self, header: str | None, now: float) -> Token:
        """The token of an Authorization header; INVALID_TOKEN 401 if missing/unknown/expired."""
        if not header or not header.startswith(PREFIX):
            raise e.SimInvalidToken(details={})
        token = self.by_value.get(header[len(PREFIX) :].strip())
        if token is None or (token.expires_at is not None and now >= token.expires_at):
            raise e.SimInvalidToken(details={})
        return token


def require(token: Token, *alternatives: str) -> None:
    """OAUTH_SCOPE_MISMATCH 401 unless some granted scope covers one alternative."""
    for required in alternatives:
        if any(covers(g, required) for g in token.scopes):
            return
    raise e.SimOAuthScopeMismatch(details={"required_scopes": list(alternatives)})


def default_token(seed: int) -> str:
    """The deterministic fixed token `create_app` uses when none is given."""
    return "1000.sim." + hashlib.sha256(f"zcrm-sim-admin:{seed}".encode()).hexdigest()[:32]
