"""Tokenless LAN webhooks: seed shapes, body validation, rate limit, local-only, off, regenerate."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any
from unittest.mock import patch

import pytest
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import async_capture_events
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.spark_control import webhook
from custom_components.spark_control.const import (
    CONF_REGENERATE_WEBHOOKS,
    CONF_WEBHOOK_DISCOVERY_ID,
    CONF_WEBHOOK_HEALTH_ID,
    CONF_WEBHOOKS_ENABLED,
    EVENT_HEALTH_REPORT,
)


def _paths(entry: Any) -> tuple[str, str]:
    return (
        f"/api/webhook/{entry.options[CONF_WEBHOOK_DISCOVERY_ID]}",
        f"/api/webhook/{entry.options[CONF_WEBHOOK_HEALTH_ID]}",
    )


async def test_discovery_without_a_token_has_the_seed_shape(
    hass: HomeAssistant, init_integration: Any, hass_client_no_auth: ClientSessionGenerator
) -> None:
    """GET with no Authorization header answers the seed's /api/endpoints JSON."""
    discovery, _ = _paths(init_integration)
    client = await hass_client_no_auth()
    response = await client.get(discovery)
    assert response.status == HTTPStatus.OK
    body = await response.json()
    assert body["vllm"] == {
        "ready": True,
        "base_url": "http://127.0.0.1:8888/v1",
        "model": "RedHatAI/Qwen3.6-35B-A3B-NVFP4",
        "openai_compat": True,
    }
    assert body["parakeet"] == {
        "ready": True,
        "base_url": "http://127.0.0.1:8000",
        "kind": "stt",
        "model": "nvidia/parakeet-tdt-0.6b-v3",
    }
    assert body["magpie"] == {"ready": False, "base_url": "http://127.0.0.1:9000", "kind": "tts"}
    # A POST to the discovery hook is not a health report.
    assert (await client.post(discovery, json={})).status == HTTPStatus.METHOD_NOT_ALLOWED


async def test_health_report_without_a_token(
    hass: HomeAssistant, init_integration: Any, hass_client_no_auth: ClientSessionGenerator
) -> None:
    """The seed's exact body is recorded: event, last report, counter of a known service."""
    _, health = _paths(init_integration)
    runtime = init_integration.runtime_data
    events = async_capture_events(hass, EVENT_HEALTH_REPORT)
    client = await hass_client_no_auth()
    seed_body = {
        "service": "parakeet",
        "ok": False,
        "source": "open-webui",
        "error": "HTTP 503",
        "ms": 420,
    }
    response = await client.post(health, json=seed_body)
    assert response.status == HTTPStatus.OK
    assert await response.json() == {"recorded": True}
    await hass.async_block_till_done()
    assert runtime.activity.data.health.failures["parakeet"] == 1
    assert runtime.activity.data.health.last.source == "open-webui"
    assert events[-1].data == {"config_entry_id": init_integration.entry_id, **seed_body}

    # Any short safe name is recorded; only known services have counters.
    response = await client.post(health, json={"service": "whisper-2", "ok": False})
    assert response.status == HTTPStatus.OK
    await hass.async_block_till_done()
    assert runtime.activity.data.health.last.service == "whisper-2"
    assert "whisper-2" not in runtime.activity.data.health.failures
    assert sum(runtime.activity.data.health.failures.values()) == 1
    assert events[-1].data["service"] == "whisper-2"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"not json", "Expecting value"),
        (b"[1, 2]", "body must be a JSON object"),
        (b'{"ok": true}', "service must be"),
        (b'{"service": "Bad Name", "ok": true}', "service must be"),
        (b'{"service": "x;rm -rf /", "ok": true}', "service must be"),
        (b'{"service": "' + b"a" * 33 + b'", "ok": true}', "service must be"),
        (b'{"service": "vllm", "ok": "false"}', "ok must be true or false"),
        (b'{"service": "vllm", "ok": true, "ms": -1}', "ms must be a number"),
        (b'{"service": "vllm", "ok": true, "ms": true}', "ms must be a number"),
        (b'{"service": "vllm", "ok": true, "source": 5}', "source must be a string"),
        (b'{"service": "vllm", "ok": true, "error": "' + b"e" * 1001 + b'"}', "longer than"),
        (b'{"service": "vllm", "ok": true, "entry": "x"}', "unknown fields: entry"),
        (b"\xff\xfe", ""),  # not UTF-8: still a 400, never a 500
    ],
)
async def test_bad_reports_are_refused(
    hass: HomeAssistant,
    init_integration: Any,
    hass_client_no_auth: ClientSessionGenerator,
    body: bytes,
    message: str,
) -> None:
    """400 with a message saying what is wrong; nothing is recorded."""
    _, health = _paths(init_integration)
    client = await hass_client_no_auth()
    response = await client.post(health, data=body)
    assert response.status == HTTPStatus.BAD_REQUEST
    assert message in (await response.json())["message"]
    assert init_integration.runtime_data.activity.data.health.last is None


async def test_oversized_body_is_refused(
    hass: HomeAssistant, init_integration: Any, hass_client_no_auth: ClientSessionGenerator
) -> None:
    """More than 8 KiB is refused before parsing."""
    _, health = _paths(init_integration)
    client = await hass_client_no_auth()
    response = await client.post(health, data=b"{" + b" " * 9000 + b"}")
    assert response.status == HTTPStatus.REQUEST_ENTITY_TOO_LARGE


