"""The Spark Control sidebar panel: one per Home Assistant, admin-only, served from this package.

The bundle (`frontend/spark-control-panel.js`) is built from the repository's `frontend/`
sources and committed, so HACS users never build. Its URL carries the bundle's hash from
`frontend/build.json`: browsers cache the file for a month and must see a new URL after an update.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Final

from homeassistant.components import frontend, panel_custom
from homeassistant.components.http import StaticPathConfig
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant, callback

from .const import DOMAIN, LOGGER

PANEL_URL_PATH: Final = "spark-control"
PANEL_TITLE: Final = "Spark Control"
PANEL_ICON: Final = "mdi:expansion-card"
PANEL_ELEMENT: Final = "spark-control-panel"
STATIC_URL: Final = f"/api/{DOMAIN}/frontend"
FRONTEND_DIR: Final = Path(__file__).parent / "frontend"
BUNDLE_NAME: Final = f"{PANEL_ELEMENT}.js"
BUILD_INFO: Final = FRONTEND_DIR / "build.json"
_STATIC_REGISTERED: Final = f"{DOMAIN}_panel_static"


def _bundle_version() -> str:
    """The first 12 hex digits of the bundle's sha256 (written by the frontend build)."""
    try:
        info = json.loads(BUILD_INFO.read_text(encoding="utf-8"))
        return str(info["bundle"]["sha256"])[:12]
    except (OSError, ValueError, KeyError, TypeError):
        return "dev"


def module_url(version: str) -> str:
    """Where the browser loads the panel's module from."""
    return f"{STATIC_URL}/{BUNDLE_NAME}?v={version}"


async def async_register_panel(hass: HomeAssistant) -> None:
    """Serve the bundle (once per process) and add the sidebar entry (once per HA).

    Routes cannot be removed from HA's HTTP server, so the static path stays registered
    after the last entry unloads; only the sidebar entry goes.
    """
    if not hass.data.get(_STATIC_REGISTERED):
        await hass.http.async_register_static_paths(
            [StaticPathConfig(STATIC_URL, str(FRONTEND_DIR), cache_headers=True)]
        )
        hass.data[_STATIC_REGISTERED] = True
    if PANEL_URL_PATH in hass.data.get(frontend.DATA_PANELS, {}):
        return
    version = await hass.async_add_executor_job(_bundle_version)
    await panel_custom.async_register_panel(
        hass,
        frontend_url_path=PANEL_URL_PATH,
        webcomponent_name=PANEL_ELEMENT,
        sidebar_title=PANEL_TITLE,
        sidebar_icon=PANEL_ICON,
        module_url=module_url(version),
        embed_iframe=False,
        require_admin=True,
        config_panel_domain=DOMAIN,
        config={"domain": DOMAIN},
    )
    LOGGER.debug("Registered the %s panel (bundle %s)", PANEL_URL_PATH, version)


@callback
def async_remove_panel_if_unused(hass: HomeAssistant, unloading_entry_id: str) -> None:
    """Remove the sidebar entry when the last loaded entry goes away."""
    for entry in hass.config_entries.async_entries(DOMAIN):
        if entry.entry_id != unloading_entry_id and entry.state is ConfigEntryState.LOADED:
            return
    frontend.async_remove_panel(hass, PANEL_URL_PATH, warn_if_unknown=False)
