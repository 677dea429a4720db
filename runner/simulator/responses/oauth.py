"""`POST /oauth/v2/token`: the refresh_token grant (API_NOTES §7.1).

Parameters come as a form body (the SDK) or as query parameters (the docs). Failures
answer `{"error": ...}` with HTTP 200, the usual (undocumented) status [U] §7.1/§11.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.responses import Response

from runner.simulator.auth import FULL_SCOPES, TOKEN_LIFETIME
from runner.simulator.responses.base import Ctx, json_response
from runner.simulator.seed import (
    READONLY_ID,
    SIM_CLIENT_ID,
    SIM_CLIENT_SECRET,
    SIM_READONLY_REFRESH_TOKEN,
    SIM_REFRESH_TOKEN,
)


async def token(ctx: Ctx) -> Response:
    params = dict(ctx.request.query_params)
    raw = await ctx.body()
    if raw:
        params.update(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
    if params.get("grant_type") != "refresh_token":
        return json_response({"error": "unsupported_grant_type"})
    if params.get("client_id") != SIM_CLIENT_ID or params.get("client_secret") != SIM_CLIENT_SECRET:
        return json_response({"error": "invalid_client"})
    users = {SIM_REFRESH_TOKEN: ctx.org.admin.id, SIM_READONLY_REFRESH_TOKEN: READONLY_ID}
    user_id = users.get(params.get("refresh_token", ""))
    if user_id is None:
        return json_response({"error": "invalid_code"})  # API_NOTES §7.1 (Dv2.1 token-validity)
    issued = ctx.tokens.issue(user_id, FULL_SCOPES, ctx.now)
    return json_response(
        {
            "access_token": issued.value,
            "scope": " ".join(issued.scopes),
            "api_domain": ctx.base_url(),
            "token_type": "Bearer",
            "expires_in": int(TOKEN_LIFETIME),
        }
    )
