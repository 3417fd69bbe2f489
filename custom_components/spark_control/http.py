"""HTTP views behind HA auth: service discovery JSON and health reports from external apps."""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any, Final, cast

from aiohttp import web
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.http import KEY_HASS, HomeAssistantView

from .const import CONF_ADDON_URL, DOMAIN
from .coordinator import SparkConfigEntry
from .health import MAX_ERROR, MAX_SOURCE, SERVICE_NAME, SERVICE_NAME_RULE, HealthReport

MAX_BODY: Final = 8192
MAX_MS: Final = 86_400_000.0


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


class ReportError(ValueError):
    """A health report the view answers with 400 and this message."""


def _validate_report(body: Any) -> dict[str, Any]:
    """The report's fields, or ReportError naming what is wrong."""
    if not isinstance(body, dict):
        raise ReportError("body must be a JSON object")
    unknown = set(body) - {"service", "ok", "source", "error", "ms", "config_entry_id"}
    if unknown:
        raise ReportError(f"unknown fields: {', '.join(sorted(unknown))[:200]}")
    service = body.get("service")
    if not isinstance(service, str) or SERVICE_NAME.fullmatch(service) is None:
        raise ReportError(SERVICE_NAME_RULE)
    if not isinstance(body.get("ok"), bool):
        raise ReportError("ok must be true or false")
    for field, limit in (("source", MAX_SOURCE), ("error", MAX_ERROR)):
        value = body.get(field)
        if value is not None and not isinstance(value, str):
            raise ReportError(f"{field} must be a string")
        if value is not None and len(value) > limit:
            raise ReportError(f"{field} is longer than {limit} characters")
    ms = body.get("ms")
    if ms is not None and (
        isinstance(ms, bool) or not isinstance(ms, int | float) or not 0 <= ms <= MAX_MS
    ):
        raise ReportError(f"ms must be a number from 0 to {MAX_MS:.0f}")
    entry_id = body.get("config_entry_id")
    if entry_id is not None and not isinstance(entry_id, str):
        raise ReportError("config_entry_id must be a string")
    return body


class HealthEventView(HomeAssistantView):
    """POST /api/spark_control/health_event: a client saw a service fail (or work)."""

    url = "/api/spark_control/health_event"
    name = "api:spark_control:health_event"
    requires_auth = True

    async def post(self, request: web.Request) -> web.Response:
        """Validate, record (event, logbook, failure counter) and answer 200."""
        if request.content_length is not None and request.content_length > MAX_BODY:
            return self.json_message("body too large", HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
        raw = await request.content.read(MAX_BODY + 1)
        if len(raw) > MAX_BODY:
            return self.json_message("body too large", HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
        try:
            report = _validate_report(json.loads(raw))
        except (ValueError, UnicodeDecodeError) as err:
            return self.json_message(str(err), HTTPStatus.BAD_REQUEST)
        entry = _loaded_entry(request.app[KEY_HASS], report.get("config_entry_id"))
        if entry is None:
            return self.json_message("No Spark Control cluster is loaded", HTTPStatus.NOT_FOUND)
        entry.runtime_data.activity.async_record_health(
            HealthReport.create(
                report["service"],
                report["ok"],
                source=report.get("source"),
                error=report.get("error"),
                ms=report.get("ms"),
            )
        )
        return self.json({"recorded": True})
