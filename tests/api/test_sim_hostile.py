"""Hostile inputs against the simulator: every entry point refuses them and nothing runs."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from custom_components.spark_control.api import (
    InvalidInputError,
    SparkCluster,
    SwapState,
)

from .conftest import ClusterFactory, cluster_config, credentials
from .hostile import HOSTILE, MARKER


def _markers(pair: Any) -> list[Path]:
    found = [Path(MARKER)] if Path(MARKER).exists() else []
    for node in (pair.head, pair.worker):
        found += list(Path(node.home).rglob("spark_control_pwned"))
    return found


async def test_hostile_inputs_never_reach_a_shell(
    sim_pair: Any, cluster: SparkCluster, http_session: Any
) -> None:
    Path(MARKER).unlink(missing_ok=True)
    await cluster.catalog.load()
    base = cluster_config(sim_pair)
    refused = 0
    for value in HOSTILE:
        with pytest.raises(InvalidInputError):
            await cluster.swap_model(value)
        with pytest.raises(InvalidInputError):
            await cluster.download_model(value, "solo")
        with pytest.raises(InvalidInputError):
            await cluster.download_model("Org/Model", "solo", revision=value)
        with pytest.raises(InvalidInputError):
            await cluster.catalog.add(value)
        with pytest.raises(InvalidInputError):
            await cluster.catalog.add("Org/Model", key=value)
        configs = [
            replace(base, checkout_dir=value),
            replace(base, head=replace(base.head, host=value)),
            replace(base, head=replace(base.head, username=value)),
            replace(base, parakeet=replace(base.parakeet, container=value)),
            replace(base, magpie=replace(base.magpie, health_path=value)),
        ]
        for config in configs:
            with pytest.raises(InvalidInputError):
                SparkCluster(config, credentials(sim_pair), session=http_session)
        with pytest.raises(InvalidInputError):
            await SparkCluster.fetch_host_key(value, 22)
        refused += 1
    assert refused == len(HOSTILE)
    assert cluster.swap_progress.state is SwapState.IDLE
    assert cluster.download_progress is None
    # The connection itself works: the refusals were validation, not an outage.
    assert await cluster.machine_id() == sim_pair.head.machine_id
    assert _markers(sim_pair) == []


async def test_control_payload_would_have_run(sim_pair: Any, cluster: SparkCluster) -> None:
    """The marker check can fail: the same payload, run on purpose, does leave the marker."""
    Path(MARKER).unlink(missing_ok=True)
    head = cluster._ctx.head
    await head.run(f"echo org/model; touch {MARKER}", name="control", timeout=10)
    assert _markers(sim_pair)
    Path(MARKER).unlink(missing_ok=True)
    for node in (sim_pair.head, sim_pair.worker):
        for path in Path(node.home).rglob("spark_control_pwned"):
            path.unlink()


async def test_quoted_value_reaches_the_remote_shell_literally(
    sim_pair: Any, cluster: SparkCluster
) -> None:
    from custom_components.spark_control.api import commands

    head = cluster._ctx.head
    for value in HOSTILE:
        if "\x00" in value:
            continue
        result = await head.run(commands.join(["printf", "%s", value]), name="echo", timeout=10)
        assert result.stdout == value
    assert _markers(sim_pair) == []


async def test_cluster_factory_config(sim_pair: Any, cluster_factory: ClusterFactory) -> None:
    config = cluster_config(sim_pair)
    with pytest.raises(InvalidInputError):
        await cluster_factory(sim_pair, config=replace(config, vllm_port=0))
    with pytest.raises(InvalidInputError):
        await cluster_factory(
            sim_pair,
            config=replace(config, worker=None),  # magpie/parakeet still name the worker
        )
