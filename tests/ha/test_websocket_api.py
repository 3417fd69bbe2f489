"""The panel's websocket API (docs/panel-api.md) with HA's websocket test client.

Admin-only, per entry, the actions' validation and error translation, hostile values, and the
subscription: snapshot first, then each change, released on unsubscribe, close and unload.
The client is mocked at the integration boundary here; tests/ha/test_websocket_sim.py drives
the same commands against the simulated Sparks.
"""

from __future__ import annotations

import asyncio
from typing import Any
from unittest.mock import MagicMock

import aiohttp
import pytest
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.spark_control.api import (
    DownloadProgress,
    DownloadState,
    LoadFailure,
    ModelLoadError,
    ServiceStatus,
    SwapProgress,
    SwapState,
    UpdateError,
    UpdateInfo,
)
from custom_components.spark_control.health import HealthReport

from .conftest import ENTRY_ID, cluster_status
from .test_services import HOSTILE

COMMANDS = [
    "entries",
    "snapshot",
    "subscribe",
    "swap",
    "download",
    "cancel_download",
    "validate_repo",
    "add_model",
    "remove_model",
    "model_settings",
    "service",
    "update_check",
    "update_apply",
]


class Client:
    """The websocket test client with the calls the tests repeat."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws

    async def call(self, command: str, **fields: Any) -> dict[str, Any]:
        """Send a command of the entry under test; the whole result message."""
        if command != "entries":
            fields.setdefault("entry_id", ENTRY_ID)
        await self.ws.send_json_auto_id({"type": f"spark_control/{command}", **fields})
        return await self.result()

    async def result(self) -> dict[str, Any]:
        """The next result message (events of subscriptions are skipped)."""
        while True:
            msg = await self.ws.receive_json()
            if msg["type"] == "result":
                return msg

    async def ok(self, command: str, **fields: Any) -> Any:
        msg = await self.call(command, **fields)
        assert msg["success"], msg
        return msg["result"]

    async def error(self, command: str, **fields: Any) -> dict[str, Any]:
        msg = await self.call(command, **fields)
        assert not msg["success"], msg
        return msg["error"]


class Subscription:
    """A subscription's events, read from its own websocket connection."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.id = 0

    async def start(self, entry_id: str = ENTRY_ID) -> dict[str, Any]:
        await self.ws.send_json_auto_id({"type": "spark_control/subscribe", "entry_id": entry_id})
        result = await self.ws.receive_json()
        assert result["success"], result
        self.id = result["id"]
        first = await self.next()
        assert first["kind"] == "snapshot"
        return first["snapshot"]

    async def next(self, timeout: float = 30) -> dict[str, Any]:
        async with asyncio.timeout(timeout):
            msg = await self.ws.receive_json()
        assert msg["type"] == "event" and msg["id"] == self.id, msg
        return msg["event"]

    async def until(self, kind: str, check: Any = None, timeout: float = 30) -> dict[str, Any]:
        """The first later event of `kind` (passing `check`); earlier ones are dropped."""
        async with asyncio.timeout(timeout):
            while True:
                event = await self.next(timeout)
                if event["kind"] == kind and (check is None or check(event)):
                    return event


@pytest.fixture
async def client(
    hass: HomeAssistant, init_integration: Any, hass_ws_client: WebSocketGenerator
) -> Client:
    return Client(await hass_ws_client(hass))


@pytest.fixture
async def subscription(
    hass: HomeAssistant, init_integration: Any, hass_ws_client: WebSocketGenerator
) -> Subscription:
    return Subscription(await hass_ws_client(hass))


# --- access and entries --------------------------------------------------------------


async def test_a_non_admin_is_refused(
    hass: HomeAssistant,
    init_integration: Any,
    mock_cluster: MagicMock,
    hass_ws_client: WebSocketGenerator,
    hass_read_only_access_token: str,
) -> None:
    ws = await hass_ws_client(hass, hass_read_only_access_token)
    for command in COMMANDS:
        fields = {"entry_id": ENTRY_ID, "model": "qwen36"}
        if command == "entries":
            fields = {}
        await ws.send_json_auto_id({"type": f"spark_control/{command}", **fields})
        msg = await ws.receive_json()
        assert msg["success"] is False, command
        assert msg["error"]["code"] == "unauthorized", command
    mock_cluster.swap_model.assert_not_called()
    assert init_integration.runtime_data.feed.subscribers == 0


