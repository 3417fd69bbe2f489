"""What the actions and the panel's websocket commands do, under one set of input rules.

`services.py` (YAML actions) and `websocket_api.py` (the panel) both validate with `FIELDS`,
find the entry with `async_get_entry` and run the operations below, so both answer the same
input with the same result or the same translated error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any, Final, cast

import voluptuous as vol
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers import issue_registry as ir

from .api import (
    CatalogModel,
    InvalidInputError,
    LaunchMode,
    ServiceAction,
    ServiceStatus,
    SparkError,
    UpdateInfo,
    validation,
)
from .const import DOMAIN, ISSUE_RESTART_MODEL, LOGGER
from .coordinator import SparkConfigEntry
from .helpers import raise_for_spark_error, sanitize, spark_exception_handler
from .repairs import catalog_issue_id
from .switch import CONTAINER_KEYS, controllable_services

SWAP_MODEL: Final = "swap_model"
DOWNLOAD_MODEL: Final = "download_model"
CANCEL_DOWNLOAD: Final = "cancel_download"
ADD_MODEL: Final = "add_model"
REMOVE_MODEL: Final = "remove_model"
SET_MODEL_SETTINGS: Final = "set_model_settings"

MAX_TEXT: Final = 200
SETTINGS_FIELDS: Final = (
    "max_model_len",
    "gpu_memory_utilization",
    "fastsafetensors",
    "prefix_caching",
    "fp8_kv_cache",
    "tool_call_parser",
)
# The action's select offers "none" for "launch without tool calling" (same as null).
NO_TOOL_CALL_PARSER: Final = "none"


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


TEXT = vol.All(cv.string, vol.Length(min=1, max=MAX_TEXT))
TARGET = vol.In(["solo", "cluster"])

# The fields of each operation (without the entry), shared by the actions and the panel.
# A real value is tried first so a wrong one reports its own rule, not "not None".
FIELDS: Final[dict[str, dict[vol.Marker, Any]]] = {
    SWAP_MODEL: {vol.Required("model"): TEXT},
    DOWNLOAD_MODEL: {
        vol.Required("repo_id"): TEXT,
        vol.Optional("target", default="cluster"): TARGET,
        vol.Optional("add_to_catalog", default=False): cv.boolean,
        vol.Optional("name"): TEXT,
        vol.Optional("revision"): TEXT,
    },
    CANCEL_DOWNLOAD: {},
    ADD_MODEL: {
        vol.Required("repo_id"): TEXT,
        vol.Optional("name"): TEXT,
        vol.Optional("target", default="solo"): TARGET,
    },
    REMOVE_MODEL: {vol.Required("model"): TEXT},
    SET_MODEL_SETTINGS: {
        vol.Required("model"): TEXT,
        # null resets a knob to vLLM's default
        vol.Optional("max_model_len"): vol.Any(vol.All(whole_number, vol.Range(min=256)), None),
        vol.Optional("gpu_memory_utilization"): vol.Any(
            vol.All(vol.Coerce(float), vol.Range(min=0.05, max=0.99)), None
        ),
        vol.Optional("fastsafetensors"): cv.boolean,
        vol.Optional("prefix_caching"): vol.Any(cv.boolean, None),
        vol.Optional("fp8_kv_cache"): cv.boolean,
        # a vLLM parser name (checked by the catalog), "none" or null: no tool calling
        vol.Optional("tool_call_parser"): vol.Any(cv.string, None),
    },
}


def async_get_entry(hass: HomeAssistant, entry_id: str) -> SparkConfigEntry:
    """The loaded entry named by the caller, or a translated ServiceValidationError."""
    entry = hass.config_entries.async_get_entry(entry_id)
    if entry is None or entry.domain != DOMAIN:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="entry_not_found",
            translation_placeholders={"entry_id": sanitize(entry_id, 100)},
        )
    if entry.state is not ConfigEntryState.LOADED:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="entry_not_loaded",
            translation_placeholders={"entry_id": entry_id},
        )
    return cast(SparkConfigEntry, entry)


def field_error(err: vol.Invalid) -> ServiceValidationError:
    """A schema error as a translated error naming its field (for the panel's forms)."""
    field = str(err.path[0]) if err.path else ""
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key="invalid_field",
        translation_placeholders={"field": sanitize(field, 100), "error": sanitize(err.msg)},
    )


def _checked(check: Any, value: Any) -> Any:
    """Run an api validator; its InvalidInputError becomes a translated field error."""
    try:
        return check(value)
    except InvalidInputError as err:
        raise_for_spark_error(err)


# --- operations ----------------------------------------------------------------------------


@spark_exception_handler
async def async_swap_model(entry: SparkConfigEntry, data: Mapping[str, Any]) -> None:
    """Start a swap in the background (its progress reaches the activity and the panel)."""
    entry.runtime_data.jobs.async_start_swap(data["model"])


