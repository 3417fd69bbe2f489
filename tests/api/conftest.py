"""Fixtures: a SparkCluster wired to the simulated pair (spark_sim)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from custom_components.spark_control.api import (
    ClusterConfig,
    Credentials,
    HostConfig,
    ServiceConfig,
    SparkCluster,
)
from spark_sim.fixtures import *  # noqa: F403

ClusterFactory = Callable[..., Awaitable[SparkCluster]]


def pinned(pair: Any) -> dict[str, str]:
    """known_hosts dict for both simulated nodes."""
    return {
        f"{node.host}:{node.ssh_port}": node.host_public_key for node in (pair.head, pair.worker)
    }


def cluster_config(pair: Any, **overrides: Any) -> ClusterConfig:
    """A ClusterConfig pointing at the simulated pair."""
    values: dict[str, Any] = {
        "head": HostConfig(pair.head.host, pair.head.ssh_port, pair.user),
        "worker": HostConfig(pair.worker.host, pair.worker.ssh_port, pair.user),
        "vllm_port": pair.vllm_port,
        "parakeet": ServiceConfig(
            key="parakeet",
            host="127.0.0.1",
            port=pair.parakeet_port,
            container="parakeet",
            ssh_node="worker",
            health_path="/v1/models",
        ),
        "magpie": ServiceConfig(
            key="magpie",
            host="127.0.0.1",
            port=pair.magpie_port,
            container="magpie",
            ssh_node="worker",
            health_path="/v1/health/ready",
        ),
    }
    values.update(overrides)
    return ClusterConfig(**values)


def credentials(pair: Any, known_hosts: dict[str, str] | None = None) -> Credentials:
    """The simulator's authorised key plus pinned host keys."""
    return Credentials(
        private_key=Path(pair.client_key_path).read_text(),
        known_hosts=pinned(pair) if known_hosts is None else known_hosts,
    )


@pytest.fixture
async def http_session(socket_enabled: None) -> AsyncIterator[aiohttp.ClientSession]:
    """A plain aiohttp session (HA passes its own)."""
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def cluster_factory(
    http_session: aiohttp.ClientSession,
) -> AsyncIterator[ClusterFactory]:
    """Build SparkClusters for a pair; all are closed after the test."""
    made: list[SparkCluster] = []

    async def factory(
        pair: Any,
        *,
        config: ClusterConfig | None = None,
        creds: Credentials | None = None,
        **kwargs: Any,
    ) -> SparkCluster:
        kwargs.setdefault("command_timeout", 15)
        kwargs.setdefault("status_timeout", 3)
        kwargs.setdefault("connect_timeout", 5)
        cluster = SparkCluster(
            config or cluster_config(pair),
            creds or credentials(pair),
            session=http_session,
            **kwargs,
        )
        cluster._swap.poll_interval = 0.05
        cluster._download.poll_interval = 0.2
        made.append(cluster)
        return cluster

    yield factory
    for cluster in made:
        await cluster.close()


@pytest.fixture
async def cluster(sim_pair: Any, cluster_factory: ClusterFactory) -> SparkCluster:
    """A SparkCluster on the default (aug2026) simulated pair."""
    return await cluster_factory(sim_pair)
