"""Fixtures for relay_lib tests in the integration env: fake servers on 127.0.0.1, closed after."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from tests.relay.fakes import Servers


@pytest.fixture
async def servers(socket_enabled: None) -> AsyncIterator[Servers]:
    """Start fake services with `await servers.start(app)`; all are stopped after the test."""
    started = Servers()
    yield started
    await started.close()


@pytest.fixture
async def session(socket_enabled: None) -> AsyncIterator[aiohttp.ClientSession]:
    """One client session per test, closed after it."""
    async with aiohttp.ClientSession() as client:
        yield client
