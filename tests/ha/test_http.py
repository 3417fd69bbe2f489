"""HTTP views: discovery JSON, health reports (validation, events, logbook, counters), auth."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any
from unittest.mock import MagicMock

import pytest
from homeassistant.core import Event, HomeAssistant
from pytest_homeassistant_custom_component.common import async_capture_events
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.spark_control import logbook
from custom_components.spark_control.const import (
    EVENT_DOWNLOAD,
    EVENT_HEALTH_CHANGE,
    EVENT_HEALTH_REPORT,
    EVENT_SWAP,
)

ENDPOINTS = "/api/spark_control/endpoints"
HEALTH = "/api/spark_control/health_event"


async def test_endpoints_shape(
    hass: HomeAssistant, init_integration: Any, hass_client: ClientSessionGenerator
) -> None:
    """The seed's stable shape, plus the diarizer object."""
    client = await hass_client()
    response = await client.get(ENDPOINTS)
    assert response.status == HTTPStatus.OK
    assert await response.json() == {
        "vllm": {
            "ready": True,
            "base_url": "http://127.0.0.1:8888/v1",
            "model": "RedHatAI/Qwen3.6-35B-A3B-NVFP4",
            "openai_compat": True,
        },
        "parakeet": {
            "ready": True,
            "base_url": "http://127.0.0.1:8000",
            "kind": "stt",
            "model": "nvidia/parakeet-tdt-0.6b-v3",
        },
        "magpie": {"ready": False, "base_url": "http://127.0.0.1:9000", "kind": "tts"},
        "diarizer": {"ready": True, "base_url": "http://127.0.0.1:8010", "kind": "diarization"},
    }
    response = await client.get(ENDPOINTS, params={"entry_id": "other"})
    assert response.status == HTTPStatus.NOT_FOUND


async def test_views_need_auth(
    hass: HomeAssistant, init_integration: Any, hass_client_no_auth: ClientSessionGenerator
) -> None:
    """401 without a token, for both views."""
    client = await hass_client_no_auth()
    assert (await client.get(ENDPOINTS)).status == HTTPStatus.UNAUTHORIZED
    response = await client.post(HEALTH, json={"service": "vllm", "ok": True})
    assert response.status == HTTPStatus.UNAUTHORIZED


async def test_health_report_recorded(
    hass: HomeAssistant,
    init_integration: Any,
    hass_client: ClientSessionGenerator,
    mock_cluster: MagicMock,
) -> None:
    """A report becomes an event, a logbook line, a counter and the last-report sensor."""
    events = async_capture_events(hass, EVENT_HEALTH_REPORT)
    client = await hass_client()
    report = {
        "service": "parakeet",
        "ok": False,
        "source": "open-webui",
        "error": "HTTP 503",
        "ms": 420,
    }
    response = await client.post(HEALTH, json=report)
    assert response.status == HTTPStatus.OK
    assert await response.json() == {"recorded": True}
    response = await client.post(HEALTH, json={"service": "parakeet", "ok": True})
    assert response.status == HTTPStatus.OK
    await hass.async_block_till_done()

    assert [event.data["ok"] for event in events] == [False, True]
    assert events[0].data == {"config_entry_id": init_integration.entry_id, **report}
    assert hass.states.get("sensor.parakeet_reported_failures").state == "1"
    assert hass.states.get("sensor.magpie_reported_failures").state == "0"
    last = hass.states.get("sensor.vllm_cluster_last_health_report")
    assert last.attributes["service"] == "parakeet"
    assert last.attributes["ok"] is True

    described: dict[str, Any] = {}
    logbook.async_describe_events(
        hass, lambda domain, event_type, describe: described.__setitem__(event_type, describe)
    )
    assert EVENT_HEALTH_REPORT not in described  # every report is an event, not a line
    messages = [described[EVENT_HEALTH_CHANGE](event)["message"] for event in events]
    assert messages == [
        "reported that parakeet failed (HTTP 503) for open-webui",
        "reported that parakeet worked",
    ]


