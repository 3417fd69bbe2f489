"""Actions: swap, download, catalog edits and the swap log; registered once in async_setup."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from functools import partial
from typing import Any, cast

import voluptuous as vol
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv

from .api import InvalidInputError, LaunchMode, SparkError, validation
from .const import ATTR_CONFIG_ENTRY_ID, DOMAIN
from .coordinator import SparkConfigEntry
from .helpers import raise_for_spark_error

SERVICE_SWAP_MODEL = "swap_model"
SERVICE_DOWNLOAD_MODEL = "download_model"
SERVICE_CANCEL_DOWNLOAD = "cancel_download"
SERVICE_ADD_MODEL = "add_model"
SERVICE_REMOVE_MODEL = "remove_model"
SERVICE_SET_MODEL_SETTINGS = "set_model_settings"
SERVICE_GET_SWAP_LOG = "get_swap_log"


def whole_number(value: Any) -> int:
    """A whole number from YAML or JSON; `.inf`, `.nan`, 1.5 and booleans are refused.

    `vol.Coerce(int)` lets `int(float("inf"))` raise OverflowError out of the schema.
    """
    if isinstance(value, bool):
        raise vol.Invalid("expected a whole number")
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError) as err:
        raise vol.Invalid("expected a whole number") from err
    if isinstance(value, float) and value != number:
        raise vol.Invalid("expected a whole number")
    return number


MAX_TEXT = 200
_TEXT = vol.All(cv.string, vol.Length(min=1, max=MAX_TEXT))
_TARGET = vol.In(["solo", "cluster"])
_ENTRY: dict[vol.Marker, Any] = {vol.Required(ATTR_CONFIG_ENTRY_ID): cv.string}

SCHEMAS: dict[str, vol.Schema] = {
    SERVICE_SWAP_MODEL: vol.Schema({**_ENTRY, vol.Required("model"): _TEXT}),
    SERVICE_DOWNLOAD_MODEL: vol.Schema(
        {
            **_ENTRY,
            vol.Required("repo_id"): _TEXT,
            vol.Optional("target", default="cluster"): _TARGET,
            vol.Optional("add_to_catalog", default=False): cv.boolean,
            vol.Optional("name"): _TEXT,
            vol.Optional("revision"): _TEXT,
        }
    ),
    SERVICE_CANCEL_DOWNLOAD: vol.Schema(_ENTRY),
    SERVICE_ADD_MODEL: vol.Schema(
        {
            **_ENTRY,
            vol.Required("repo_id"): _TEXT,
            vol.Optional("name"): _TEXT,
            vol.Optional("target", default="solo"): _TARGET,
        }
    ),
    SERVICE_REMOVE_MODEL: vol.Schema({**_ENTRY, vol.Required("model"): _TEXT}),
    SERVICE_SET_MODEL_SETTINGS: vol.Schema(
        {
            **_ENTRY,
            vol.Required("model"): _TEXT,
            vol.Optional("max_model_len"): vol.All(whole_number, vol.Range(min=256)),
            vol.Optional("gpu_memory_utilization"): vol.All(
                vol.Coerce(float), vol.Range(min=0.05, max=0.99)
            ),
            vol.Optional("fastsafetensors"): cv.boolean,
            vol.Optional("prefix_caching"): cv.boolean,
            vol.Optional("fp8_kv_cache"): cv.boolean,
        }
    ),
    SERVICE_GET_SWAP_LOG: vol.Schema(_ENTRY),
}


def async_get_entry(hass: HomeAssistant, entry_id: str) -> SparkConfigEntry:
    """The loaded entry named by the call, or a translated ServiceValidationError."""
    entry = hass.config_entries.async_get_entry(entry_id)
    if entry is None or entry.domain != DOMAIN:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="entry_not_found",
            translation_placeholders={"entry_id": entry_id},
        )
    if entry.state is not ConfigEntryState.LOADED:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="entry_not_loaded",
            translation_placeholders={"entry_id": entry_id},
        )
    return cast(SparkConfigEntry, entry)


def _checked(check: Callable[[Any], Any], value: Any) -> Any:
    """Run an api validator; its InvalidInputError becomes a ServiceValidationError."""
    try:
        return check(value)
    except InvalidInputError as err:
        raise_for_spark_error(err)


async def _swap_model(entry: SparkConfigEntry, call: ServiceCall) -> ServiceResponse:
    entry.runtime_data.jobs.async_start_swap(call.data["model"])
    return None


async def _download_model(entry: SparkConfigEntry, call: ServiceCall) -> ServiceResponse:
    repo_id = _checked(validation.repo_id, call.data["repo_id"])
    revision = call.data.get("revision")
    if revision is not None:
        _checked(validation.revision, revision)
    name = call.data.get("name")
    if name is not None:
        _checked(validation.display_name, name)
    target = cast(LaunchMode, call.data["target"])
    await entry.runtime_data.jobs.async_settle_download()
    entry.runtime_data.jobs.async_start_download(
        repo_id, target, revision, call.data["add_to_catalog"], name
    )
    return None


async def _cancel_download(entry: SparkConfigEntry, call: ServiceCall) -> ServiceResponse:
    await entry.runtime_data.jobs.async_cancel_download()
    return None


async def _add_model(entry: SparkConfigEntry, call: ServiceCall) -> ServiceResponse:
    await entry.runtime_data.client.catalog.add(
        call.data["repo_id"], name=call.data.get("name"), mode=cast(LaunchMode, call.data["target"])
    )
    entry.runtime_data.jobs.async_catalog_changed()
    return None


async def _remove_model(entry: SparkConfigEntry, call: ServiceCall) -> ServiceResponse:
    catalog = entry.runtime_data.client.catalog
    key = entry.runtime_data.jobs.resolve_model(call.data["model"])
    await catalog.remove(key)
    entry.runtime_data.jobs.async_catalog_changed()
    return None


async def _set_model_settings(entry: SparkConfigEntry, call: ServiceCall) -> ServiceResponse:
    catalog = entry.runtime_data.client.catalog
    key = entry.runtime_data.jobs.resolve_model(call.data["model"])
    model = catalog.get(key)
    assert model is not None  # noqa: S101 - resolve_model just found it
    changes = {
        field: call.data[field]
        for field in (
            "max_model_len",
            "gpu_memory_utilization",
            "fastsafetensors",
            "prefix_caching",
            "fp8_kv_cache",
        )
        if field in call.data
    }
    await catalog.set_settings(key, replace(model.settings, **changes))
    entry.runtime_data.jobs.async_catalog_changed()
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
    entry = async_get_entry(call.hass, call.data[ATTR_CONFIG_ENTRY_ID])
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
