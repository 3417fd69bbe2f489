"""Entity details: error translation, select options, unknown container state, add-on probe."""

from __future__ import annotations

import asyncio
from typing import Any
from unittest.mock import MagicMock

import aiohttp
import pytest
from homeassistant.const import STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError

from custom_components.spark_control.api import (
    CommandError,
    HostKeyChangedError,
    HostKeyUnknownError,
    InvalidInputError,
    ServiceStatus,
    SparkAuthError,
    SparkConnectionError,
    SparkError,
    SwapInProgressError,
    SwapProgress,
    SwapState,
)
from custom_components.spark_control.helpers import raise_for_spark_error

from .conftest import cluster_status


@pytest.mark.parametrize(
    ("error", "kind", "key"),
    [
        (InvalidInputError("model", "x;y", "bad"), ServiceValidationError, "invalid_input"),
        (SwapInProgressError("gemma4"), HomeAssistantError, "swap_in_progress"),
        (SparkAuthError("h", "spark"), HomeAssistantError, "auth_failed"),
        (
            HostKeyChangedError("h", 22, "SHA256:a", "SHA256:b"),
            HomeAssistantError,
            "host_key_changed",
        ),
        (
            HostKeyUnknownError("h", 22, "SHA256:a", "ssh-ed25519 AAAA"),
            HomeAssistantError,
            "host_key_changed",
        ),
        (SparkConnectionError("h", 22, "refused"), HomeAssistantError, "communication_error"),
        (CommandError("docker", 1, ["boom"]), HomeAssistantError, "command_failed"),
    ],
)
def test_raise_for_spark_error(error: SparkError, kind: type[Exception], key: str) -> None:
    """Each client error maps to one translated HA error carrying the real cause."""
    with pytest.raises(HomeAssistantError) as raised:
        raise_for_spark_error(error)
    assert type(raised.value) is kind
    assert raised.value.translation_key == key
    assert raised.value.__cause__ is error


def test_error_placeholder_is_one_sanitised_line() -> None:
    """Remote text in a message: control characters gone, length bounded."""
    error = CommandError("docker", 1, ["line one\x1b[31m\nline\ttwo\x00", "x" * 500])
    with pytest.raises(HomeAssistantError) as raised:
        raise_for_spark_error(error)
    text = raised.value.translation_placeholders["error"]
    assert not any(ord(char) < 32 or 0x7F <= ord(char) <= 0x9F for char in text)
    assert len(text) <= 300
    assert text.startswith("docker failed with exit status 1: line one")


async def test_model_loaded_outside_catalog_still_shows(
    hass: HomeAssistant, init_integration: Any, mock_cluster: MagicMock
) -> None:
    """A model started by hand appears as the current option."""
    mock_cluster.status.return_value = cluster_status(model="someone/custom-model")
    await init_integration.runtime_data.status.async_refresh()
    await hass.async_block_till_done()
    state = hass.states.get("select.vllm_cluster_model")
    assert state.state == "someone/custom-model"
    assert state.attributes["options"][-1] == "someone/custom-model"
    assert len(state.attributes["options"]) == 6


async def test_select_starts_swap_and_returns(
    hass: HomeAssistant, init_integration: Any, mock_cluster: MagicMock
) -> None:
    """select_option returns while the swap still runs."""
    release = asyncio.Event()

    async def swap(model: str, on_progress: Any, **kwargs: Any) -> SwapProgress:
        await release.wait()
        return SwapProgress(SwapState.READY, model)

    mock_cluster.swap_model.side_effect = swap
    await hass.services.async_call(
        "select",
        "select_option",
        {"entity_id": "select.vllm_cluster_model", "option": "Qwen/Qwen2.5-72B-Instruct"},
        blocking=True,
    )
    assert init_integration.runtime_data.jobs.swap_running
    assert mock_cluster.swap_model.call_args.args[0] == "qwen2.5-72b"
    release.set()
    await hass.async_block_till_done(wait_background_tasks=True)
    assert not init_integration.runtime_data.jobs.swap_running


async def test_client_reports_swap_already_running(
    hass: HomeAssistant, init_integration: Any, mock_cluster: MagicMock, caplog: Any
) -> None:
    """A swap started elsewhere (client busy) is refused up front, or logged if it races."""
    mock_cluster.swap_running = True
    with pytest.raises(HomeAssistantError, match="already running"):
        await hass.services.async_call(
            "spark_control",
            "swap_model",
            {"config_entry_id": init_integration.entry_id, "model": "gemma4"},
            blocking=True,
        )
    mock_cluster.swap_running = False
    mock_cluster.swap_model.side_effect = SwapInProgressError("gemma4")
    await hass.services.async_call(
        "spark_control",
        "swap_model",
        {"config_entry_id": init_integration.entry_id, "model": "gemma4"},
        blocking=True,
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    assert "A model swap was already running" in caplog.text


async def test_unload_cancels_running_jobs(
    hass: HomeAssistant, init_integration: Any, mock_cluster: MagicMock
) -> None:
    """Unload cancels a swap and a download that are still running."""
    started = asyncio.Event()

    async def forever(*args: Any, **kwargs: Any) -> Any:
        started.set()
        await asyncio.Event().wait()

    mock_cluster.swap_model.side_effect = forever
    mock_cluster.download_model.side_effect = forever
    entry_id = init_integration.entry_id
    await hass.services.async_call(
        "spark_control",
        "swap_model",
        {"config_entry_id": entry_id, "model": "gemma4"},
        blocking=True,
    )
    await hass.services.async_call(
        "spark_control",
        "download_model",
        {"config_entry_id": entry_id, "repo_id": "Qwen/Qwen3-8B"},
        blocking=True,
    )
    await started.wait()
    jobs = init_integration.runtime_data.jobs
    assert jobs.swap_running
    assert jobs.download_running
    assert await hass.config_entries.async_unload(entry_id)
    await hass.async_block_till_done()
    assert not jobs.swap_running
    assert not jobs.download_running
    mock_cluster.close.assert_awaited_once()


async def test_unknown_container_state(
    hass: HomeAssistant, init_integration: Any, mock_cluster: MagicMock
) -> None:
    """docker could not be asked: the switch is unknown, not off."""
    status = cluster_status()
    status.services["magpie"] = ServiceStatus(None, None, None)
    mock_cluster.status.return_value = status
    await init_integration.runtime_data.status.async_refresh()
    await hass.async_block_till_done()
    assert hass.states.get("switch.magpie_container").state == STATE_UNKNOWN
    assert hass.states.get("binary_sensor.magpie_ready").state == STATE_UNKNOWN


async def test_addon_probe_errors_mean_not_ready(
    hass: HomeAssistant, init_integration: Any, aioclient_mock: Any
) -> None:
    """A refused or timed-out add-on is not ready (off), never an error."""
    for failure in (aiohttp.ClientError(), TimeoutError()):
        aioclient_mock.clear_requests()
        aioclient_mock.get("http://127.0.0.1:8010/health", exc=failure)
        await init_integration.runtime_data.status.async_refresh()
        await hass.async_block_till_done()
        assert hass.states.get("binary_sensor.diarizer_add_on_ready").state == "off"
