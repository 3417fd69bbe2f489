"""Actions: swap, download, catalog edits and the swap log; registered once in async_setup.

What each action does, and its input rules, live in `actions.py` (shared with the panel's
websocket commands); this module registers them with their schemas.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

import voluptuous as vol
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.helpers import config_validation as cv

from . import actions
from .api import SparkError
from .const import ATTR_CONFIG_ENTRY_ID, DOMAIN
from .coordinator import SparkConfigEntry
from .helpers import raise_for_spark_error

SERVICE_SWAP_MODEL = actions.SWAP_MODEL
SERVICE_DOWNLOAD_MODEL = actions.DOWNLOAD_MODEL
SERVICE_CANCEL_DOWNLOAD = actions.CANCEL_DOWNLOAD
SERVICE_ADD_MODEL = actions.ADD_MODEL
SERVICE_REMOVE_MODEL = actions.REMOVE_MODEL
SERVICE_SET_MODEL_SETTINGS = actions.SET_MODEL_SETTINGS
SERVICE_GET_SWAP_LOG = "get_swap_log"

_ENTRY: dict[vol.Marker, Any] = {vol.Required(ATTR_CONFIG_ENTRY_ID): cv.string}

SCHEMAS: dict[str, vol.Schema] = {
    **{name: vol.Schema({**_ENTRY, **fields}) for name, fields in actions.FIELDS.items()},
    SERVICE_GET_SWAP_LOG: vol.Schema(_ENTRY),
}


async def _swap_model(entry: SparkConfigEntry, call: ServiceCall) -> ServiceResponse:
    await actions.async_swap_model(entry, call.data)
    return None


async def _download_model(entry: SparkConfigEntry, call: ServiceCall) -> ServiceResponse:
    await actions.async_download_model(entry, call.data)
    return None


async def _cancel_download(entry: SparkConfigEntry, call: ServiceCall) -> ServiceResponse:
    await actions.async_cancel_download(entry, call.data)
    return None


async def _add_model(entry: SparkConfigEntry, call: ServiceCall) -> ServiceResponse:
    await actions.async_add_model(entry, call.data)
    return None


async def _remove_model(entry: SparkConfigEntry, call: ServiceCall) -> ServiceResponse:
    await actions.async_remove_model(entry, call.data)
    return None


async def _set_model_settings(entry: SparkConfigEntry, call: ServiceCall) -> ServiceResponse:
    await actions.async_set_model_settings(entry, call.data)
    return None


async def _get_swap_log(entry: SparkConfigEntry, call: ServiceCall) -> ServiceResponse:
    client = entry.runtime_data.client
    progress = client.swap_progress
    return {
        "state": progress.state.value,
        "model": progress.model,
        "error": progress.error,
        "running": client.swap_running,
        "lines": list(client.swap_log),
    }


Handler = Callable[[SparkConfigEntry, ServiceCall], Awaitable[ServiceResponse]]

HANDLERS: dict[str, tuple[Handler, SupportsResponse]] = {
    SERVICE_SWAP_MODEL: (_swap_model, SupportsResponse.NONE),
    SERVICE_DOWNLOAD_MODEL: (_download_model, SupportsResponse.NONE),
    SERVICE_CANCEL_DOWNLOAD: (_cancel_download, SupportsResponse.NONE),
    SERVICE_ADD_MODEL: (_add_model, SupportsResponse.NONE),
    SERVICE_REMOVE_MODEL: (_remove_model, SupportsResponse.NONE),
    SERVICE_SET_MODEL_SETTINGS: (_set_model_settings, SupportsResponse.NONE),
    SERVICE_GET_SWAP_LOG: (_get_swap_log, SupportsResponse.ONLY),
}


async def _async_handle(handler: Handler, call: ServiceCall) -> ServiceResponse:
    """Resolve the entry, run the handler, translate client errors."""
    entry = actions.async_get_entry(call.hass, call.data[ATTR_CONFIG_ENTRY_ID])
    try:
        return await handler(entry, call)
    except SparkError as err:
        raise_for_spark_error(err)


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register every action (once, for all entries)."""
    for name, (handler, supports_response) in HANDLERS.items():
        hass.services.async_register(
            DOMAIN,
            name,
            partial(_async_handle, handler),
            schema=SCHEMAS[name],
            supports_response=supports_response,
        )