async def test_entries_and_unknown_or_unloaded_entries(
    hass: HomeAssistant, init_integration: Any, client: Client
) -> None:
    entries = (await client.ok("entries"))["entries"]
    assert entries == [
        {"entry_id": ENTRY_ID, "title": "Spark cluster 127.0.0.1", "state": "loaded"}
    ]
    error = await client.error("snapshot", entry_id="nope")
    assert error["code"] == "home_assistant_error"
    assert error["translation_key"] == "entry_not_found"
    assert error["message"].startswith("Config entry nope was not found")
    long_id = await client.error("swap", entry_id="x" * 10_000, model="qwen36")
    assert long_id["translation_key"] == "entry_not_found"
    assert len(long_id["message"]) < 200
    wrong_type = await client.error("snapshot", entry_id=42)
    assert wrong_type["code"] == "invalid_format"
    missing = await client.call("snapshot", entry_id=None)
    assert missing["error"]["code"] == "invalid_format"

    assert await hass.config_entries.async_unload(ENTRY_ID)
    error = await client.error("swap", model="qwen36")
    assert error["translation_key"] == "entry_not_loaded"
    assert (await client.ok("entries"))["entries"][0]["state"] == "not_loaded"


async def test_snapshot(hass: HomeAssistant, init_integration: Any, client: Client) -> None:
    snap = await client.ok("snapshot")
    assert snap["entry_id"] == ENTRY_ID
    status = snap["status"]
    assert status["available"] is True and status["error"] is None
    assert status["nodes"]["head"]["reachable"] is True
    assert status["nodes"]["head"]["gpu"]["name"] == "NVIDIA GB10"
    assert status["vllm"]["model"] == "RedHatAI/Qwen3.6-35B-A3B-NVFP4"
    assert status["vllm"]["base_url"] == "http://127.0.0.1:8888/v1"
    assert status["services"]["parakeet"] == {
        "container_state": "running",
        "ready": True,
        "model": "nvidia/parakeet-tdt-0.6b-v3",
        "base_url": "http://127.0.0.1:8000",
        "controllable": True,
    }
    assert status["checkout"] == {"commit": "74c02c3", "dialect": "aug2026"}
    assert snap["swap"]["state"] == "idle" and snap["swap"]["running"] is False
    keys = [model["key"] for model in snap["catalog"]]
    assert "qwen36" in keys and all(model["builtin"] for model in snap["catalog"])
    assert set(snap["catalog"][0]["settings"]) >= {
        "max_model_len",
        "gpu_memory_utilization",
        "fastsafetensors",
        "prefix_caching",
        "fp8_kv_cache",
    }
    assert snap["download"] is None
    assert snap["update"]["behind"] == 3
    assert snap["update"]["release_notes"][0] == "358bf26 Add recipes"
    assert snap["update"]["install"] is None
    assert snap["swap_log"] == [] and snap["update_log"] == []
    assert snap["health"]["failures"]["parakeet"] == 0
    # Magpie was down at the first poll: the connectivity log says so.
    assert snap["health"]["log"][0]["service"] == "magpie"
    assert snap["health"]["log"][0]["ok"] is False


# --- validation: the actions' rules, with the field named ---------------------------------


