"""Pytest fixtures: `from spark_sim.fixtures import *` in a conftest.py.

sim_pair: an aug2026 pair in tmp_path; sim_pair_factory: start pairs with any PairConfig;
sim_pair_any_dialect: parametrised over both dialects. All request `socket_enabled` (HA harness).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from spark_sim.config import DIALECTS, PairConfig
from spark_sim.pair import SimPair

__all__ = ["sim_pair", "sim_pair_any_dialect", "sim_pair_factory"]

PairFactory = Callable[..., Awaitable[SimPair]]


@pytest.fixture
async def sim_pair_factory(tmp_path: Path, socket_enabled: None) -> AsyncIterator[PairFactory]:
    """`await factory(PairConfig(...))` -> started SimPair; all stopped at teardown."""
    pairs: list[SimPair] = []

    async def factory(config: PairConfig | None = None, **overrides: object) -> SimPair:
        cfg = config or PairConfig(**overrides)  # type: ignore[arg-type]
        pair = SimPair(tmp_path / f"sim{len(pairs)}", cfg)
        pairs.append(pair)
        await pair.start()
        return pair

    yield factory
    for pair in reversed(pairs):
        await pair.stop()


@pytest.fixture
async def sim_pair(sim_pair_factory: PairFactory) -> SimPair:
    """A started aug2026 pair with default (fast) settings."""
    return await sim_pair_factory(PairConfig())


@pytest.fixture(params=DIALECTS)
async def sim_pair_any_dialect(
    request: pytest.FixtureRequest, sim_pair_factory: PairFactory
) -> SimPair:
    """A started pair, once per launcher dialect."""
    return await sim_pair_factory(PairConfig(dialect=request.param))
