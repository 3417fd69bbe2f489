"""HTTP views behind HA auth: service discovery JSON and health reports from external apps."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any, cast

from aiohttp import web
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.http import KEY_HASS, HomeAssistantView

from .const import CONF_ADDON_URL, DOMAIN
from .coordinator import SparkConfigEntry
from .health import ReportError, read_report


@callback
def async_register_views(hass: HomeAssistant) -> None:
    """Register both views once."""
    hass.http.register_view(EndpointsView())
    hass.http.register_view(HealthEventView())


def _loaded_entry(hass: HomeAssistant, entry_id: str | None) -> SparkConfigEntry | None:
    """The entry named by `entry_id`, else the first loaded one."""
    for entry in hass.config_entries.async_entries(DOMAIN):
        if entry.state is ConfigEntryState.LOADED and entry_id in (None, entry.entry_id):
            return cast(SparkConfigEntry, entry)
    return None


def endpoints_payload(entry: SparkConfigEntry) -> dict[str, Any]:
    """The seed's stable discovery shape (plus a `diarizer` object)."""
    runtime = entry.runtime_data
    client = runtime.client
    data = runtime.status.data
    services = data.status.services

    def ready(key: str) -> bool:
        service = services.get(key)
        return bool(service is not None and service.ready)

    parakeet = services.get("parakeet")
    addon_url = entry.data.get(CONF_ADDON_URL) or None
    return {
        "vllm": {
            "ready": bool(data.status.vllm.ready),
            "base_url": client.vllm_base_url,
            "model": data.status.vllm.model,
            "openai_compat": True,
        },
        "parakeet": {
            "ready": ready("parakeet"),
            "base_url": client.service_base_url("parakeet"),
            "kind": "stt",
            "model": parakeet.model if parakeet is not None else None,
        },
        "magpie": {
            "ready": ready("magpie"),
            "base_url": client.service_base_url("magpie"),
            "kind": "tts",
        },
        "diarizer": {
            "ready": bool(data.addon_ready),
            "base_url": addon_url.rstrip("/") if addon_url else None,
            "kind": "diarization",
        },
    }


class EndpointsView(HomeAssistantView):
    """GET /api/spark_control/endpoints: where vLLM, STT, TTS and diarization live."""

    url = "/api/spark_control/endpoints"
    name = "api:spark_control:endpoints"
    requires_auth = True

    async def get(self, request: web.Request) -> web.Response:
        """Answer from the last poll (never waits on the Sparks)."""
        entry = _loaded_entry(request.app[KEY_HASS], request.query.get("entry_id"))
        if entry is None:
            return self.json_message("No Spark Control cluster is loaded", HTTPStatus.NOT_FOUND)
        return self.json(endpoints_payload(entry))


class HealthEventView(HomeAssistantView):
    """POST /api/spark_control/health_event: a client saw a service fail (or work)."""

    url = "/api/spark_control/health_event"
    name = "api:spark_control:health_event"
    requires_auth = True

    async def post(self, request: web.Request) -> web.Response:
        """Validate, record (event, logbook, failure counter) and answer 200."""
        try:
            report, fields = await read_report(request, frozenset({"config_entry_id"}))
        except ReportError as err:
            return self.json_message(str(err), err.status)
        entry_id = fields.get("config_entry_id")
        if entry_id is not None and not isinstance(entry_id, str):
            return self.json_message("config_entry_id must be a string", HTTPStatus.BAD_REQUEST)
        entry = _loaded_entry(request.app[KEY_HASS], entry_id)
        if entry is None:
            return self.json_message("No Spark Control cluster is loaded", HTTPStatus.NOT_FOUND)
        entry.runtime_data.activity.async_record_health(report)
        return self.json({"recorded": True})
