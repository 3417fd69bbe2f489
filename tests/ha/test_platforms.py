"""Snapshot of every platform's entities and states (client mocked, deterministic values)."""

from __future__ import annotations

from typing import Any

import pytest
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import snapshot_platform
from syrupy.assertion import SnapshotAssertion


@pytest.mark.parametrize(
    "platforms",
    [
        [Platform.BINARY_SENSOR],
        [Platform.BUTTON],
        [Platform.CONVERSATION],
        [Platform.SELECT],
        [Platform.SENSOR],
        [Platform.STT],
        [Platform.SWITCH],
        [Platform.TTS],
        [Platform.UPDATE],
    ],
)
@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_platform_snapshot(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    init_integration: Any,
) -> None:
    """Every entity's registry entry and state."""
    await snapshot_platform(hass, entity_registry, snapshot, init_integration.entry_id)


async def test_devices_snapshot(
    hass: HomeAssistant,
    device_registry: dr.DeviceRegistry,
    snapshot: SnapshotAssertion,
    init_integration: Any,
) -> None:
    """One device per Spark, one per service linked to its Spark."""
    devices = dr.async_entries_for_config_entry(device_registry, init_integration.entry_id)
    by_name = {device.name: device for device in devices}
    assert set(by_name) == {
        "Spark head",
        "Spark worker",
        "vLLM cluster",
        "Parakeet",
        "Magpie",
        "Diarizer add-on",
    }
    assert by_name["Parakeet"].via_device_id == by_name["Spark worker"].id
    assert by_name["vLLM cluster"].via_device_id == by_name["Spark head"].id
    for device in sorted(devices, key=lambda device: device.name or ""):
        assert device == snapshot(name=device.name)


async def test_disabled_by_default(
    hass: HomeAssistant, entity_registry: er.EntityRegistry, init_integration: Any
) -> None:
    """Noisy sensors start disabled."""
    disabled = sorted(
        entry.unique_id
        for entry in er.async_entries_for_config_entry(entity_registry, init_integration.entry_id)
        if entry.disabled_by is not None
    )
    assert [uid.split("_", 1)[1] for uid in disabled] == [
        "head_gpu_power",
        "head_memory_available",
        "worker_gpu_power",
        "worker_memory_available",
    ]
