"""A diarizer running as a container on a Spark gets a switch and a restart button."""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from unittest.mock import MagicMock

from homeassistant.const import STATE_OFF, STATE_ON
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.spark_control.api import ServiceStatus
from custom_components.spark_control.const import DOMAIN

from .conftest import MACHINE_ID, cluster_status, flow_entry_data


async def _setup(hass: HomeAssistant, mock_cluster: MagicMock, **data: Any) -> MockConfigEntry:
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=MACHINE_ID,
        data={**flow_entry_data(), **data},
        minor_version=2,
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


def _entity(hass: HomeAssistant, platform: str, key: str) -> str | None:
    return er.async_get(hass).async_get_entity_id(platform, DOMAIN, f"{MACHINE_ID}_diarizer_{key}")


async def test_switch_and_restart_button(
    hass: HomeAssistant, mock_cluster: MagicMock, aioclient_mock: Any
) -> None:
    """On the worker: the switch follows docker's state, its verbs reach the client."""
    aioclient_mock.get("http://127.0.0.1:8010/health", status=200)
    status = cluster_status()
    services = {**status.services, "diarizer": ServiceStatus("running", True, None)}
    mock_cluster.status.return_value = replace(status, services=services)
    mock_cluster.service_action.return_value = ServiceStatus("exited", False, None)
    entry = await _setup(
        hass, mock_cluster, diarizer_node="worker", diarizer_container="gpu-diarizer"
    )
    switch = _entity(hass, "switch", "container")
    button = _entity(hass, "button", "restart")
    assert switch and button
    assert hass.states.get(switch).state == STATE_ON

    device = dr.async_get(hass).async_get_device({(DOMAIN, f"{MACHINE_ID}_diarizer")})
    worker = dr.async_get(hass).async_get_device({(DOMAIN, f"{MACHINE_ID}_worker")})
    assert device is not None and worker is not None and device.via_device_id == worker.id

    mock_cluster.status.return_value = replace(
        status, services={**status.services, "diarizer": ServiceStatus("exited", False, None)}
    )
    await hass.services.async_call("switch", "turn_off", {"entity_id": switch}, blocking=True)
    mock_cluster.service_action.assert_awaited_with("diarizer", "stop")
    assert hass.states.get(switch).state == STATE_OFF
    await hass.services.async_call("switch", "turn_on", {"entity_id": switch}, blocking=True)
    mock_cluster.service_action.assert_awaited_with("diarizer", "start")
    await hass.services.async_call("button", "press", {"entity_id": button}, blocking=True)
    mock_cluster.service_action.assert_awaited_with("diarizer", "restart")
    config, _ = mock_cluster.constructed_with
    assert config.diarizer.container == "gpu-diarizer"
    await hass.config_entries.async_unload(entry.entry_id)


async def test_add_on_elsewhere_has_no_switch(
    hass: HomeAssistant, mock_cluster: MagicMock, aioclient_mock: Any
) -> None:
    """The HA add-on (another host) is only watched: no switch, no restart button."""
    aioclient_mock.get("http://127.0.0.1:8010/health", status=200)
    entry = await _setup(hass, mock_cluster, diarizer_node="other")
    assert _entity(hass, "switch", "container") is None
    assert _entity(hass, "button", "restart") is None
    await hass.config_entries.async_unload(entry.entry_id)
