"""State flow: availability per Spark and service, log lines once, credentials, poll rate."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from datetime import timedelta
from typing import Any
from unittest.mock import MagicMock

import pytest
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_OFF, STATE_ON, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.spark_control import coordinator as coordinator_module
from custom_components.spark_control.api import (
    ClusterStatus,
    HostKeyChangedError,
    NodeProblem,
    NodeStatus,
    SwapProgress,
    SwapState,
    UpdateInfo,
    VllmStatus,
)
from custom_components.spark_control.const import DOMAIN

from .conftest import cluster_status

HEAD_SENSOR = "sensor.spark_head_gpu_temperature"
WORKER_SENSOR = "sensor.spark_worker_gpu_temperature"
SELECT = "select.vllm_cluster_model"
THROUGHPUT = "sensor.vllm_cluster_generation_throughput"
KV_CACHE = "sensor.vllm_cluster_kv_cache_usage"
VLLM_STATE = "sensor.vllm_cluster_engine_state"


def _down(
    status: ClusterStatus, node: str, problem: NodeProblem = NodeProblem.UNREACHABLE
) -> ClusterStatus:
    nodes = dict(status.nodes)
    nodes[node] = NodeStatus(node, False, problem=problem, detail=f"Cannot reach {node}")
    return replace(status, nodes=nodes)


async def _poll(hass: HomeAssistant, entry: Any, mock_cluster: MagicMock, status: Any) -> None:
    mock_cluster.status.return_value = status
    await entry.runtime_data.status.async_refresh()
    await hass.async_block_till_done()


def _state(hass: HomeAssistant, entity_id: str) -> str:
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return state.state


async def test_head_unreachable(
    hass: HomeAssistant, init_integration: Any, mock_cluster: MagicMock
) -> None:
    """The head's sensors and everything vLLM go; the worker and its services stay."""
    await _poll(hass, init_integration, mock_cluster, _down(cluster_status(), "head"))
    for entity_id in (HEAD_SENSOR, SELECT, THROUGHPUT, KV_CACHE, VLLM_STATE):
        assert _state(hass, entity_id) == STATE_UNAVAILABLE, entity_id
    assert _state(hass, "binary_sensor.vllm_cluster_ready") == STATE_UNAVAILABLE
    assert _state(hass, "binary_sensor.spark_head_reachable") == STATE_OFF
    assert _state(hass, WORKER_SENSOR) == "47.0"
    assert _state(hass, "switch.parakeet_container") == STATE_ON  # hosted on the worker
    assert _state(hass, "binary_sensor.diarizer_add_on_ready") == STATE_ON
    assert _state(hass, "sensor.vllm_cluster_swap_state") == "idle"  # our own activity


async def test_worker_unreachable(
    hass: HomeAssistant, init_integration: Any, mock_cluster: MagicMock
) -> None:
    """The worker's sensors and worker-hosted services go; a cluster model cannot load."""
    await _poll(hass, init_integration, mock_cluster, _down(cluster_status(), "worker"))
    for entity_id in (
        WORKER_SENSOR,
        "switch.parakeet_container",
        "switch.magpie_container",
        "binary_sensor.parakeet_ready",
        "button.magpie_restart",
    ):
        assert _state(hass, entity_id) == STATE_UNAVAILABLE, entity_id
    assert _state(hass, "binary_sensor.spark_worker_reachable") == STATE_OFF
    assert _state(hass, HEAD_SENSOR) == "55.0"
    assert _state(hass, SELECT) == "RedHatAI/Qwen3.6-35B-A3B-NVFP4"
    with pytest.raises(HomeAssistantError, match="worker Spark is unreachable") as err:
        await hass.services.async_call(
            "select",
            "select_option",
            {"entity_id": SELECT, "option": "Qwen/Qwen2.5-72B-Instruct"},
            blocking=True,
        )
    assert err.value.translation_key == "worker_unreachable"
    mock_cluster.swap_model.assert_not_called()


