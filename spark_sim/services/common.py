"""Pieces shared by the fake HTTP services: fault middleware and a loopback-only listener."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable

from aiohttp import web

from spark_sim.tools import simenv

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def fault_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Injected http_delay / http_hang apply to every endpoint of every fake service."""
    while simenv.fault("http_hang") is not None:
        await asyncio.sleep(0.1)
    delay = simenv.fault("http_delay")
    if delay:
        await asyncio.sleep(float(delay))
    return await handler(request)


def loopback(host: str | None) -> str:
    """Everything listens on 127.0.0.1 only: 0.0.0.0 and friends are mapped to loopback (IPv4)."""
    del host
    return "127.0.0.1"


async def serve(app: web.Application, port: int) -> web.AppRunner:
    """Bind and listen now (callers decide when: vLLM only after it is 'ready')."""
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, loopback(None), port, reuse_address=True)
    await site.start()
    return runner


def pid() -> int:
    return os.getpid()