async def test_hostile_values_are_refused_before_any_command_runs(
    hass: HomeAssistant, init_integration: Any, mock_cluster: MagicMock, client: Client
) -> None:
    for value in HOSTILE:
        for command, field, extra in (
            ("swap", "model", {}),
            ("download", "repo_id", {}),
            ("download", "revision", {"repo_id": "org/model"}),
            ("add_model", "repo_id", {}),
            ("remove_model", "model", {}),
            ("model_settings", "model", {}),
            ("service", "service", {"action": "restart"}),
        ):
            error = await client.error(command, **{field: value, **extra})
            assert error["code"] == "home_assistant_error", (command, field, error)
            placeholders = error["translation_placeholders"]
            if error["translation_key"] != "service_not_configured":
                assert placeholders["field"] == field, (command, error)
            assert "\n" not in error["message"]
        verdict = await client.call("validate_repo", repo_id=value)
        if verdict["success"]:
            assert verdict["result"]["valid"] is False
            assert set(verdict["result"]["errors"]) == {"repo_id"}
        else:
            assert verdict["error"]["translation_placeholders"]["field"] == "repo_id"
    newline = await client.error("download", repo_id="org/model", name="a\nb")
    assert newline["translation_placeholders"]["field"] == "name"
    mock_cluster.swap_model.assert_not_called()
    mock_cluster.download_model.assert_not_called()
    mock_cluster.service_action.assert_not_called()
    catalog = init_integration.runtime_data.client.catalog
    assert [model.key for model in catalog.models() if not model.builtin] == []


@pytest.mark.parametrize(
    ("fields", "field", "key"),
    [
        ({"max_model_len": "abc"}, "max_model_len", "invalid_field"),
        ({"max_model_len": 1.5}, "max_model_len", "invalid_field"),
        ({"max_model_len": 100}, "max_model_len", "invalid_field"),
        ({"max_model_len": 10**9}, "max_model_len", "invalid_input"),
        ({"max_model_len": True}, "max_model_len", "invalid_field"),
        ({"gpu_memory_utilization": 1.5}, "gpu_memory_utilization", "invalid_field"),
        ({"gpu_memory_utilization": [0.5]}, "gpu_memory_utilization", "invalid_field"),
        ({"fastsafetensors": "maybe"}, "fastsafetensors", "invalid_field"),
        ({"prefix_caching": {"a": 1}}, "prefix_caching", "invalid_field"),
        ({"tool_call_parser": "hermes; reboot"}, "tool_call_parser", "invalid_input"),
        ({"tool_call_parser": 7}, "tool_call_parser", "invalid_input"),
        ({"evil": "$(reboot)"}, "evil", "invalid_field"),
        ({"model": ["qwen36"]}, "model", "invalid_field"),
        ({"model": "nope"}, "model", "unknown_model"),
    ],
)
async def test_model_settings_errors_name_their_field(
    *,
    hass: HomeAssistant,
    init_integration: Any,
    client: Client,
    fields: dict[str, Any],
    field: str,
    key: str,
) -> None:
    before = init_integration.runtime_data.client.catalog.get("qwen36")
    error = await client.error("model_settings", **{"model": "qwen36", **fields})
    assert error["translation_key"] == key
    assert error["translation_placeholders"]["field"] == field
    assert error["message"]
    assert init_integration.runtime_data.client.catalog.get("qwen36") == before


async def test_validate_repo(hass: HomeAssistant, init_integration: Any, client: Client) -> None:
    assert await client.ok("validate_repo", repo_id="TinyLlama/TinyLlama-1.1B") == {
        "valid": True,
        "errors": {},
        "in_catalog": False,
    }
    inside = await client.ok("validate_repo", repo_id="RedHatAI/Qwen3.6-35B-A3B-NVFP4")
    assert inside["in_catalog"] is True
    bad = await client.ok("validate_repo", repo_id="tiny", revision="a/../b")
    assert bad["valid"] is False and set(bad["errors"]) == {"repo_id", "revision"}
    error = await client.error("validate_repo", repo_id=["org/model"])
    assert error["translation_key"] == "invalid_field"
    assert error["translation_placeholders"]["field"] == "repo_id"


# --- commands and the subscription ---------------------------------------------------------


