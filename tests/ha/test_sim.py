"""End to end against the simulated Spark pair: real SSH, real bash, real HTTP on 127.0.0.1."""

from __future__ import annotations

import asyncio
import logging
from typing import Any
from unittest.mock import patch

import pytest
from homeassistant import block_async_io
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.const import STATE_OFF, STATE_ON
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.spark_control.const import DOMAIN, EVENT_SWAP

from .conftest import pair_machine_id, sim_entry_data

QWEN36 = "RedHatAI/Qwen3.6-35B-A3B-NVFP4"


async def _poll(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Poll now (real time: a frozen clock would also freeze the in-process simulator)."""
    await entry.runtime_data.status.async_refresh()
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_config_flow_against_the_simulator(hass: HomeAssistant, sim_pair: Any) -> None:
    """The user authorises the shown key, confirms real fingerprints, and the entry loads."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            "head_host": "127.0.0.1",
            "worker_host": "127.0.0.1",
            "ssh_port": sim_pair.head.ssh_port,
            "worker_ssh_port": sim_pair.worker.ssh_port,
            "username": sim_pair.user,
            "vllm_port": sim_pair.vllm_port,
            "key_mode": "generate",
        },
    )
    assert result["step_id"] == "public_key"
    public_key = result["description_placeholders"]["public_key"]

    # Not yet authorised: the connection test says so and keeps the key on screen.
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["step_id"] == "host_keys"
    assert result["description_placeholders"]["head_fingerprint"] == (
        sim_pair.head.host_key_fingerprint
    )
    assert result["description_placeholders"]["worker_fingerprint"] == (
        sim_pair.worker.host_key_fingerprint
    )
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["step_id"] == "public_key"
    assert result["errors"] == {"base": "invalid_auth"}

    sim_pair.authorize_key(public_key)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["step_id"] == "services"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            "parakeet_node": "worker",
            "parakeet_host": "127.0.0.1",
            "parakeet_port": sim_pair.parakeet_port,
            "parakeet_container": "parakeet",
            "magpie_node": "worker",
            "magpie_host": "127.0.0.1",
            "magpie_port": sim_pair.magpie_port,
            "magpie_container": "magpie",
            "tts_flavour": "nim",
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    entry = result["result"]
    assert entry.unique_id == pair_machine_id(sim_pair)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert hass.states.get("binary_sensor.spark_head_reachable").state == STATE_ON
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


