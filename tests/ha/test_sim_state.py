"""State flow against the simulated pair: Sparks going away and coming back, credentials
changing while the integration polls (real SSH, real bash, real HTTP on 127.0.0.1)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_OFF, STATE_ON, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.spark_control.const import DOMAIN

HEAD_TEMP = "sensor.spark_head_gpu_temperature"
WORKER_TEMP = "sensor.spark_worker_gpu_temperature"


async def _poll(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Poll now (real time: a frozen clock would also freeze the in-process simulator)."""
    await entry.runtime_data.status.async_refresh()
    await hass.async_block_till_done()


async def _poll_until(
    hass: HomeAssistant, entry: MockConfigEntry, entity_id: str, state: str
) -> None:
    """Poll until `entity_id` shows `state` (a reconnect waits out the client's backoff)."""
    for _ in range(60):
        await _poll(hass, entry)
        current = hass.states.get(entity_id)
        if current is not None and current.state == state:
            return
        await asyncio.sleep(0.5)
    raise AssertionError(f"{entity_id} never became {state}")


def _state(hass: HomeAssistant, entity_id: str) -> str:
    current = hass.states.get(entity_id)
    assert current is not None, entity_id
    return current.state


async def test_sparks_going_away_and_coming_back(
    hass: HomeAssistant,
    sim_pair: Any,
    sim_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Worker away: its sensors and services go. Both away: the poll fails. Back: all return.

    Each loss is logged once as a warning and each return once as info, however many polls.
    """
    entry = sim_integration
    await _poll_until(hass, entry, "binary_sensor.parakeet_ready", STATE_ON)
    caplog.set_level(logging.INFO, "custom_components.spark_control")
    caplog.clear()

    await sim_pair.worker.set_reachable(False)
    await _poll(hass, entry)
    await _poll(hass, entry)
    assert _state(hass, "binary_sensor.spark_worker_reachable") == STATE_OFF
    assert _state(hass, WORKER_TEMP) == STATE_UNAVAILABLE
    assert _state(hass, "switch.parakeet_container") == STATE_UNAVAILABLE  # hosted on the worker
    assert float(_state(hass, HEAD_TEMP)) > 0
    assert _state(hass, "select.vllm_cluster_model") != STATE_UNAVAILABLE

    await sim_pair.head.set_reachable(False)
    await _poll(hass, entry)
    await _poll(hass, entry)
    assert not entry.runtime_data.status.last_update_success
    assert _state(hass, HEAD_TEMP) == STATE_UNAVAILABLE
    assert _state(hass, "binary_sensor.spark_head_reachable") == STATE_UNAVAILABLE
    assert entry.state is ConfigEntryState.LOADED

    await sim_pair.head.set_reachable(True)
    await sim_pair.worker.set_reachable(True)
    await _poll_until(hass, entry, "binary_sensor.spark_worker_reachable", STATE_ON)
    await _poll_until(hass, entry, "binary_sensor.spark_head_reachable", STATE_ON)
    assert float(_state(hass, WORKER_TEMP)) > 0

    ours = [
        (record.levelname, record.getMessage().split(":")[0])
        for record in caplog.records
        if record.name == "custom_components.spark_control"
    ]
    assert ours.count(("WARNING", "Spark worker is unavailable")) == 1
    assert ours.count(("WARNING", "Spark head is unavailable")) == 1
    assert ours.count(("ERROR", "Error fetching spark_control status data")) == 1
    assert ours.count(("INFO", "Fetching spark_control status data recovered")) == 1
    assert ours.count(("INFO", "Spark worker is available again")) == 1
    assert ours.count(("INFO", "Spark head is available again")) == 1


async def test_vllm_down_on_a_reachable_head_is_information(
    hass: HomeAssistant, sim_pair: Any, sim_integration: MockConfigEntry
) -> None:
    """vLLM not serving on a reachable head: the state says down, metrics are unavailable."""
    entry = sim_integration
    await _poll(hass, entry)
    assert _state(hass, "sensor.vllm_cluster_engine_state") == "down"  # no model loaded yet
    assert _state(hass, "sensor.vllm_cluster_generation_throughput") == STATE_UNAVAILABLE
    assert _state(hass, "sensor.vllm_cluster_kv_cache_usage") == STATE_UNAVAILABLE
    assert _state(hass, "select.vllm_cluster_model") != STATE_UNAVAILABLE
    assert _state(hass, "binary_sensor.spark_head_reachable") == STATE_ON


async def test_key_removed_while_polling_starts_reauth(
    hass: HomeAssistant, sim_pair: Any, sim_integration: MockConfigEntry
) -> None:
    """The Sparks stop accepting the key mid-run: the next connection is refused → reauth."""
    entry = sim_integration
    await _poll(hass, entry)
    sim_pair.revoke_keys()
    await sim_pair.worker.drop_connections()
    for _ in range(10):  # the client notices the dropped connection on its next command
        await _poll(hass, entry)
        if hass.config_entries.flow.async_progress_by_handler(DOMAIN):
            break
        await asyncio.sleep(0.5)
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == ["reauth"]
    assert not entry.runtime_data.status.last_update_success
    assert entry.runtime_data.status.last_exception.translation_key == "auth_failed"


async def test_host_key_rotated_while_polling_repairs_and_stops(
    hass: HomeAssistant, sim_pair: Any, sim_integration: MockConfigEntry
) -> None:
    """A Spark presents a new host key mid-run: repair issue, and the entry stops connecting."""
    entry = sim_integration
    await _poll(hass, entry)
    sim_pair.head.rotate_host_key()
    await sim_pair.head.drop_connections()
    issue_id = f"host_key_changed_{entry.entry_id}"
    for _ in range(10):  # the client notices the dropped connection on its next command
        await _poll(hass, entry)
        if ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None:
            break
        await asyncio.sleep(0.5)
    await hass.async_block_till_done(wait_background_tasks=True)
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["host"] == f"127.0.0.1:{sim_pair.head.ssh_port}"
    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert _state(hass, HEAD_TEMP) == STATE_UNAVAILABLE


async def test_engine_death_says_failed_with_the_reason(
    hass: HomeAssistant,
    sim_pair_factory: Any,
    fake_addon: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The engine dies under a served model: state `failed` with the log's root cause, metrics
    unavailable (not 0), the select still available; one warning however many polls."""
    from spark_sim import PairConfig

    from .conftest import pair_machine_id, sim_entry_data

    pair = await sim_pair_factory(PairConfig(initial_model="RedHatAI/Qwen3.6-35B-A3B-NVFP4"))
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=pair_machine_id(pair),
        data=sim_entry_data(pair, fake_addon["url"]),
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    await _poll_until(hass, entry, "sensor.vllm_cluster_engine_state", "ready")
    await _poll(hass, entry)
    assert _state(hass, "sensor.vllm_cluster_generation_throughput") != STATE_UNAVAILABLE
    caplog.set_level(logging.INFO, "custom_components.spark_control")
    caplog.clear()

    pair.faults.set("engine_death", True)
    await _poll_until(hass, entry, "sensor.vllm_cluster_engine_state", "failed")
    await _poll(hass, entry)
    state = hass.states.get("sensor.vllm_cluster_engine_state")
    assert state is not None
    assert state.attributes["reason"] == "RuntimeError: CUDA error: unspecified launch failure"
    assert _state(hass, "sensor.vllm_cluster_generation_throughput") == STATE_UNAVAILABLE
    assert _state(hass, "sensor.vllm_cluster_kv_cache_usage") == STATE_UNAVAILABLE
    assert _state(hass, "select.vllm_cluster_model") != STATE_UNAVAILABLE
    warnings = [
        record.getMessage()
        for record in caplog.records
        if record.name == "custom_components.spark_control" and record.levelname == "WARNING"
    ]
    assert warnings == [
        "vLLM is unavailable: its engine failed: "
        "RuntimeError: CUDA error: unspecified launch failure"
    ]
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
