"""Entries stored by older versions get today's data shape; newer ones are refused."""

from __future__ import annotations

from typing import Any
from unittest.mock import MagicMock

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.spark_control.const import (
    CONF_WEBHOOK_DISCOVERY_ID,
    CONF_WEBHOOK_HEALTH_ID,
    CONF_WEBHOOKS_ENABLED,
    DOMAIN,
)

from .conftest import MACHINE_ID, flow_entry_data


def _v1_1_data() -> dict[str, Any]:
    """What version 1.1 stored: one user for both Sparks, maybe no worker SSH port."""
    data = flow_entry_data()
    del data["worker_ssh_port"]
    data["username"] = "nvidia"
    return data


async def test_version_1_1_is_migrated(
    hass: HomeAssistant, mock_cluster: MagicMock, aioclient_mock: Any
) -> None:
    """The shared user and port become per-Spark fields; the diarizer and webhooks get defaults."""
    aioclient_mock.get("http://127.0.0.1:8010/health", status=200)
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=MACHINE_ID,
        data=_v1_1_data(),
        options={"status_interval": 30},
        version=1,
        minor_version=1,
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert (entry.version, entry.minor_version) == (1, 2)
    assert entry.data["worker_username"] == "nvidia"
    assert entry.data["worker_ssh_port"] == entry.data["ssh_port"] == 2201
    assert entry.data["diarizer_node"] == "other"
    assert entry.data["diarizer_container"] == "diarizer"
    assert entry.data["addon_token"] is None
    assert entry.options["status_interval"] == 30
    assert entry.options[CONF_WEBHOOKS_ENABLED] is True
    assert entry.options[CONF_WEBHOOK_DISCOVERY_ID] != entry.options[CONF_WEBHOOK_HEALTH_ID]
    config, _ = mock_cluster.constructed_with
    assert (config.head.username, config.worker.username) == ("nvidia", "nvidia")
    await hass.config_entries.async_unload(entry.entry_id)


async def test_current_entries_are_left_alone(
    hass: HomeAssistant, mock_cluster: MagicMock, aioclient_mock: Any
) -> None:
    """A 1.2 entry keeps its webhook ids and users."""
    aioclient_mock.get("http://127.0.0.1:8010/health", status=200)
    options = {
        CONF_WEBHOOKS_ENABLED: False,
        CONF_WEBHOOK_DISCOVERY_ID: "d",
        CONF_WEBHOOK_HEALTH_ID: "h",
    }
    data = {**flow_entry_data(), "worker_username": "other"}
    entry = MockConfigEntry(
        domain=DOMAIN, unique_id=MACHINE_ID, data=data, options=options, minor_version=2
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert dict(entry.options) == options
    assert entry.data["worker_username"] == "other"
    config, _ = mock_cluster.constructed_with
    assert config.worker.username == "other"
    await hass.config_entries.async_unload(entry.entry_id)


async def test_a_newer_version_is_refused(hass: HomeAssistant, mock_cluster: MagicMock) -> None:
    """An entry written by a newer spark_control cannot be read after a downgrade."""
    entry = MockConfigEntry(domain=DOMAIN, unique_id=MACHINE_ID, data=_v1_1_data(), version=2)
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.MIGRATION_ERROR
