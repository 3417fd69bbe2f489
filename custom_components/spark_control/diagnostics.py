"""Diagnostics: entry and runtime state with keys, hosts and users redacted."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.core import HomeAssistant

from .const import (
    CONF_ADDON_TOKEN,
    CONF_ADDON_URL,
    CONF_HEAD_HOST,
    CONF_KNOWN_HOSTS,
    CONF_MAGPIE_HOST,
    CONF_PARAKEET_HOST,
    CONF_PASSPHRASE,
    CONF_PRIVATE_KEY,
    CONF_USERNAME,
    CONF_WEBHOOK_DISCOVERY_ID,
    CONF_WEBHOOK_HEALTH_ID,
    CONF_WORKER_HOST,
    CONF_WORKER_USERNAME,
)
from .coordinator import SparkConfigEntry

TO_REDACT = {
    CONF_PRIVATE_KEY,
    CONF_PASSPHRASE,
    CONF_KNOWN_HOSTS,
    CONF_HEAD_HOST,
    CONF_WORKER_HOST,
    CONF_PARAKEET_HOST,
    CONF_MAGPIE_HOST,
    CONF_USERNAME,
    CONF_ADDON_URL,
    CONF_ADDON_TOKEN,
    CONF_WORKER_USERNAME,
    CONF_WEBHOOK_DISCOVERY_ID,
    CONF_WEBHOOK_HEALTH_ID,
    "unique_id",
    "title",
}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: SparkConfigEntry
) -> dict[str, Any]:
    """What a bug report needs, without secrets or addresses."""
    runtime = entry.runtime_data
    activity = runtime.activity.data
    download = activity.download
    updates = runtime.updates.data
    status = asdict(runtime.status.data.status)
    if status["checkout"] is not None:
        status["checkout"]["features"] = sorted(status["checkout"]["features"])
    return {
        "entry": async_redact_data(entry.as_dict(), TO_REDACT),
        "status": status,
        "addon_ready": runtime.status.data.addon_ready,
        "swap": asdict(activity.swap),
        "swap_log_tail": runtime.client.swap_log[-20:],
        "download": None if download is None else asdict(download),
        "update": None if updates is None else asdict(updates),
        "install": None if activity.install is None else asdict(activity.install),
        "health_failures": dict(activity.health.failures),
        "catalog": [asdict(model) for model in activity.catalog],
    }
