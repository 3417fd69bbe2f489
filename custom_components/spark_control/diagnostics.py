"""Diagnostics: entry and runtime state with keys, hosts, ports and users redacted.

Fields named in TO_REDACT are blanked; every other string (node errors, swap and download
errors, log tails, install log) is scrubbed of the configured hosts, ports and user names and
of any IPv4 address, because remote errors and logs quote them ("Cannot reach 10.0.0.5:22").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict
from typing import Any
from urllib.parse import urlsplit

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.core import HomeAssistant

from .const import (
    CONF_ADDON_TOKEN,
    CONF_ADDON_URL,
    CONF_HEAD_HOST,
    CONF_KNOWN_HOSTS,
    CONF_MAGPIE_HOST,
    CONF_MAGPIE_PORT,
    CONF_PARAKEET_HOST,
    CONF_PARAKEET_PORT,
    CONF_PASSPHRASE,
    CONF_PRIVATE_KEY,
    CONF_SSH_PORT,
    CONF_USERNAME,
    CONF_VLLM_PORT,
    CONF_WEBHOOK_DISCOVERY_ID,
    CONF_WEBHOOK_HEALTH_ID,
    CONF_WORKER_HOST,
    CONF_WORKER_SSH_PORT,
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
    CONF_SSH_PORT,
    CONF_WORKER_SSH_PORT,
    CONF_VLLM_PORT,
    CONF_PARAKEET_PORT,
    CONF_MAGPIE_PORT,
    "unique_id",
    "title",
}
REDACTED = "**REDACTED**"
_HOST_KEYS = (CONF_HEAD_HOST, CONF_WORKER_HOST, CONF_PARAKEET_HOST, CONF_MAGPIE_HOST)
_PORT_KEYS = (
    CONF_SSH_PORT,
    CONF_WORKER_SSH_PORT,
    CONF_VLLM_PORT,
    CONF_PARAKEET_PORT,
    CONF_MAGPIE_PORT,
)
_USER_KEYS = (CONF_USERNAME, CONF_WORKER_USERNAME)
_IPV4 = r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])"


def _scrubber(data: Mapping[str, Any]) -> re.Pattern[str]:
    """One pattern for every host, port and user name of the entry, and any IPv4 address."""
    words: set[str] = set()
    for key in _HOST_KEYS + _USER_KEYS:
        if value := data.get(key):
            words.add(str(value))
    words.update(str(data[key]) for key in _PORT_KEYS if data.get(key))
    if url := data.get(CONF_ADDON_URL):
        parts = urlsplit(str(url))
        words.update(str(part) for part in (parts.hostname, parts.port) if part)
    alternatives = [re.escape(word) for word in sorted(words, key=len, reverse=True)]
    return re.compile("|".join([_IPV4, *(rf"(?<![\w.-]){word}(?![\w-])" for word in alternatives)]))


def _scrub(value: Any, pattern: re.Pattern[str]) -> Any:
    """`value` with every match of `pattern` in its strings replaced (recursively)."""
    if isinstance(value, str):
        return pattern.sub(REDACTED, value)
    if isinstance(value, Mapping):
        return {key: _scrub(item, pattern) for key, item in value.items()}
    if isinstance(value, Iterable) and not isinstance(value, bytes):
        return [_scrub(item, pattern) for item in value]
    return value


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
    pattern = _scrubber(entry.data)
    report = {
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
    return dict(_scrub(report, pattern))
