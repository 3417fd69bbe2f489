"""The sidebar panel: registered once per HA, admin-only, served with a cache-busting URL,
removed with the last entry (client mocked; the browser side is tests/e2e/test_panel.py)."""

from __future__ import annotations

import hashlib
import json
from typing import Any
from unittest.mock import MagicMock

from homeassistant.components import frontend
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.spark_control.const import DOMAIN
from custom_components.spark_control.panel import (
    BUILD_INFO,
    FRONTEND_DIR,
    PANEL_ELEMENT,
    PANEL_URL_PATH,
    module_url,
)

from .conftest import flow_entry_data


def _panel(hass: HomeAssistant) -> Any:
    return hass.data.get(frontend.DATA_PANELS, {}).get(PANEL_URL_PATH)


def _bundle_sha() -> str:
    return hashlib.sha256((FRONTEND_DIR / f"{PANEL_ELEMENT}.js").read_bytes()).hexdigest()


async def test_panel_registered_admin_only_with_hashed_url(
    hass: HomeAssistant, init_integration: Any
) -> None:
    """One custom panel for our element, admin-only, its URL carrying the bundle's hash."""
    panel = _panel(hass)
    assert panel is not None
    assert panel.require_admin is True
    assert panel.sidebar_title == "Spark Control"
    assert panel.config_panel_domain == DOMAIN
    custom = panel.config["_panel_custom"]
    assert custom["name"] == PANEL_ELEMENT
    assert custom["embed_iframe"] is False
    info = json.loads(BUILD_INFO.read_text(encoding="utf-8"))
    assert info["bundle"]["sha256"] == _bundle_sha()
    assert custom["module_url"] == module_url(_bundle_sha()[:12])


async def test_bundle_is_served(
    hass: HomeAssistant, init_integration: Any, hass_client: ClientSessionGenerator
) -> None:
    """The module URL answers with the committed bundle as JavaScript."""
    client = await hass_client()
    url = _panel(hass).config["_panel_custom"]["module_url"]
    response = await client.get(url)
    assert response.status == 200
    assert "javascript" in response.headers["Content-Type"]
    body = await response.read()
    assert hashlib.sha256(body).hexdigest() == _bundle_sha()
    assert PANEL_ELEMENT.encode() in body


async def test_one_panel_for_several_entries_removed_with_the_last(
    hass: HomeAssistant, init_integration: Any, mock_cluster: MagicMock
) -> None:
    """A second cluster adds no second panel; the panel goes when the last entry unloads."""
    second = MockConfigEntry(
        domain=DOMAIN, unique_id="f" * 32, title="Lab Sparks", data=flow_entry_data()
    )
    second.add_to_hass(hass)
    assert await hass.config_entries.async_setup(second.entry_id)
    await hass.async_block_till_done()
    panels = hass.data[frontend.DATA_PANELS].values()
    assert [p.frontend_url_path for p in panels].count(PANEL_URL_PATH) == 1

    assert await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert _panel(hass) is not None  # the lab cluster still uses it

    assert await hass.config_entries.async_unload(second.entry_id)
    await hass.async_block_till_done()
    assert _panel(hass) is None

    # Loading again brings it back (the static path was registered once and stays).
    assert await hass.config_entries.async_setup(second.entry_id)
    await hass.async_block_till_done()
    assert _panel(hass) is not None