async def test_blocking_io_free_setup_poll_swap_unload(
    hass: HomeAssistant,
    sim_pair: Any,
    fake_addon: Any,
    caplog: pytest.LogCaptureFixture,
    disable_block_async_io: None,
) -> None:
    """With HA's blocking-call detector on (file I/O included), nothing of ours blocks the loop."""
    caplog.set_level(logging.WARNING)
    with patch.object(block_async_io, "_IN_TESTS", False):
        block_async_io.enable()
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=pair_machine_id(sim_pair),
        data=sim_entry_data(sim_pair, fake_addon["url"]),
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED

    await _poll(hass, entry)
    await hass.services.async_call(
        "select", "select_option", {"entity_id": "select.vllm_cluster_model", "option": QWEN36}
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    await _poll(hass, entry)
    assert hass.states.get("select.vllm_cluster_model").state == QWEN36
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()

    # Ours = reported inside the integration's own code. Not a bare "spark_control": that also
    # matches the interpreter's path when Python lives in ~/.cache/spark_control (HA 2026
    # puts the whole stack in the message), and the simulator's own reads, in-process here.
    ours = [
        record.getMessage()
        for record in caplog.records
        if "Detected blocking call" in record.getMessage()
        and (
            "custom_components/spark_control/" in record.getMessage()
            or "custom integration 'spark_control'" in record.getMessage()
        )
    ]
    assert ours == []


async def test_runtime_against_the_simulator(
    *,
    hass: HomeAssistant,
    sim_pair: Any,
    fake_addon: Any,
    sim_integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    hass_client: ClientSessionGenerator,
) -> None:
    """Entities from real polls; swap through the select; switches drive real containers."""
    entry = sim_integration
    # Parakeet and Magpie finish loading shortly after the pair starts: poll until they answer
    # (how soon depends on the machine's load and on how fast HA set the entry up).
    async with asyncio.timeout(60):
        while True:
            await _poll(hass, entry)
            if hass.states.get("binary_sensor.parakeet_ready").state == STATE_ON:
                break
            await asyncio.sleep(0.5)
    assert hass.states.get("binary_sensor.spark_head_reachable").state == STATE_ON
    assert hass.states.get("binary_sensor.spark_worker_reachable").state == STATE_ON
    assert hass.states.get("binary_sensor.parakeet_ready").state == STATE_ON
    assert hass.states.get("binary_sensor.diarizer_add_on_ready").state == STATE_ON
    assert hass.states.get("binary_sensor.vllm_cluster_ready").state == STATE_OFF
    assert float(hass.states.get("sensor.spark_head_gpu_temperature").state) > 0
    update = hass.states.get("update.spark_head_spark_vllm_docker")
    assert update.state == STATE_ON
    assert update.attributes["release_summary"] == "3 commits behind upstream"

    events = async_capture_events(hass, EVENT_SWAP)
    await hass.services.async_call(
        "select", "select_option", {"entity_id": "select.vllm_cluster_model", "option": QWEN36}
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [event.data["state"] for event in events][-1] == "ready"
    assert "loading" in [event.data["state"] for event in events]
    await _poll(hass, entry)
    assert hass.states.get("select.vllm_cluster_model").state == QWEN36
    assert hass.states.get("binary_sensor.vllm_cluster_ready").state == STATE_ON
    assert hass.states.get("sensor.vllm_cluster_swap_state").state == "ready"
    assert hass.states.get("sensor.vllm_cluster_loaded_context_length").state == "65536"

    client = await hass_client()
    endpoints = await (await client.get("/api/spark_control/endpoints")).json()
    assert endpoints["vllm"] == {
        "ready": True,
        "base_url": f"http://127.0.0.1:{sim_pair.vllm_port}/v1",
        "model": QWEN36,
        "openai_compat": True,
    }
    assert endpoints["parakeet"]["base_url"] == f"http://127.0.0.1:{sim_pair.parakeet_port}"
    assert endpoints["diarizer"] == {
        "ready": True,
        "base_url": fake_addon["url"],
        "kind": "diarization",
    }

    await hass.services.async_call(
        "switch", "turn_off", {"entity_id": "switch.magpie_container"}, blocking=True
    )
    assert hass.states.get("switch.magpie_container").state == STATE_OFF
    assert hass.states.get("binary_sensor.magpie_ready").state == STATE_OFF
    await hass.services.async_call(
        "switch", "turn_on", {"entity_id": "switch.magpie_container"}, blocking=True
    )
    assert hass.states.get("switch.magpie_container").state == STATE_ON

    fake_addon["healthy"] = False
    await _poll(hass, entry)
    assert hass.states.get("binary_sensor.diarizer_add_on_ready").state == STATE_OFF
    assert entry.state is ConfigEntryState.LOADED


async def test_revoked_key_starts_reauth(
    hass: HomeAssistant, sim_pair: Any, fake_addon: Any
) -> None:
    """A key the Sparks no longer accept → setup error and a reauth flow."""
    sim_pair.revoke_keys()
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=pair_machine_id(sim_pair),
        data=sim_entry_data(sim_pair, fake_addon["url"]),
    )
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == ["reauth"]


async def test_rotated_host_key_is_refused(
    hass: HomeAssistant, sim_pair: Any, fake_addon: Any
) -> None:
    """A changed host key never connects; the user gets a repair issue."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=pair_machine_id(sim_pair),
        data=sim_entry_data(sim_pair, fake_addon["url"]),
    )
    sim_pair.head.rotate_host_key()
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_ERROR
    from homeassistant.helpers import issue_registry as ir

    assert ir.async_get(hass).async_get_issue(DOMAIN, f"host_key_changed_{entry.entry_id}")