async def test_health_report_control_characters_never_reach_bus_or_logbook(
    hass: HomeAssistant, init_integration: Any, hass_client: ClientSessionGenerator
) -> None:
    """Newlines, tabs, NULs and escapes in source/error become spaces before the event."""
    events = async_capture_events(hass, EVENT_HEALTH_REPORT)
    changes = async_capture_events(hass, EVENT_HEALTH_CHANGE)
    client = await hass_client()
    report = {
        "service": "vllm",
        "ok": False,
        "source": "relay\n\tinjected\u0000",
        "error": "line one\nline two\r\x1b[31mred\u0085",
    }
    response = await client.post(HEALTH, json=report)
    assert response.status == HTTPStatus.OK
    await hass.async_block_till_done()
    data = events[0].data
    assert data["source"] == "relay injected"
    assert data["error"] == "line one line two [31mred"
    last = hass.states.get("sensor.vllm_cluster_last_health_report")
    assert last.attributes["error"] == "line one line two [31mred"
    described: dict[str, Any] = {}
    logbook.async_describe_events(
        hass, lambda domain, event_type, describe: described.__setitem__(event_type, describe)
    )
    message = described[EVENT_HEALTH_CHANGE](changes[0])["message"]
    assert not any(ord(char) < 32 or 0x7F <= ord(char) <= 0x9F for char in message)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([1, 2], "body must be a JSON object"),
        ({"service": "MySQL!", "ok": True}, "service must be a short lowercase name"),
        ({"service": "vllm", "ok": "yes"}, "ok must be true or false"),
        ({"service": "vllm"}, "ok must be true or false"),
        ({"service": "vllm", "ok": True, "source": 5}, "source must be a string"),
        ({"service": "vllm", "ok": True, "error": "x" * 1001}, "error is longer than"),
        ({"service": "vllm", "ok": True, "source": "s" * 101}, "source is longer than"),
        ({"service": "vllm", "ok": True, "ms": "fast"}, "ms must be a number"),
        ({"service": "vllm", "ok": True, "ms": True}, "ms must be a number"),
        ({"service": "vllm", "ok": True, "ms": -1}, "ms must be a number"),
        ({"service": "vllm", "ok": True, "extra": 1}, "unknown fields: extra"),
        ({"service": "vllm", "ok": True, "config_entry_id": 7}, "config_entry_id must be"),
    ],
)
async def test_health_report_rejected(
    hass: HomeAssistant,
    init_integration: Any,
    hass_client: ClientSessionGenerator,
    body: Any,
    message: str,
) -> None:
    """Bad reports get 400 with a message saying why; nothing is recorded."""
    events = async_capture_events(hass, EVENT_HEALTH_REPORT)
    client = await hass_client()
    response = await client.post(HEALTH, json=body)
    assert response.status == HTTPStatus.BAD_REQUEST
    assert message in (await response.json())["message"]
    assert events == []


async def test_health_report_malformed_and_oversized(
    hass: HomeAssistant, init_integration: Any, hass_client: ClientSessionGenerator
) -> None:
    """Not JSON → 400; a huge body → 413; unknown entry → 404."""
    client = await hass_client()
    response = await client.post(HEALTH, data=b"{not json")
    assert response.status == HTTPStatus.BAD_REQUEST
    response = await client.post(HEALTH, data=b"\xff\xfe")
    assert response.status == HTTPStatus.BAD_REQUEST
    response = await client.post(HEALTH, data=b"{" + b" " * 9000 + b"}")
    assert response.status == HTTPStatus.REQUEST_ENTITY_TOO_LARGE

    async def chunks() -> Any:
        yield b'{"service": "vllm", "ok": true, "error": "'
        yield b"x" * 9000
        yield b'"}'

    response = await client.post(HEALTH, data=chunks())
    assert response.status == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    response = await client.post(
        HEALTH, json={"service": "vllm", "ok": True, "config_entry_id": "missing"}
    )
    assert response.status == HTTPStatus.NOT_FOUND


async def test_logbook_describes_swap_and_download(hass: HomeAssistant) -> None:
    """Swap and download events read as sentences in the logbook."""
    described: dict[str, Any] = {}
    logbook.async_describe_events(
        hass, lambda domain, event_type, describe: described.__setitem__(event_type, describe)
    )
    swap = Event(EVENT_SWAP, {"state": "failed", "model": "gemma4", "error": "CUDA OOM"})
    download = Event(EVENT_DOWNLOAD, {"repo_id": "Qwen/Qwen3-8B", "state": "completed"})
    ready = Event(EVENT_SWAP, {"state": "ready", "model": "gemma4"})
    assert described[EVENT_SWAP](swap)["message"] == "model swap to gemma4 is failed: CUDA OOM"
    assert described[EVENT_SWAP](ready)["message"] == "model swap to gemma4 is ready"
    message = described[EVENT_DOWNLOAD](download)["message"]
    assert message == "download of Qwen/Qwen3-8B is completed"


async def test_health_report_other_service_names(
    hass: HomeAssistant, init_integration: Any, hass_client: ClientSessionGenerator
) -> None:
    """Like the LAN webhook: any short lowercase name is recorded; only the four count failures."""
    events = async_capture_events(hass, EVENT_HEALTH_REPORT)
    client = await hass_client()
    response = await client.post(HEALTH, json={"service": "whisper-2", "ok": False})
    assert response.status == HTTPStatus.OK
    await hass.async_block_till_done()
    assert events[-1].data["service"] == "whisper-2"
    assert "whisper-2" not in init_integration.runtime_data.activity.data.health.failures
