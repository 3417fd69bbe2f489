"""Fixtures and helpers for the simulator's own tests."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import asyncssh
import pytest

from spark_sim.fixtures import *  # noqa: F403
from spark_sim.pair import SimPair


@contextlib.asynccontextmanager
async def ssh(
    pair: SimPair, node: str = "head", key_path: Path | None = None
) -> AsyncIterator[asyncssh.SSHClientConnection]:
    """An asyncssh client connection to a node, every file-backed option given explicitly."""
    key = asyncssh.read_private_key(str(key_path or pair.client_key_path))
    conn = await asyncssh.connect(
        "127.0.0.1",
        port=pair.nodes[node].ssh_port,
        username=pair.user,
        client_keys=[key],
        known_hosts=None,
        config=[],
        agent_path=None,
        password=None,
        kbdint_auth=False,
        connect_timeout=10,
    )
    try:
        yield conn
    finally:
        conn.close()
        await conn.wait_closed()


async def run(
    conn: asyncssh.SSHClientConnection, command: str, timeout: float = 60
) -> tuple[int, str, str]:
    """Run a command; (exit status, stdout, stderr)."""
    result = await asyncio.wait_for(conn.run(command), timeout)
    out = result.stdout if isinstance(result.stdout, str) else (result.stdout or b"").decode()
    err = result.stderr if isinstance(result.stderr, str) else (result.stderr or b"").decode()
    return result.exit_status or 0, out, err


async def eventually(
    check: Callable[[], Awaitable[bool]], timeout: float = 30, step: float = 0.1
) -> None:
    """Poll until check() is true (bounded); fail with a clear message otherwise."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await check():
        if loop.time() > deadline:
            pytest.fail(f"condition not met within {timeout}s: {check.__name__}")
        await asyncio.sleep(step)


async def containers(pair: SimPair, node: str) -> list[str]:
    """Names of running containers on a node."""
    code, out, _ = await pair.run(node, "docker ps --format '{{.Names}}'")
    assert code == 0
    return out.split()


async def port_open(port: int) -> bool:
    try:
        _, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        return False
    writer.close()
    await writer.wait_closed()
    return True
