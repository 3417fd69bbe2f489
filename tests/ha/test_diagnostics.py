"""Diagnostics: runtime state, with keys, hosts, users and URLs redacted."""

from __future__ import annotations

import json
import re
from typing import Any

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import props

from custom_components.spark_control.const import DOMAIN
from custom_components.spark_control.diagnostics import REDACTED

IPV4 = r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])"


async def test_diagnostics(
    hass: HomeAssistant,
    init_integration: Any,
    hass_client: ClientSessionGenerator,
    snapshot: SnapshotAssertion,
) -> None:
    """Nothing secret or identifying leaves; the rest matches the snapshot."""
    result = await get_diagnostics_for_config_entry(hass, hass_client, init_integration)
    text = repr(result)
    for secret in ("127.0.0.1", "KEY", "ssh-ed25519", "spark'", "0123456789abcdef"):
        assert secret not in text
    for webhook_id in (
        init_integration.options[key] for key in ("webhook_discovery_id", "webhook_health_id")
    ):
        assert webhook_id not in text  # a webhook id is the only key to its tokenless URL
    assert result == snapshot(exclude=props("created_at", "modified_at"))


async def test_diagnostics_scrub_addresses_from_errors_and_logs(
    hass: HomeAssistant,
    sim_pair: Any,
    sim_integration: Any,
    hass_client: ClientSessionGenerator,
) -> None:
    """Against the simulator: swap log lines, a swap error and node errors quote addresses;
    none of the pair's hosts, ports or user name reaches the diagnostics."""
    entry = sim_integration
    call = {"config_entry_id": entry.entry_id, "model": "RedHatAI/Qwen3.6-35B-A3B-NVFP4"}
    await hass.services.async_call(DOMAIN, "swap_model", call, blocking=True)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.runtime_data.activity.data.swap.state.value == "ready"
    await sim_pair.worker.set_reachable(False)
    await entry.runtime_data.status.async_refresh()
    first = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    raw_log = "\n".join(entry.runtime_data.client.swap_log[-20:])
    assert re.search(IPV4, raw_log) or str(sim_pair.vllm_port) in raw_log  # something to scrub
    assert first["swap_log_tail"]
    assert REDACTED in first["status"]["nodes"]["worker"]["detail"]

    await sim_pair.head.set_reachable(False)
    await hass.services.async_call(DOMAIN, "swap_model", call, blocking=True)
    await hass.async_block_till_done(wait_background_tasks=True)
    second = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    assert second["swap"]["state"] == "failed"
    assert REDACTED in second["swap"]["error"]

    text = json.dumps([first, second])
    assert "127.0.0.1" not in text
    assert not re.search(IPV4, text)
    ports = {
        sim_pair.head.ssh_port,
        sim_pair.worker.ssh_port,
        sim_pair.vllm_port,
        sim_pair.parakeet_port,
        sim_pair.magpie_port,
    }
    for port in ports:
        assert not re.search(rf"(?<![\w.-]){port}(?![\w-])", text), port
    assert not re.search(rf"(?<![\w.-]){re.escape(sim_pair.user)}(?![\w-])", text)
