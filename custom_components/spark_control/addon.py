"""Readiness probe of the diarizer add-on (not a Spark, so not part of the Spark client)."""

from __future__ import annotations

import asyncio

import aiohttp

PROBE_TIMEOUT = 5.0


async def probe_addon(session: aiohttp.ClientSession, base_url: str) -> bool:
    """True when `GET <base_url>/health` answers 200 within PROBE_TIMEOUT seconds."""
    try:
        async with (
            asyncio.timeout(PROBE_TIMEOUT),
            session.get(f"{base_url.rstrip('/')}/health") as response,
        ):
            return response.status == 200
    except (aiohttp.ClientError, TimeoutError):
        return False
