"""Readiness probe of the diarizer add-on (not a Spark, so not part of the Spark client)."""

from __future__ import annotations

import asyncio

import aiohttp

PROBE_TIMEOUT = 5.0


async def probe_addon(
    session: aiohttp.ClientSession, base_url: str, token: str | None = None
) -> bool:
    """True when `GET <base_url>/health` answers 200 within PROBE_TIMEOUT seconds.

    With a token the probe sends `Authorization: Bearer <token>`, as the add-on then requires.
    """
    headers = {"Authorization": f"Bearer {token}"} if token else None
    try:
        async with (
            asyncio.timeout(PROBE_TIMEOUT),
            session.get(f"{base_url.rstrip('/')}/health", headers=headers) as response,
        ):
            return response.status == 200
    except (aiohttp.ClientError, TimeoutError):
        return False
