"""Actions: validation (hostile inputs), entry resolution, error translation, background jobs."""

from __future__ import annotations

import asyncio
from typing import Any
from unittest.mock import MagicMock

import pytest
import voluptuous as vol
from homeassistant.core import Event, HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events
from syrupy.assertion import SnapshotAssertion

from custom_components.spark_control.api import (
    CommandError,
    DownloadProgress,
    DownloadState,
    LoadFailure,
    ModelLoadError,
    SwapProgress,
    SwapState,
)
from custom_components.spark_control.const import (
    DOMAIN,
    EVENT_DOWNLOAD,
    EVENT_DOWNLOAD_PROGRESS,
    EVENT_SWAP,
)

from .conftest import flow_entry_data

HOSTILE = [
    "qwen; rm -rf ~",
    "$(reboot)",
    "`id`",
    "org/model\nreboot",
    "org/'model'",
    "-oProxyCommand=x",
    "../../etc/passwd",
    "org/" + "a" * 300,
    "\u043erg/model",  # Cyrillic o
    "org\uff0fmodel",  # fullwidth slash
]


async def _call(
    hass: HomeAssistant, service: str, data: dict[str, Any], *, response: bool = False
) -> Any:
    return await hass.services.async_call(
        DOMAIN, service, data, blocking=True, return_response=response
    )


@pytest.mark.parametrize("value", HOSTILE, ids=range(len(HOSTILE)))
@pytest.mark.parametrize(
    ("service", "field", "extra"),
    [
        ("swap_model", "model", {}),
        ("download_model", "repo_id", {}),
        ("download_model", "revision", {"repo_id": "Qwen/Qwen3-8B"}),
        ("add_model", "repo_id", {}),
        ("remove_model", "model", {}),
        ("set_model_settings", "model", {}),
    ],
)
async def test_hostile_input_rejected(
    *,
    hass: HomeAssistant,
    init_integration: Any,
    mock_cluster: MagicMock,
    service: str,
    field: str,
    extra: dict[str, Any],
    value: str,
) -> None:
    """Shell metacharacters, newlines, look-alikes and oversize values never reach the client."""
    data = {"config_entry_id": init_integration.entry_id, **extra, field: value}
    with pytest.raises((ServiceValidationError, vol.Invalid)):
        await _call(hass, service, data)
    mock_cluster.swap_model.assert_not_called()
    mock_cluster.download_model.assert_not_called()
    assert len(mock_cluster.catalog.models()) == 5


async def test_unknown_and_unloaded_entries(hass: HomeAssistant, init_integration: Any) -> None:
    """Translated validation errors name the entry."""
    with pytest.raises(ServiceValidationError, match="was not found") as err:
        await _call(hass, "cancel_download", {"config_entry_id": "nope"})
    assert err.value.translation_key == "entry_not_found"
    other = MockConfigEntry(domain=DOMAIN, data=flow_entry_data(), unique_id="other")
    other.add_to_hass(hass)
    with pytest.raises(ServiceValidationError, match="is not loaded") as err:
        await _call(hass, "cancel_download", {"config_entry_id": other.entry_id})
    assert err.value.translation_key == "entry_not_loaded"


