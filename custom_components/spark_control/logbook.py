"""Logbook lines: a service flipping ok/failed in health reports, swap and download transitions.

Per-report, per-percent events (EVENT_HEALTH_REPORT, EVENT_DOWNLOAD_PROGRESS) are for
automations and are deliberately not described: the logbook gets one line per change.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from homeassistant.components.logbook.const import LOGBOOK_ENTRY_MESSAGE, LOGBOOK_ENTRY_NAME
from homeassistant.core import Event, HomeAssistant, callback

from .const import DOMAIN, EVENT_DOWNLOAD, EVENT_HEALTH_CHANGE, EVENT_SWAP


@callback
def _describe_health(event: Event) -> dict[str, str]:
    data = event.data
    verdict = "worked" if data["ok"] else f"failed ({data.get('error') or 'no detail'})"
    source = f" for {data['source']}" if data.get("source") else ""
    return {
        LOGBOOK_ENTRY_NAME: "Spark Control",
        LOGBOOK_ENTRY_MESSAGE: f"reported that {data['service']} {verdict}{source}",
    }


@callback
def _describe_swap(event: Event) -> dict[str, str]:
    data = event.data
    error = f": {data['error']}" if data.get("error") else ""
    return {
        LOGBOOK_ENTRY_NAME: "Spark Control",
        LOGBOOK_ENTRY_MESSAGE: f"model swap to {data.get('model')} is {data['state']}{error}",
    }


@callback
def _describe_download(event: Event) -> dict[str, str]:
    data = event.data
    return {
        LOGBOOK_ENTRY_NAME: "Spark Control",
        LOGBOOK_ENTRY_MESSAGE: f"download of {data['repo_id']} is {data['state']}",
    }


@callback
def async_describe_events(
    hass: HomeAssistant,
    async_describe_event: Callable[[str, str, Callable[[Event], dict[str, Any]]], None],
) -> None:
    """Tell the logbook how to show our events."""
    async_describe_event(DOMAIN, EVENT_HEALTH_CHANGE, _describe_health)
    async_describe_event(DOMAIN, EVENT_SWAP, _describe_swap)
    async_describe_event(DOMAIN, EVENT_DOWNLOAD, _describe_download)