async def test_vllm_down_on_a_reachable_head(
    hass: HomeAssistant, init_integration: Any, mock_cluster: MagicMock
) -> None:
    """vLLM down is information: the state says so, metrics are unavailable, never 0."""
    status = replace(
        cluster_status(), vllm=VllmStatus(ready=False, tokens_per_second=0.0, kv_cache_usage=0.0)
    )
    await _poll(hass, init_integration, mock_cluster, status)
    assert _state(hass, VLLM_STATE) == "down"
    assert _state(hass, THROUGHPUT) == STATE_UNAVAILABLE
    assert _state(hass, KV_CACHE) == STATE_UNAVAILABLE
    assert _state(hass, SELECT) == "unknown"
    assert _state(hass, "binary_sensor.vllm_cluster_ready") == STATE_OFF
    await _poll(hass, init_integration, mock_cluster, cluster_status())
    assert _state(hass, VLLM_STATE) == "ready"
    assert _state(hass, THROUGHPUT) == "123.4"


async def test_both_unreachable_fails_the_poll(
    hass: HomeAssistant,
    init_integration: Any,
    mock_cluster: MagicMock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """No Spark answers: the coordinator fails, every polled entity is unavailable."""
    both = _down(_down(cluster_status(), "head"), "worker")
    await _poll(hass, init_integration, mock_cluster, both)
    coordinator = init_integration.runtime_data.status
    assert not coordinator.last_update_success
    assert coordinator.last_exception.translation_key == "cluster_unreachable"
    assert _state(hass, "binary_sensor.spark_head_reachable") == STATE_UNAVAILABLE
    assert _state(hass, HEAD_SENSOR) == STATE_UNAVAILABLE
    assert _state(hass, "sensor.vllm_cluster_swap_state") == "idle"
    await _poll(hass, init_integration, mock_cluster, both)
    assert caplog.text.count("Error fetching spark_control status data") == 1
    await _poll(hass, init_integration, mock_cluster, cluster_status())
    assert _state(hass, HEAD_SENSOR) == "55.0"
    assert caplog.text.count("Fetching spark_control status data recovered") == 1


async def test_loss_and_return_are_logged_once(
    hass: HomeAssistant,
    init_integration: Any,
    mock_cluster: MagicMock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """One warning when a Spark or service goes, one info line when it is back; not per poll."""
    caplog.set_level(logging.INFO, "custom_components.spark_control")
    caplog.clear()
    worker_down = _down(cluster_status(), "worker")
    for _ in range(3):
        await _poll(hass, init_integration, mock_cluster, worker_down)
    for _ in range(2):
        await _poll(hass, init_integration, mock_cluster, cluster_status())
    ours = [
        (record.levelname, record.getMessage())
        for record in caplog.records
        if record.name == "custom_components.spark_control"
    ]
    assert ours == [
        ("WARNING", "Spark worker is unavailable: Cannot reach worker"),
        ("INFO", "Spark worker is available again"),
    ]


async def test_rejected_key_during_polling_starts_reauth(
    hass: HomeAssistant, init_integration: Any, mock_cluster: MagicMock
) -> None:
    """A node that refuses the key stops polling and asks the user to re-authenticate."""
    await _poll(
        hass,
        init_integration,
        mock_cluster,
        _down(cluster_status(), "worker", NodeProblem.AUTH_REJECTED),
    )
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == ["reauth"]
    assert not init_integration.runtime_data.status.last_update_success


async def test_changed_host_key_during_polling_stops_and_repairs(
    hass: HomeAssistant, init_integration: Any, mock_cluster: MagicMock
) -> None:
    """A changed host key: repair issue, and the entry stops exactly as at setup."""
    mock_cluster.test_connection.side_effect = HostKeyChangedError(
        "127.0.0.1", 2202, "SHA256:old", "SHA256:new"
    )
    await _poll(
        hass,
        init_integration,
        mock_cluster,
        _down(cluster_status(), "worker", NodeProblem.HOST_KEY_CHANGED),
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    issue = ir.async_get(hass).async_get_issue(
        DOMAIN, f"host_key_changed_{init_integration.entry_id}"
    )
    assert issue is not None
    assert issue.translation_placeholders["host"] == "127.0.0.1:2202"
    assert init_integration.state is ConfigEntryState.SETUP_ERROR


async def test_swap_ending_while_install_runs_keeps_fast_polling(
    hass: HomeAssistant, init_integration: Any, mock_cluster: MagicMock
) -> None:
    """Fast polling lasts while any job runs: a finished swap does not end it for an install."""
    status = init_integration.runtime_data.status
    release_swap, release_install = asyncio.Event(), asyncio.Event()

    async def swap(model: str, on_progress: Any, **kwargs: Any) -> SwapProgress:
        await release_swap.wait()
        return SwapProgress(SwapState.READY, model)

    async def apply(on_log: Any) -> UpdateInfo:
        await release_install.wait()
        return UpdateInfo("358bf26", "358bf26", 0, [])

    mock_cluster.swap_model.side_effect = swap
    mock_cluster.apply_update.side_effect = apply
    await hass.services.async_call(
        DOMAIN,
        "swap_model",
        {"config_entry_id": init_integration.entry_id, "model": "gemma4"},
        blocking=True,
    )
    install = hass.async_create_task(
        hass.services.async_call(
            "update", "install", {"entity_id": "update.spark_head_spark_vllm_docker"}, blocking=True
        )
    )
    await asyncio.sleep(0.05)
    assert status.update_interval.total_seconds() == 2
    release_swap.set()
    await asyncio.sleep(0.05)
    assert not init_integration.runtime_data.jobs.swap_running
    assert status.update_interval.total_seconds() == 2  # the install still runs
    release_install.set()
    await install
    await hass.async_block_till_done(wait_background_tasks=True)
    assert status.update_interval.total_seconds() == 15


async def test_progress_is_published_at_most_once_per_interval(
    hass: HomeAssistant,
    init_integration: Any,
    mock_cluster: MagicMock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Many log lines in a burst: one write now (the transition), the rest coalesced.

    The swap state sensor writes on transitions only; the log line rides on the progress.
    """
    progress, swap_state = "sensor.vllm_cluster_swap_progress", "sensor.vllm_cluster_swap_state"
    writes: dict[str, list[Any]] = {progress: [], swap_state: []}

    def on_state(event: Any) -> None:
        if event.data["entity_id"] in writes:
            writes[event.data["entity_id"]].append(event.data["new_state"])

    hass.bus.async_listen("state_changed", on_state)
    release = asyncio.Event()

    async def swap(model: str, on_progress: Any, **kwargs: Any) -> SwapProgress:
        for line in range(50):
            on_progress(
                SwapProgress(
                    SwapState.LOADING, model, shard_percent=line * 2.0, last_log_line=f"line {line}"
                )
            )
        await release.wait()
        return SwapProgress(SwapState.READY, model)

    mock_cluster.swap_model.side_effect = swap
    # A long interval, then its timer fired by hand: the result cannot depend on machine load.
    monkeypatch.setattr(coordinator_module, "ACTIVITY_MIN_INTERVAL", 60.0)
    await hass.services.async_call(
        DOMAIN,
        "swap_model",
        {"config_entry_id": init_integration.entry_id, "model": "gemma4"},
        blocking=True,
    )
    await hass.async_block_till_done()  # the swap itself is a background task: not awaited
    assert [state.attributes["last_log_line"] for state in writes[progress]] == ["line 0"]
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=61))
    await hass.async_block_till_done()
    assert [state.attributes["last_log_line"] for state in writes[progress]] == [
        "line 0",
        "line 49",
    ]
    assert writes[progress][-1].state == "98.0"
    release.set()
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [state.state for state in writes[swap_state]] == ["loading", "ready"]
    assert writes[progress][-1].state == "100.0"


async def test_fast_polls_keep_the_gpu_figures(
    hass: HomeAssistant, init_integration: Any, mock_cluster: MagicMock
) -> None:
    """During a job the fast polls skip GPU and memory and keep the last figures; a Spark
    that comes back, or the normal rate, reads them again."""
    status = init_integration.runtime_data.status
    status.set_fast_poll(True)
    light = replace(
        cluster_status(),
        nodes={
            name: replace(node, gpu=None, memory=None)
            for name, node in cluster_status().nodes.items()
        },
    )
    await _poll(hass, init_integration, mock_cluster, light)
    assert mock_cluster.status.call_args.kwargs == {"node_figures": False}
    assert _state(hass, HEAD_SENSOR) == "55.0"  # kept from the last full poll
    await _poll(hass, init_integration, mock_cluster, _down(light, "worker"))
    assert _state(hass, WORKER_SENSOR) == STATE_UNAVAILABLE
    await _poll(hass, init_integration, mock_cluster, cluster_status())
    assert mock_cluster.status.call_args.kwargs == {"node_figures": True}  # the worker is back
    assert _state(hass, WORKER_SENSOR) == "47.0"
    status.set_fast_poll(False)
    await _poll(hass, init_integration, mock_cluster, cluster_status())
    assert mock_cluster.status.call_args.kwargs == {"node_figures": True}