async def test_catalog_edits_reach_the_subscription(
    hass: HomeAssistant, init_integration: Any, client: Client, subscription: Subscription
) -> None:
    keys = [model["key"] for model in (await subscription.start())["catalog"]]
    result = await client.ok(
        "model_settings",
        model="qwen36",
        max_model_len=32768,
        gpu_memory_utilization=0.85,
        fastsafetensors=True,
        tool_call_parser="hermes",
    )
    settings = result["model"]["settings"]
    assert settings["tool_call_parser"] == "hermes"
    assert settings["max_model_len"] == 32768 and settings["fastsafetensors"] is True
    event = await subscription.until("catalog")
    pushed = next(m for m in event["catalog"] if m["key"] == "qwen36")
    assert pushed["settings"] == settings
    reset = await client.ok("model_settings", model="qwen36", max_model_len=None)
    assert reset["model"]["settings"]["max_model_len"] is None
    assert reset["model"]["settings"]["gpu_memory_utilization"] == 0.85

    added = await client.ok(
        "add_model", repo_id="TinyLlama/TinyLlama-1.1B-Chat-v1.0", name="TinyLlama"
    )
    assert added["model"]["builtin"] is False and added["model"]["mode"] == "solo"
    event = await subscription.until("catalog", lambda e: len(e["catalog"]) > 5)
    assert event["catalog"][-1]["repo_id"] == "TinyLlama/TinyLlama-1.1B-Chat-v1.0"
    again = await client.error("add_model", repo_id="TinyLlama/TinyLlama-1.1B-Chat-v1.0")
    assert again["translation_key"] == "invalid_input"
    assert again["translation_placeholders"]["field"] == "repo_id"
    bundled = await client.error("remove_model", model="qwen36")
    assert bundled["translation_placeholders"]["field"] == "model"
    assert await client.ok("remove_model", model=added["model"]["key"]) is None
    event = await subscription.until("catalog", lambda e: len(e["catalog"]) == len(keys))
    assert "TinyLlama/TinyLlama-1.1B-Chat-v1.0" not in [m["repo_id"] for m in event["catalog"]]


async def test_a_swap_streams_its_log_lines_and_states(
    hass: HomeAssistant,
    init_integration: Any,
    mock_cluster: MagicMock,
    client: Client,
    subscription: Subscription,
) -> None:
    release = asyncio.Event()
    lines = [f"line {n} $(reboot)\x1b[31m" for n in range(5)]

    async def swap(model: str, on_progress: Any, **kwargs: Any) -> SwapProgress:
        progress = SwapProgress(SwapState.STOPPING, "google/gemma-4")
        mock_cluster.swap_progress = progress
        mock_cluster.swap_running = True
        on_progress(progress)
        await asyncio.sleep(0)
        for line in lines:
            kwargs["on_log"](line)
        progress = SwapProgress(SwapState.LOADING, "google/gemma-4", lines[-1], 50.0)
        mock_cluster.swap_progress = progress
        on_progress(progress)
        await release.wait()
        mock_cluster.swap_running = False
        failed = SwapProgress(
            SwapState.FAILED,
            "google/gemma-4",
            error="KV cache too small",
            failure=LoadFailure.KV_CACHE,
        )
        mock_cluster.swap_progress = failed
        on_progress(failed)
        raise ModelLoadError(LoadFailure.KV_CACHE, "KV cache too small")

    mock_cluster.swap_model.side_effect = swap
    await subscription.start()
    assert await client.ok("swap", model="gemma4") is None
    reset = await subscription.until("swap_log")
    assert reset == {"kind": "swap_log", "lines": [], "reset": True}
    stopping = await subscription.until("swap")
    assert stopping["swap"]["state"] == "stopping" and stopping["swap"]["running"] is True
    got: list[str] = []
    while len(got) < len(lines):
        got += (await subscription.until("swap_log"))["lines"]
    assert got == [f"line {n} $(reboot) [31m" for n in range(5)]  # one printable line each
    loading = await subscription.until("swap", lambda e: e["swap"]["state"] == "loading")
    assert loading["swap"]["shard_percent"] == 50.0
    refused = await client.error("swap", model="gemma4")
    assert refused["translation_key"] == "swap_in_progress"
    release.set()
    failed = await subscription.until("swap", lambda e: not e["swap"]["running"])
    assert failed["swap"]["state"] == "failed"
    assert failed["swap"]["failure"] == "kv_cache"
    snap = await client.ok("snapshot")
    assert snap["swap_log"] == got