async def test_reports_are_rate_limited_per_client(
    hass: HomeAssistant, init_integration: Any, hass_client_no_auth: ClientSessionGenerator
) -> None:
    """Ten at once pass, the eleventh gets 429 until a second has passed."""
    _, health = _paths(init_integration)
    client = await hass_client_no_auth()
    now = [1000.0]
    report = {"service": "vllm", "ok": True, "source": "flood"}
    with patch.object(webhook, "clock", lambda: now[0]):
        statuses = [(await client.post(health, json=report)).status for _ in range(12)]
        assert statuses == [HTTPStatus.OK] * 10 + [HTTPStatus.TOO_MANY_REQUESTS] * 2
        response = await client.post(health, json=report)
        assert response.status == HTTPStatus.TOO_MANY_REQUESTS
        assert response.headers["Retry-After"] == "1"
        now[0] += 1.0
        statuses = [(await client.post(health, json=report)).status for _ in range(11)]
        assert statuses == [HTTPStatus.OK] * 10 + [HTTPStatus.TOO_MANY_REQUESTS]


def test_rate_limiter_forgets_quiet_clients() -> None:
    """The per-client table stays bounded."""
    now = [0.0]
    limiter = webhook.RateLimiter(rate=10, burst=10)
    with patch.object(webhook, "clock", lambda: now[0]):
        for index in range(webhook.MAX_TRACKED_CLIENTS):
            assert limiter.allow(f"10.0.{index // 256}.{index % 256}")
        now[0] += 5.0
        assert limiter.allow("192.168.1.50")
        assert len(limiter._buckets) == 1


async def test_remote_requests_are_refused(
    hass: HomeAssistant, init_integration: Any, hass_client_no_auth: ClientSessionGenerator
) -> None:
    """From outside the local network HA answers 200 with nothing, and nothing is recorded."""
    discovery, health = _paths(init_integration)
    client = await hass_client_no_auth()
    with patch("homeassistant.components.webhook.network_util.is_local", return_value=False):
        response = await client.post(health, json={"service": "vllm", "ok": False})
        assert response.status == HTTPStatus.OK
        assert await response.read() == b""
        response = await client.get(discovery)
        assert await response.read() == b""
    assert init_integration.runtime_data.activity.data.health.last is None


async def _set_options(hass: HomeAssistant, entry: Any, **changes: Any) -> None:
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "settings"}
    )
    user_input = {
        "status_interval": 15,
        "update_interval": 360,
        "swap_timeout": 1800,
        CONF_WEBHOOKS_ENABLED: True,
        CONF_REGENERATE_WEBHOOKS: False,
        **changes,
    }
    await hass.config_entries.options.async_configure(result["flow_id"], user_input)
    await hass.async_block_till_done()


async def test_switched_off_and_regenerated(
    hass: HomeAssistant, init_integration: Any, hass_client_no_auth: ClientSessionGenerator
) -> None:
    """Switched off, the hooks answer like unknown ones; regenerated, only the new URLs work."""
    old_discovery, old_health = _paths(init_integration)
    client = await hass_client_no_auth()

    await _set_options(hass, init_integration, **{CONF_WEBHOOKS_ENABLED: False})
    assert init_integration.state.name == "LOADED"
    assert await (await client.get(old_discovery)).read() == b""
    await client.post(old_health, json={"service": "vllm", "ok": False})
    assert init_integration.runtime_data.activity.data.health.last is None

    await _set_options(hass, init_integration, **{CONF_REGENERATE_WEBHOOKS: True})
    new_discovery, new_health = _paths(init_integration)
    assert (new_discovery, new_health) != (old_discovery, old_health)
    await client.post(old_health, json={"service": "vllm", "ok": False})
    assert init_integration.runtime_data.activity.data.health.last is None
    assert "vllm" in await (await client.get(new_discovery)).json()
    response = await client.post(new_health, json={"service": "vllm", "ok": False})
    assert response.status == HTTPStatus.OK
    assert init_integration.runtime_data.activity.data.health.last.service == "vllm"

    await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert await (await client.get(new_discovery)).read() == b""


async def test_not_loaded_and_chunked_bodies(
    hass: HomeAssistant, init_integration: Any, hass_client_no_auth: ClientSessionGenerator
) -> None:
    """While the entry is not loaded (a reload) both answer 503; a chunked body over 8 KiB 413."""
    from homeassistant.config_entries import ConfigEntryState

    discovery, health = _paths(init_integration)
    client = await hass_client_no_auth()

    async def chunks() -> Any:
        for _ in range(10):
            yield b" " * 1000

    response = await client.post(health, data=chunks())
    assert response.status == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    init_integration.mock_state(hass, ConfigEntryState.SETUP_IN_PROGRESS)
    try:
        assert (await client.get(discovery)).status == HTTPStatus.SERVICE_UNAVAILABLE
        response = await client.post(health, json={"service": "vllm", "ok": True})
        assert response.status == HTTPStatus.SERVICE_UNAVAILABLE
    finally:
        init_integration.mock_state(hass, ConfigEntryState.LOADED)


async def test_urls_without_a_known_base_url(hass: HomeAssistant) -> None:
    """When HA knows no URL of itself, the user still sees the webhook's path."""
    from homeassistant.helpers.network import NoURLAvailableError

    options = {CONF_WEBHOOK_DISCOVERY_ID: "d1", CONF_WEBHOOK_HEALTH_ID: "h1"}
    with patch.object(webhook.webhook, "async_generate_url", side_effect=NoURLAvailableError):
        assert webhook.webhook_urls(hass, options) == ("/api/webhook/d1", "/api/webhook/h1")