async def test_swap_runs_in_background_and_fires_events(
    hass: HomeAssistant, init_integration: Any, mock_cluster: MagicMock
) -> None:
    """The action returns while the swap runs; a second swap is refused; events follow states."""
    events = async_capture_events(hass, EVENT_SWAP)
    release = asyncio.Event()

    async def swap(model: str, on_progress: Any, **kwargs: Any) -> SwapProgress:
        on_progress(SwapProgress(SwapState.STOPPING, model))
        on_progress(SwapProgress(SwapState.LOADING, model, shard_percent=50.0))
        on_progress(SwapProgress(SwapState.LOADING, model, shard_percent=75.0))
        await release.wait()
        done = SwapProgress(SwapState.READY, model)
        mock_cluster.swap_progress = done
        on_progress(done)
        return done

    mock_cluster.swap_model.side_effect = swap
    entry_id = init_integration.entry_id
    await _call(hass, "swap_model", {"config_entry_id": entry_id, "model": "gemma4"})
    await asyncio.sleep(0)
    assert mock_cluster.swap_model.call_args.args[0] == "gemma4"
    assert mock_cluster.swap_model.call_args.kwargs["timeout"] == 1800
    with pytest.raises(HomeAssistantError, match="already running") as err:
        await hass.services.async_call(
            "select",
            "select_option",
            {"entity_id": "select.vllm_cluster_model", "option": "Qwen/Qwen2.5-72B-Instruct"},
            blocking=True,
        )
    assert err.value.translation_key == "swap_in_progress"
    assert init_integration.runtime_data.status.update_interval.total_seconds() == 2

    release.set()
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [event.data["state"] for event in events] == ["stopping", "loading", "ready"]
    assert events[0].data["config_entry_id"] == entry_id
    assert hass.states.get("sensor.vllm_cluster_swap_state").state == "ready"
    assert hass.states.get("sensor.vllm_cluster_swap_progress").state == "100.0"
    assert init_integration.runtime_data.status.update_interval.total_seconds() == 15