async def test_download_progress_is_pushed_per_report(
    hass: HomeAssistant,
    init_integration: Any,
    mock_cluster: MagicMock,
    client: Client,
    subscription: Subscription,
) -> None:
    repo = "TinyLlama/TinyLlama-1.1B-Chat-v1.0"
    release = asyncio.Event()

    async def download(
        repo_id: str, target: str, revision: str | None, on_progress: Any
    ) -> DownloadProgress:
        total = 1000
        for done in (0, 100, 105, 110, 600):  # 100 → 105 → 110: bytes move within one percent
            progress = DownloadProgress(
                repo_id, target, DownloadState.RUNNING, done, total, 50.0, (total - done) / 50
            )
            mock_cluster.download_progress = progress
            on_progress(progress)
            await asyncio.sleep(0)
        await release.wait()
        done_progress = DownloadProgress(
            repo_id, target, DownloadState.COMPLETED, total, total, None, 0.0
        )
        mock_cluster.download_progress = done_progress
        return done_progress

    mock_cluster.download_model.side_effect = download
    await subscription.start()
    none = await client.error("cancel_download")
    assert none["translation_key"] == "no_download"
    assert await client.ok("download", repo_id=repo, target="solo", revision="main") is None
    assert mock_cluster.download_model.call_args.args[:3] == (repo, "solo", "main")
    seen: list[int] = []
    while len(seen) < 5:
        event = await subscription.until("download")
        if event["download"]["state"] == "running" and event["download"]["bytes_done"] is not None:
            seen.append(event["download"]["bytes_done"])
    assert seen == [0, 100, 105, 110, 600]
    assert event["download"]["percent"] == 60.0 and event["download"]["eta_s"] == 8.0
    assert event["download"]["running"] is True and event["download"]["in_catalog"] is False
    busy = await client.error("download", repo_id=repo)
    assert busy["translation_key"] == "download_in_progress"
    release.set()
    done = await subscription.until("download", lambda e: not e["download"]["running"])
    assert done["download"]["state"] == "completed"
    assert done["download"]["percent"] == 100.0


async def test_health_reports_and_poll_transitions_reach_the_connectivity_log(
    hass: HomeAssistant,
    init_integration: Any,
    mock_cluster: MagicMock,
    subscription: Subscription,
    aioclient_mock: Any,
) -> None:
    # Magpie coming back makes the TTS entity ask for its voices: none here.
    aioclient_mock.get(
        "http://127.0.0.1:9000/v1/audio/list_voices", exc=aiohttp.ClientError("none")
    )
    snap = await subscription.start()
    runtime = init_integration.runtime_data
    runtime.activity.async_record_health(
        HealthReport.create("parakeet", False, source="open-webui", error="HTTP 503", ms=420)
    )
    event = await subscription.until("health")
    assert event["event"]["kind"] == "report"
    assert event["event"]["service"] == "parakeet" and event["event"]["changed"] is True
    assert event["event"]["error"] == "HTTP 503" and event["event"]["ms"] == 420
    assert event["failures"]["parakeet"] == 1 and event["verdicts"] == {"parakeet": False}

    status = cluster_status()
    status.services["magpie"] = ServiceStatus("running", True, "magpie")
    mock_cluster.status.return_value = status
    await runtime.status.async_refresh()
    event = await subscription.until("health")
    assert event["event"]["kind"] == "transition"
    assert event["event"]["service"] == "magpie" and event["event"]["ok"] is True
    log = (await Client(subscription.ws).ok("snapshot"))["health"]["log"]
    assert [item["kind"] for item in log[:2]] == ["transition", "report"]  # newest first
    assert len(log) == len(snap["health"]["log"]) + 2


async def test_status_event_follows_a_changed_poll(
    hass: HomeAssistant,
    init_integration: Any,
    mock_cluster: MagicMock,
    subscription: Subscription,
) -> None:
    await subscription.start()
    mock_cluster.status.return_value = cluster_status(model=None)
    await init_integration.runtime_data.status.async_refresh()
    event = await subscription.until("status")
    assert event["status"]["vllm"]["ready"] is False and event["status"]["vllm"]["model"] is None