@spark_exception_handler
async def async_download_model(entry: SparkConfigEntry, data: Mapping[str, Any]) -> None:
    """Check every value that reaches a shell, then start the download in the background."""
    repo_id = _checked(validation.repo_id, data["repo_id"])
    revision = data.get("revision")
    if revision is not None:
        _checked(validation.revision, revision)
    name = data.get("name")
    if name is not None:
        _checked(validation.display_name, name)
    target = cast(LaunchMode, data.get("target", "cluster"))
    jobs = entry.runtime_data.jobs
    await jobs.async_settle_download()
    jobs.async_start_download(repo_id, target, revision, bool(data.get("add_to_catalog")), name)


@spark_exception_handler
async def async_cancel_download(entry: SparkConfigEntry, data: Mapping[str, Any]) -> None:
    """Cancel the running download."""
    await entry.runtime_data.jobs.async_cancel_download()


@spark_exception_handler
async def async_add_model(entry: SparkConfigEntry, data: Mapping[str, Any]) -> CatalogModel:
    """Add a custom model; its "Add to catalog" repair issue is no longer needed."""
    model = await entry.runtime_data.client.catalog.add(
        data["repo_id"],
        name=data.get("name"),
        mode=cast(LaunchMode, data.get("target", "solo")),
    )
    ir.async_delete_issue(
        entry.runtime_data.status.hass, DOMAIN, catalog_issue_id(entry.entry_id, model.repo_id)
    )
    entry.runtime_data.jobs.async_catalog_changed()
    return model


@spark_exception_handler
async def async_remove_model(entry: SparkConfigEntry, data: Mapping[str, Any]) -> None:
    """Remove a custom model (bundled ones are refused by the catalog)."""
    key = entry.runtime_data.jobs.resolve_model(data["model"])
    await entry.runtime_data.client.catalog.remove(key)
    entry.runtime_data.jobs.async_catalog_changed()


@spark_exception_handler
async def async_set_model_settings(
    entry: SparkConfigEntry, data: Mapping[str, Any]
) -> CatalogModel:
    """Change the knobs given (null resets one); the rest keep their values."""
    catalog = entry.runtime_data.client.catalog
    key = entry.runtime_data.jobs.resolve_model(data["model"])
    model = catalog.get(key)
    assert model is not None  # noqa: S101 - resolve_model just found it
    changes = {field: data[field] for field in SETTINGS_FIELDS if field in data}
    if changes.get("tool_call_parser") in (NO_TOOL_CALL_PARSER, ""):
        changes["tool_call_parser"] = None
    updated = await catalog.set_settings(key, replace(model.settings, **changes))
    entry.runtime_data.jobs.async_catalog_changed()
    return updated


def validate_repo(entry: SparkConfigEntry, repo_id: str, revision: str | None) -> dict[str, Any]:
    """The download's own rules, per field, without running anything (validation as you type)."""
    errors: dict[str, str] = {}
    for field, check, value in (
        ("repo_id", validation.repo_id, repo_id),
        ("revision", validation.revision, revision),
    ):
        if value is None:
            continue
        try:
            check(value)
        except InvalidInputError as err:
            errors[field] = err.reason
    catalog = entry.runtime_data.client.catalog
    in_catalog = "repo_id" not in errors and catalog.get(repo_id) is not None
    return {"valid": not errors, "errors": errors, "in_catalog": in_catalog}


async def async_service_action(
    entry: SparkConfigEntry, key: str, action: ServiceAction
) -> ServiceStatus:
    """docker start/stop/restart a speech container on a Spark, then poll at once."""
    if key not in controllable_services(entry):
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="service_not_configured",
            translation_placeholders={
                "service": key if key in CONTAINER_KEYS else sanitize(key, 40)
            },
        )
    runtime = entry.runtime_data
    try:
        return await runtime.client.service_action(key, action)
    except SparkError as err:
        raise_for_spark_error(err)
    finally:
        await runtime.status.async_refresh()


async def async_check_update(entry: SparkConfigEntry) -> UpdateInfo:
    """`git fetch` now; the result reaches the update entity (and the panel)."""
    updates = entry.runtime_data.updates
    try:
        info = await updates.client.check_update()
    except SparkError as err:
        entry.runtime_data.feed.async_update_check_failed(sanitize(err))
        raise_for_spark_error(err)
    updates.async_set_updated_data(info)
    return info


def async_refuse_second_install(entry: SparkConfigEntry) -> None:
    """An install already runs: say so before starting one in the background."""
    if entry.runtime_data.jobs.install_running:
        raise HomeAssistantError(translation_domain=DOMAIN, translation_key="install_in_progress")


async def async_install_update(entry: SparkConfigEntry) -> UpdateInfo:
    """`git pull` + build under the caller; then the new version and a restart suggestion."""
    runtime = entry.runtime_data
    try:
        info = await runtime.jobs.async_install()
    except SparkError as err:
        raise_for_spark_error(err, "install_failed")
    LOGGER.info("spark-vllm-docker updated to %s; restart the model to use it", info.installed)
    runtime.updates.async_set_updated_data(info)
    ir.async_create_issue(
        runtime.updates.hass,
        DOMAIN,
        f"{ISSUE_RESTART_MODEL}_{entry.entry_id}",
        is_fixable=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key=ISSUE_RESTART_MODEL,
    )
    return info
