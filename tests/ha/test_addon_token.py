"""The diarizer probe sends the optional bearer token the add-on may require."""

from __future__ import annotations

from typing import Any
from unittest.mock import MagicMock

from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.spark_control.addon import probe_addon
from custom_components.spark_control.const import DOMAIN

from .conftest import MACHINE_ID, flow_entry_data


async def test_probe_sends_the_bearer_token(hass: HomeAssistant, fake_addon: Any) -> None:
    """Against a real server that requires a token: without it not ready, with it ready."""
    fake_addon["token"] = "s3cr3t-token"
    session = async_get_clientsession(hass)
    assert await probe_addon(session, fake_addon["url"]) is False
    assert await probe_addon(session, fake_addon["url"], "wrong") is False
    assert await probe_addon(session, fake_addon["url"] + "/", "s3cr3t-token") is True


async def test_coordinator_probes_with_the_entry_token(
    hass: HomeAssistant, mock_cluster: MagicMock, aioclient_mock: Any
) -> None:
    """The token stored by the config flow reaches the add-on's /health request."""
    aioclient_mock.get("http://127.0.0.1:8010/health", status=200)
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=MACHINE_ID,
        data={**flow_entry_data(), "addon_token": "abc.def"},
        minor_version=2,
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    method, url, _, headers = aioclient_mock.mock_calls[-1]
    assert (method, str(url)) == ("GET", "http://127.0.0.1:8010/health")
    assert headers == {"Authorization": "Bearer abc.def"}
    assert entry.runtime_data.status.data.addon_ready is True
    await hass.config_entries.async_unload(entry.entry_id)