async def test_swap_failure_is_reported(
    hass: HomeAssistant, init_integration: Any, mock_cluster: MagicMock, caplog: Any
) -> None:
    """A failed load shows as failed with its real cause."""
    failed = SwapProgress(SwapState.FAILED, "gemma4", error="No available memory for the cache")

    async def swap(model: str, on_progress: Any, **kwargs: Any) -> SwapProgress:
        mock_cluster.swap_progress = failed
        raise ModelLoadError(LoadFailure.NO_CACHE_BLOCKS, "No available memory for the cache")

    mock_cluster.swap_model.side_effect = swap
    events = async_capture_events(hass, EVENT_SWAP)
    await _call(
        hass, "swap_model", {"config_entry_id": init_integration.entry_id, "model": "gemma4"}
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get("sensor.vllm_cluster_swap_state").state == "failed"
    assert events[-1].data["error"] == "No available memory for the cache"
    assert "Model swap to gemma4 failed" in caplog.text


async def test_unknown_model(hass: HomeAssistant, init_integration: Any) -> None:
    """A model outside the catalog is a validation error naming it."""
    with pytest.raises(ServiceValidationError, match="Qwen/Nope is not in the catalog"):
        await _call(
            hass, "swap_model", {"config_entry_id": init_integration.entry_id, "model": "Qwen/Nope"}
        )


async def test_download_adds_to_catalog(
    hass: HomeAssistant, init_integration: Any, mock_cluster: MagicMock
) -> None:
    """Download in the background, progress events, then the model joins the catalog."""
    events: list[Event] = async_capture_events(hass, EVENT_DOWNLOAD)
    ticks: list[Event] = async_capture_events(hass, EVENT_DOWNLOAD_PROGRESS)

    async def download(repo: str, target: str, revision: Any, on_progress: Any) -> DownloadProgress:
        for done in (0, 50, 50, 100):
            progress = DownloadProgress(repo, "solo", DownloadState.RUNNING, done, 100, 10.0, 5.0)
            mock_cluster.download_progress = progress
            on_progress(progress)
        result = DownloadProgress(repo, "solo", DownloadState.COMPLETED, 100, 100)
        mock_cluster.download_progress = result
        return result

    mock_cluster.download_model.side_effect = download
    await _call(
        hass,
        "download_model",
        {
            "config_entry_id": init_integration.entry_id,
            "repo_id": "Qwen/Qwen3-8B",
            "target": "solo",
            "add_to_catalog": True,
            "name": "Qwen3 8B",
            "revision": "main",
        },
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    assert mock_cluster.download_model.call_args.args[:3] == ("Qwen/Qwen3-8B", "solo", "main")
    # One event per transition (what the logbook shows), one progress event per whole percent.
    assert [(e.data["state"], e.data["percent"]) for e in events] == [
        ("running", 0.0),
        ("completed", 100.0),
    ]
    assert [(e.data["state"], e.data["percent"]) for e in ticks] == [
        ("running", 50.0),
        ("running", 100.0),
    ]
    added = mock_cluster.catalog.get("Qwen/Qwen3-8B")
    assert added is not None
    assert added.name == "Qwen3 8B"
    state = hass.states.get("sensor.vllm_cluster_download_progress")
    assert state.state == "100.0"
    assert state.attributes["repo_id"] == "Qwen/Qwen3-8B"
    assert "Qwen/Qwen3-8B" in hass.states.get("select.vllm_cluster_model").attributes["options"]


async def test_download_twice_and_cancel(
    hass: HomeAssistant, init_integration: Any, mock_cluster: MagicMock, caplog: Any
) -> None:
    """One download at a time; cancel needs a running download; failures are logged."""
    entry_id = init_integration.entry_id
    with pytest.raises(ServiceValidationError, match="No download is running"):
        await _call(hass, "cancel_download", {"config_entry_id": entry_id})
    release = asyncio.Event()

    async def download(repo: str, target: str, revision: Any, on_progress: Any) -> DownloadProgress:
        await release.wait()
        mock_cluster.download_progress = DownloadProgress(
            repo, target, DownloadState.FAILED, error="gated"
        )
        raise CommandError("hf download", 1, ["gated repo"])

    mock_cluster.download_model.side_effect = download
    data = {"config_entry_id": entry_id, "repo_id": "meta-llama/Llama-4"}
    await _call(hass, "download_model", data)
    with pytest.raises(HomeAssistantError, match="already running"):
        await _call(hass, "download_model", data)
    await _call(hass, "cancel_download", {"config_entry_id": entry_id})
    mock_cluster.cancel_download.assert_awaited_once()
    release.set()
    await hass.async_block_till_done(wait_background_tasks=True)
    assert "Download of meta-llama/Llama-4 failed" in caplog.text
    assert mock_cluster.catalog.get("meta-llama/Llama-4") is None


async def test_catalog_actions(
    hass: HomeAssistant, init_integration: Any, mock_cluster: MagicMock
) -> None:
    """Add, set settings, remove; bundled models cannot be removed (translated error)."""
    entry_id = init_integration.entry_id
    await _call(
        hass,
        "add_model",
        {
            "config_entry_id": entry_id,
            "repo_id": "Qwen/Qwen3-8B",
            "name": "Small",
            "target": "solo",
        },
    )
    assert mock_cluster.catalog.get("Qwen/Qwen3-8B").name == "Small"
    with pytest.raises(ServiceValidationError, match="already in the catalog"):
        await _call(hass, "add_model", {"config_entry_id": entry_id, "repo_id": "Qwen/Qwen3-8B"})
    await _call(
        hass,
        "set_model_settings",
        {
            "config_entry_id": entry_id,
            "model": "Qwen/Qwen3-8B",
            "max_model_len": 8192,
            "gpu_memory_utilization": 0.5,
            "fp8_kv_cache": True,
        },
    )
    settings = mock_cluster.catalog.get("Qwen/Qwen3-8B").settings
    assert (settings.max_model_len, settings.gpu_memory_utilization, settings.fp8_kv_cache) == (
        8192,
        0.5,
        True,
    )
    with pytest.raises(vol.Invalid):
        await _call(
            hass,
            "set_model_settings",
            {"config_entry_id": entry_id, "model": "gemma4", "gpu_memory_utilization": 5},
        )
    await _call(hass, "remove_model", {"config_entry_id": entry_id, "model": "Qwen/Qwen3-8B"})
    assert mock_cluster.catalog.get("Qwen/Qwen3-8B") is None
    with pytest.raises(ServiceValidationError, match="bundled models cannot be removed") as err:
        await _call(hass, "remove_model", {"config_entry_id": entry_id, "model": "gemma4"})
    assert err.value.translation_key == "invalid_input"


async def test_get_swap_log(
    hass: HomeAssistant, init_integration: Any, mock_cluster: MagicMock, snapshot: SnapshotAssertion
) -> None:
    """Response-only action: state and log lines."""
    mock_cluster.swap_progress = SwapProgress(SwapState.LOADING, "gemma4", "Loading shards 2/4")
    mock_cluster.swap_log = [
        "(APIServer pid=1) INFO vLLM API server version 0.11",
        "Loading shards 2/4",
    ]
    mock_cluster.swap_running = True
    response = await _call(
        hass, "get_swap_log", {"config_entry_id": init_integration.entry_id}, response=True
    )
    assert response == snapshot


async def test_container_switch_and_restart(
    hass: HomeAssistant, init_integration: Any, mock_cluster: MagicMock
) -> None:
    """Commands go to the client and refresh; client errors become translated HA errors."""
    await hass.services.async_call(
        "switch", "turn_on", {"entity_id": "switch.magpie_container"}, blocking=True
    )
    mock_cluster.service_action.assert_awaited_with("magpie", "start")
    await hass.services.async_call(
        "switch", "turn_off", {"entity_id": "switch.parakeet_container"}, blocking=True
    )
    mock_cluster.service_action.assert_awaited_with("parakeet", "stop")
    await hass.services.async_call(
        "button", "press", {"entity_id": "button.parakeet_restart"}, blocking=True
    )
    mock_cluster.service_action.assert_awaited_with("parakeet", "restart")
    mock_cluster.service_action.side_effect = CommandError("docker start", 1, ["No such container"])
    with pytest.raises(HomeAssistantError, match="No such container") as err:
        await hass.services.async_call(
            "switch", "turn_on", {"entity_id": "switch.magpie_container"}, blocking=True
        )
    assert err.value.translation_key == "command_failed"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("max_model_len", float("inf")),
        ("max_model_len", float("-inf")),
        ("max_model_len", float("nan")),
        ("max_model_len", 8192.5),
        ("max_model_len", True),
        ("max_model_len", "1e400"),
        ("max_model_len", [8192]),
        ("gpu_memory_utilization", float("inf")),
        ("gpu_memory_utilization", float("nan")),
        ("gpu_memory_utilization", "nan"),
    ],
)
async def test_model_settings_refuse_non_finite_numbers(
    hass: HomeAssistant, init_integration: Any, field: str, value: Any
) -> None:
    """YAML's .inf/.nan and fractions are a validation error, never an OverflowError."""
    with pytest.raises(vol.Invalid):
        await _call(
            hass,
            "set_model_settings",
            {"config_entry_id": init_integration.entry_id, "model": "gemma4", field: value},
        )
    settings = init_integration.runtime_data.client.catalog.get("gemma4").settings
    assert settings.max_model_len is None or settings.max_model_len >= 256


