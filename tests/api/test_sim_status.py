"""status() against the simulator: one typed snapshot, partial failures stay partial."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from custom_components.spark_control.api import ClusterStatus, ServiceConfig, SparkCluster

from .conftest import ClusterFactory, cluster_config

QWEN36 = "RedHatAI/Qwen3.6-35B-A3B-NVFP4"


async def _wait(cluster: SparkCluster, done: Callable[[ClusterStatus], bool]) -> ClusterStatus:
    """Poll status() until `done` (the fakes react to faults and start-ups asynchronously)."""
    for _ in range(100):
        status = await cluster.status()
        if done(status):
            return status
        await asyncio.sleep(0.1)
    return status


@pytest.mark.parametrize("dialect", ["jan2026", "aug2026"])
@pytest.mark.parametrize("kv_metric", ["vllm:kv_cache_usage_perc", "vllm:gpu_cache_usage_perc"])
async def test_full_snapshot(
    sim_pair_factory: Any, cluster_factory: ClusterFactory, dialect: str, kv_metric: str
) -> None:
    from tests.spark_sim import PairConfig

    pair = await sim_pair_factory(
        PairConfig(dialect=dialect, initial_model=QWEN36, kv_metric=kv_metric)
    )
    cluster = await cluster_factory(pair)
    status = await cluster.status()
    head, worker = status.nodes["head"], status.nodes["worker"]
    assert head.reachable
    assert worker.reachable
    assert head.gpu is not None
    assert head.gpu.name == "NVIDIA GB10"
    assert head.memory is not None
    assert head.memory.total_bytes > head.memory.available_bytes > 0
    assert status.vllm.ready is True
    assert status.vllm.model == QWEN36
    assert isinstance(status.vllm.max_model_len, int)
    assert status.vllm.kv_cache_usage is not None
    assert 0.0 <= status.vllm.kv_cache_usage <= 1.0
    assert status.vllm.requests_running is not None
    assert status.vllm.tokens_per_second is None  # needs two polls
    assert status.checkout is not None
    assert status.checkout.dialect == dialect
    assert len(status.checkout.commit) == 40
    if dialect == "aug2026":
        assert {"solo", "daemon_exec"} <= status.checkout.features
    else:
        assert "daemon_exec" not in status.checkout.features
        assert "solo" not in status.checkout.features
    assert status.services["parakeet"].container_state == "running"
    assert status.services["magpie"].container_state == "running"
    await asyncio.sleep(1.2)
    second = await cluster.status()
    assert second.vllm.tokens_per_second is not None
    assert second.vllm.tokens_per_second >= 0


async def test_idle_cluster_reports_not_ready(cluster: SparkCluster) -> None:
    status = await cluster.status()
    assert status.vllm.ready is False
    assert status.vllm.model is None
    assert status.vllm.tokens_per_second is None


async def test_unreachable_worker_leaves_the_rest_intact(
    sim_pair: Any, cluster: SparkCluster
) -> None:
    await sim_pair.worker.set_reachable(False)
    status = await cluster.status()
    assert status.nodes["worker"].reachable is False
    assert status.nodes["worker"].gpu is None
    assert status.nodes["head"].reachable is True
    assert status.nodes["head"].memory is not None
    assert status.services["parakeet"].container_state is None
    assert status.checkout is not None


async def test_hanging_http_marks_only_http_fields_unknown(
    sim_pair_factory: Any, cluster_factory: ClusterFactory
) -> None:
    from tests.spark_sim import PairConfig

    pair = await sim_pair_factory(PairConfig(initial_model=QWEN36))
    cluster = await cluster_factory(pair, status_timeout=2)
    pair.faults.set("http_hang", True)
    status = await cluster.status()
    assert status.vllm.ready is None
    assert status.vllm.model is None
    assert status.nodes["head"].reachable is True
    assert status.nodes["head"].memory is not None
    assert status.checkout is not None
    pair.faults.clear("http_hang")
    pair.faults.set("http_delay", 0.1)
    status = await cluster.status()
    assert status.vllm.ready is True


async def test_engine_death_means_not_ready(
    sim_pair_factory: Any, cluster_factory: ClusterFactory
) -> None:
    from tests.spark_sim import PairConfig

    pair = await sim_pair_factory(PairConfig(initial_model=QWEN36))
    cluster = await cluster_factory(pair)
    pair.faults.set("engine_death", True)
    status = await _wait(cluster, lambda s: s.vllm.ready is False)
    assert status.vllm.ready is False
    assert status.nodes["head"].reachable


async def test_services_can_live_on_the_head(
    sim_pair_factory: Any, cluster_factory: ClusterFactory
) -> None:
    from tests.spark_sim import PairConfig

    pair = await sim_pair_factory(PairConfig(parakeet_node="head", magpie_node="head"))
    config = cluster_config(
        pair,
        parakeet=ServiceConfig(
            key="parakeet",
            host="127.0.0.1",
            port=pair.parakeet_port,
            container="parakeet",
            ssh_node="head",
        ),
        magpie=None,
        worker=None,
    )
    cluster = await cluster_factory(pair, config=config)
    status = await _wait(cluster, lambda s: s.services["parakeet"].ready is True)
    assert set(status.nodes) == {"head"}
    assert status.services["parakeet"].container_state == "running"
    assert status.services["parakeet"].ready is True
    assert "magpie" not in status.services
    assert cluster.service_base_url("magpie") is None
    assert cluster.service_base_url("parakeet") == f"http://127.0.0.1:{pair.parakeet_port}"
    assert cluster.vllm_base_url.endswith(f":{pair.vllm_port}/v1")