async def test_service_command(
    hass: HomeAssistant,
    init_integration: Any,
    mock_cluster: MagicMock,
    client: Client,
) -> None:
    mock_cluster.service_action.return_value = ServiceStatus("exited", False, None)
    polls = mock_cluster.status.call_count
    result = await client.ok("service", service="magpie", action="stop")
    assert result["service"]["container_state"] == "exited"
    mock_cluster.service_action.assert_called_once_with("magpie", "stop")
    assert mock_cluster.status.call_count == polls + 1  # polled at once
    missing = await client.error("service", service="diarizer", action="start")
    assert missing["translation_key"] == "service_not_configured"
    wrong = await client.error("service", service="magpie", action="reboot")
    assert wrong["translation_placeholders"]["field"] == "action"
    assert mock_cluster.service_action.call_count == 1


async def test_update_check_and_apply_with_its_build_log(
    hass: HomeAssistant,
    init_integration: Any,
    mock_cluster: MagicMock,
    client: Client,
    subscription: Subscription,
) -> None:
    await subscription.start()
    mock_cluster.check_update.return_value = UpdateInfo("74c02c3", "9b07e44", 4, ["9b07e44 x"])
    checked = await client.ok("update_check")
    assert checked["update"]["behind"] == 4
    pushed = await subscription.until("update")
    assert pushed["update"]["upstream"] == "9b07e44", pushed

    mock_cluster.check_update.side_effect = UpdateError("git_failed", "no network")
    failed = await client.error("update_check")
    assert failed["translation_key"] == "command_failed"
    event = await subscription.until("update", lambda e: e["update"]["error"] is not None)
    assert "no network" in event["update"]["error"] and event["update"]["behind"] == 4

    release = asyncio.Event()

    async def apply(on_log: Any) -> UpdateInfo:
        on_log("$ git pull")
        on_log("Updating 74c02c3..9b07e44")
        await release.wait()
        on_log("build done")
        return UpdateInfo("9b07e44", "9b07e44", 0, [])

    mock_cluster.apply_update.side_effect = apply
    assert await client.ok("update_apply") is None
    assert (await subscription.until("update_log"))["reset"] is True
    first = await subscription.until("update_log")
    second = await subscription.until("update_log")
    assert first["lines"] + second["lines"] == ["$ git pull", "Updating 74c02c3..9b07e44"]
    busy = await client.error("update_apply")
    assert busy["translation_key"] == "install_in_progress"
    release.set()
    assert (await subscription.until("update_log"))["lines"] == ["build done"]
    ended = await subscription.until(
        "update", lambda e: e["update"]["install"] and not e["update"]["install"]["running"]
    )
    assert ended["update"]["install"] == {"running": False, "error": None, "log_lines": 3}
    done = await subscription.until("update", lambda e: e["update"]["behind"] == 0)
    assert done["update"]["installed"] == "9b07e44"
    assert done["update"]["error"] is None


async def test_subscriptions_end_on_unsubscribe_close_and_unload(
    hass: HomeAssistant,
    init_integration: Any,
    hass_ws_client: WebSocketGenerator,
    subscription: Subscription,
) -> None:
    feed = init_integration.runtime_data.feed
    await subscription.start()
    other = Subscription(await hass_ws_client(hass))
    await other.start()
    third = Subscription(await hass_ws_client(hass))
    await third.start()
    assert feed.subscribers == 3

    await other.ws.send_json_auto_id({"type": "unsubscribe_events", "subscription": other.id})
    assert (await other.ws.receive_json())["success"] is True
    assert feed.subscribers == 2
    await third.ws.close()
    await hass.async_block_till_done()
    assert feed.subscribers == 1

    assert await hass.config_entries.async_unload(ENTRY_ID)
    closed = await subscription.until("closed")
    assert closed == {"kind": "closed", "reason": "entry_unloaded"}
    assert feed.subscribers == 0
    # The subscription is gone from the connection too: unsubscribing finds nothing.
    await subscription.ws.send_json_auto_id(
        {"type": "unsubscribe_events", "subscription": subscription.id}
    )
    assert (await subscription.ws.receive_json())["success"] is False