async def test_model_settings_take_whole_numbers_from_yaml(
    hass: HomeAssistant, init_integration: Any
) -> None:
    """8192.0 (YAML float) and "8192" (text) are the whole number 8192."""
    for value in (8192.0, "8192"):
        await _call(
            hass,
            "set_model_settings",
            {
                "config_entry_id": init_integration.entry_id,
                "model": "gemma4",
                "max_model_len": value,
            },
        )
        settings = init_integration.runtime_data.client.catalog.get("gemma4").settings
        assert settings.max_model_len == 8192


async def test_model_settings_tool_call_parser(hass: HomeAssistant, init_integration: Any) -> None:
    """A vLLM parser name is stored, "none" clears it, anything else is a translated error."""
    entry_id = init_integration.entry_id
    catalog = init_integration.runtime_data.client.catalog
    assert catalog.get("gemma4").settings.tool_call_parser == "gemma4"
    base = {"config_entry_id": entry_id, "model": "gemma4"}
    await _call(hass, "set_model_settings", {**base, "tool_call_parser": "none"})
    assert catalog.get("gemma4").settings.tool_call_parser is None
    await _call(hass, "set_model_settings", {**base, "tool_call_parser": "pythonic"})
    assert catalog.get("gemma4").settings.tool_call_parser == "pythonic"
    for hostile in ("hermes; reboot", "$(touch /tmp/x)", "--trust-remote-code", "hermès"):
        with pytest.raises(ServiceValidationError) as err:
            await _call(hass, "set_model_settings", {**base, "tool_call_parser": hostile})
        assert err.value.translation_key == "invalid_input"
        assert "tool_call_parser" in err.value.translation_placeholders["error"]
    assert catalog.get("gemma4").settings.tool_call_parser == "pythonic"
