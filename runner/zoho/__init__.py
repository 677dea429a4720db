"""The client side of the Zoho wire: one httpx.AsyncClient, auth, errors, API families."""

from __future__ import annotations
