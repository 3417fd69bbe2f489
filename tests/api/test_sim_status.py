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
    from spark_sim import PairConfig

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
    from spark_sim import PairConfig

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
    from spark_sim import PairConfig

    pair = await sim_pair_factory(PairConfig(initial_model=QWEN36))
    cluster = await cluster_factory(pair)
    status = await cluster.status()
    assert status.vllm.ready is True
    assert status.vllm.failure is None
    pair.faults.set("engine_death", True)
    status = await _wait(cluster, lambda s: s.vllm.ready is False)
    assert status.vllm.ready is False
    assert status.nodes["head"].reachable
    # The root cause from the container's log, not the generic EngineDeadError line.
    assert status.vllm.failure == "RuntimeError: CUDA error: unspecified launch failure"


async def test_services_can_live_on_the_head(
    sim_pair_factory: Any, cluster_factory: ClusterFactory
) -> None:
    from spark_sim import PairConfig

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


async def test_a_hung_gpu_costs_only_the_gpu_figures(
    sim_pair: Any, cluster_factory: ClusterFactory
) -> None:
    """A wedged GPU hangs nvidia-smi; the probe's per-part limit keeps memory and containers."""
    cluster = await cluster_factory(sim_pair, status_timeout=3)
    sim_pair.faults.set("gpu_hang", True)
    status = await cluster.status()
    for node in status.nodes.values():
        assert node.reachable is True
        assert node.gpu is None
        assert node.memory is not None
    assert status.services["parakeet"].container_state == "running"
    assert status.checkout is not None
    sim_pair.faults.clear("gpu_hang")
    status = await cluster.status()
    assert all(node.gpu is not None for node in status.nodes.values())


async def test_one_ssh_command_per_node_and_poll(
    sim_pair: Any, cluster_factory: ClusterFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GPU, memory and container state come from a single probe per host, not one command each."""
    from custom_components.spark_control.api.connection import HostConnection

    cluster = await cluster_factory(sim_pair)
    await cluster.status()  # the first poll also detects the checkout
    names: list[str] = []
    original = HostConnection.run

    async def counting(self: HostConnection, command: str, **kwargs: Any) -> Any:
        names.append(kwargs["name"])
        return await original(self, command, **kwargs)

    monkeypatch.setattr(HostConnection, "run", counting)
    status = await cluster.status()
    assert names == ["status probe", "status probe"]
    assert status.services["magpie"].container_state == "running"
    assert status.nodes["worker"].gpu is not None


async def test_a_removed_container_reads_missing(
    sim_pair: Any, cluster_factory: ClusterFactory
) -> None:
    cluster = await cluster_factory(sim_pair)
    code, _, err = await sim_pair.run("worker", "docker rm -f magpie")
    assert code == 0, err
    status = await cluster.status()
    assert status.services["magpie"].container_state == "missing"
    assert status.services["parakeet"].container_state == "running"


async def test_a_failed_probe_leaves_node_figures_unknown(
    sim_pair: Any, cluster_factory: ClusterFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Unit-level: the probe command itself fails (timeout); HTTP figures still arrive."""
    from custom_components.spark_control.api import SparkTimeoutError
    from custom_components.spark_control.api.connection import HostConnection

    cluster = await cluster_factory(sim_pair)
    await _wait(cluster, lambda s: all(service.ready for service in s.services.values()))

    async def failing(self: HostConnection, command: str, **kwargs: Any) -> Any:
        raise SparkTimeoutError(kwargs["name"], kwargs["timeout"])

    monkeypatch.setattr(HostConnection, "run", failing)
    status = await cluster.status()
    assert all(node.gpu is None and node.memory is None for node in status.nodes.values())
    assert status.services["parakeet"].container_state is None
    assert status.services["parakeet"].ready is True
    from custom_components.spark_control.api.status import service_status

    magpie = cluster.config.magpie
    assert magpie is not None
    single = await service_status(cluster._ctx, magpie)
    assert single.container_state is None
    assert single.ready is True


async def test_light_poll_skips_gpu_and_memory(sim_pair: Any, cluster: SparkCluster) -> None:
    """node_figures=False: reachability, containers, vLLM and services; no GPU, no memory."""
    full = await cluster.status()
    light = await cluster.status(node_figures=False)
    for name in ("head", "worker"):
        assert full.nodes[name].gpu is not None
        assert light.nodes[name].reachable is True
        assert light.nodes[name].gpu is None
        assert light.nodes[name].memory is None
    assert light.services["parakeet"].container_state == full.services["parakeet"].container_state
    assert light.services["parakeet"].container_state == "running"
    await sim_pair.worker.set_reachable(False)
    light = await cluster.status(node_figures=False)
    assert light.nodes["worker"].reachable is False
    assert light.services["parakeet"].container_state is None  # hosted on the worker


@pytest.mark.parametrize(
    ("log", "reason"),
    [
        (
            "(APIServer pid=7) ERROR 08-01 10:00:00 [core.py:710] RuntimeError: CUDA error: x\n"
            "vllm.v1.engine.exceptions.EngineDeadError: EngineCore encountered an issue.",
            "RuntimeError: CUDA error: x",
        ),
        (
            "INFO ok\nvllm.v1.engine.exceptions.EngineDeadError: EngineCore encountered an issue.",
            "vllm.v1.engine.exceptions.EngineDeadError: EngineCore encountered an issue.",
        ),
        ("", "the vLLM engine stopped answering (/health is not 200)"),
        (
            "Error response from daemon: No such container: vllm_node",
            "the vLLM engine stopped answering (/health is not 200)",
        ),
    ],
)
def test_engine_failure_names_the_root_cause(log: str, reason: str) -> None:
    from custom_components.spark_control.api.status import engine_failure

    assert engine_failure(log) == reason
