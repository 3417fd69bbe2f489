"""Tokenless LAN webhooks: the seed's discovery GET and health-report POST, local network only.

The seed's LAN clients (Open WebUI, Recap Relay, curl scripts) call these without a Home Assistant
token. HA's webhook component refuses requests from outside the local network; each entry has its
own pair of unguessable ids (regenerated or switched off in the options), and reports are
rate-limited per client address so a misbehaving client cannot flood the logbook or the recorder.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Final

from aiohttp import web
from aiohttp.hdrs import METH_GET, METH_POST
from homeassistant.components import webhook
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.network import NoURLAvailableError

from .const import (
    CONF_WEBHOOK_DISCOVERY_ID,
    CONF_WEBHOOK_HEALTH_ID,
    CONF_WEBHOOKS_ENABLED,
    DOMAIN,
)
from .coordinator import SparkConfigEntry
from .health import ReportError, read_report
from .http import endpoints_payload

RATE_PER_SECOND: Final = 10.0
BURST: Final = 10.0
MAX_TRACKED_CLIENTS: Final = 1024

# The limiter's clock; a module attribute so tests can step time without touching the loop's.
clock: Callable[[], float] = time.monotonic


def new_webhook_options() -> dict[str, Any]:
    """Options of a new entry: both webhooks on, each with a fresh random id."""
    return {
        CONF_WEBHOOKS_ENABLED: True,
        CONF_WEBHOOK_DISCOVERY_ID: webhook.async_generate_id(),
        CONF_WEBHOOK_HEALTH_ID: webhook.async_generate_id(),
    }


def _url(hass: HomeAssistant, webhook_id: str) -> str:
    try:
        return webhook.async_generate_url(hass, webhook_id, allow_external=False)
    except NoURLAvailableError:
        return webhook.async_generate_path(webhook_id)


def webhook_urls(hass: HomeAssistant, options: Mapping[str, Any]) -> tuple[str, str]:
    """(discovery URL, health-report URL) to show the user; a bare path if HA knows no URL."""
    return (
        _url(hass, options.get(CONF_WEBHOOK_DISCOVERY_ID) or "-"),
        _url(hass, options.get(CONF_WEBHOOK_HEALTH_ID) or "-"),
    )


@dataclass(slots=True)
class RateLimiter:
    """Token bucket per client address: `burst` at once, then `rate` a second."""

    rate: float = RATE_PER_SECOND
    burst: float = BURST
    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict)

    def allow(self, client: str) -> bool:
        """Take one token for `client`; False when its bucket is empty."""
        now = clock()
        tokens, last = self._buckets.get(client, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        if len(self._buckets) >= MAX_TRACKED_CLIENTS and client not in self._buckets:
            self._forget_idle(now)
        if tokens < 1:
            self._buckets[client] = (tokens, now)
            return False
        self._buckets[client] = (tokens - 1, now)
        return True

    def _forget_idle(self, now: float) -> None:
        """Drop clients whose bucket is full again (they have been quiet long enough)."""
        full_after = self.burst / self.rate
        for key, (_, last) in list(self._buckets.items()):
            if now - last >= full_after:
                del self._buckets[key]
        if len(self._buckets) >= MAX_TRACKED_CLIENTS:
            self._buckets.clear()


def _too_many() -> web.Response:
    return web.json_response(
        {"message": "too many requests"},
        status=HTTPStatus.TOO_MANY_REQUESTS,
        headers={"Retry-After": "1"},
    )


def _not_loaded() -> web.Response:
    return web.json_response(
        {"message": "the Spark cluster is not loaded"}, status=HTTPStatus.SERVICE_UNAVAILABLE
    )


@callback
def async_setup_webhooks(hass: HomeAssistant, entry: SparkConfigEntry) -> None:
    """Register the entry's two webhooks (unless switched off); unregister them on unload."""
    options = entry.options
    discovery_id = options.get(CONF_WEBHOOK_DISCOVERY_ID)
    health_id = options.get(CONF_WEBHOOK_HEALTH_ID)
    if not options.get(CONF_WEBHOOKS_ENABLED, True) or not discovery_id or not health_id:
        return
    limiter = RateLimiter()

    async def discovery(hass: HomeAssistant, webhook_id: str, request: web.Request) -> web.Response:
        if not limiter.allow(request.remote or "?"):
            return _too_many()
        if entry.state is not ConfigEntryState.LOADED:
            return _not_loaded()
        return web.json_response(endpoints_payload(entry))

    async def health(hass: HomeAssistant, webhook_id: str, request: web.Request) -> web.Response:
        if not limiter.allow(request.remote or "?"):
            return _too_many()
        try:
            report, _ = await read_report(request)
        except ReportError as err:
            return web.json_response({"message": str(err)}, status=err.status)
        if entry.state is not ConfigEntryState.LOADED:
            return _not_loaded()
        entry.runtime_data.activity.async_record_health(report)
        return web.json_response({"recorded": True})

    webhook.async_register(
        hass,
        DOMAIN,
        f"{entry.title} discovery",
        discovery_id,
        discovery,
        local_only=True,
        allowed_methods=(METH_GET,),
    )
    webhook.async_register(
        hass,
        DOMAIN,
        f"{entry.title} health report",
        health_id,
        health,
        local_only=True,
        allowed_methods=(METH_POST,),
    )

    @callback
    def unregister() -> None:
        webhook.async_unregister(hass, discovery_id)
        webhook.async_unregister(hass, health_id)

    entry.async_on_unload(unregister)
