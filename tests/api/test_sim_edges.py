"""Edge paths against the simulator: missing checkout, unreachable nodes, uncontrolled services."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from custom_components.spark_control.api import (
    DownloadProgress,
    DownloadState,
    InvalidInputError,
    ServiceConfig,
    SparkConnectionError,
    SwapState,
    UpdateError,
)
from custom_components.spark_control.api.net import port_open

from .conftest import ClusterFactory, cluster_config

QWEN36 = "RedHatAI/Qwen3.6-35B-A3B-NVFP4"


async def test_port_open(socket_enabled: None) -> None:
    server = await asyncio.start_server(lambda _r, w: w.close(), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        assert await port_open("127.0.0.1", port)
    finally:
        server.close()
        await server.wait_closed()
    assert not await port_open("127.0.0.1", port)


async def test_missing_checkout(sim_pair: Any, cluster_factory: ClusterFactory) -> None:
    config = cluster_config(sim_pair, checkout_dir="no-such-checkout")
    cluster = await cluster_factory(sim_pair, config=config)
    with pytest.raises(UpdateError) as err:
        await cluster.check_update()
    assert err.value.reason == "git_failed"
    lines: list[str] = []
    with pytest.raises(UpdateError) as err:
        await cluster.apply_update(lines.append)
    assert err.value.reason == "git_failed"
    status = await cluster.status()
    assert status.checkout is None
    assert status.nodes["head"].reachable


async def test_swap_fails_cleanly_when_the_head_is_down(
    sim_pair: Any, cluster_factory: ClusterFactory
) -> None:
    cluster = await cluster_factory(sim_pair)
    await sim_pair.head.set_reachable(False)
    with pytest.raises(SparkConnectionError):
        await cluster.test_connection()
    with pytest.raises(SparkConnectionError):
        await cluster.swap_model(QWEN36, timeout=60)
    assert cluster.swap_progress.state is SwapState.FAILED
    assert cluster.swap_progress.error
    assert not cluster.swap_running


async def test_solo_swap_ignores_an_unreachable_worker(
    sim_pair_factory: Any, cluster_factory: ClusterFactory
) -> None:
    from spark_sim import PairConfig

    pair = await sim_pair_factory(PairConfig(vllm_load_seconds=1.0))
    cluster = await cluster_factory(pair)
    await pair.worker.set_reachable(False)
    result = await cluster.swap_model(QWEN36, mode="solo", timeout=120)
    assert result.state is SwapState.READY


async def test_service_without_ssh_node(sim_pair: Any, cluster_factory: ClusterFactory) -> None:
    parakeet = ServiceConfig("parakeet", "127.0.0.1", sim_pair.parakeet_port, "parakeet", None)
    cluster = await cluster_factory(sim_pair, config=cluster_config(sim_pair, parakeet=parakeet))
    with pytest.raises(InvalidInputError, match="SSH node"):
        await cluster.service_action("parakeet", "restart")
    status = await cluster.status()
    assert status.services["parakeet"].container_state is None


async def test_download_callback_errors_are_contained(
    sim_pair: Any, cluster_factory: ClusterFactory
) -> None:
    cluster = await cluster_factory(sim_pair)

    def broken(_progress: DownloadProgress) -> None:
        raise RuntimeError("UI bug")

    result = await cluster.download_model(QWEN36, "solo", on_progress=broken)
    assert result.state is DownloadState.COMPLETED
