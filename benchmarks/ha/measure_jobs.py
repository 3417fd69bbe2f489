"""Figures for issues 18 and 14, measured in a real Home Assistant (pytest-homeassistant-custom-
component) against the simulated Sparks; each test prints `name=value` lines.

- download_state_writes_per_s: state writes of the download progress sensor per second of a
  download (target <= 1.0; it was ~10 when every poll and log line was written).
- health_reports_logbook_ratio: logbook entries (the real logbook over the real recorder) per
  report in a burst of 1,000 unchanged health reports (target <= 0.01).
- panel_log_latency_ms: from the simulated vLLM writing a log line during a swap (the
  timestamp the container's log pump gives it, as `docker logs` does) to a websocket client
  subscribed with `spark_control/subscribe` receiving it; the median over every line of one
  swap (target <= 200). `_p95_ms` and `_max_ms` alongside.
- panel_log_latency_streaming_p95_ms: the same for the lines written after the first one
  arrived (the launch's first lines are written before anything can follow the log).
- panel_log_ha_ms: the Home Assistant part of it: from the line reaching the integration
  (read from the SSH stream) to the client receiving it (median).

The chain in between is the real one: the container log, the `docker logs -f` the launcher's
follower runs (the simulator's shim polls an idle log every 0.25 s, as part of the figure), SSH,
the client's stream reader, the feed and HA's websocket.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from typing import Any

from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.spark_control.const import (
    CONF_HEAD_HOST,
    CONF_KNOWN_HOSTS,
    CONF_MAGPIE_CONTAINER,
    CONF_MAGPIE_HOST,
    CONF_MAGPIE_NODE,
    CONF_MAGPIE_PORT,
    CONF_PARAKEET_CONTAINER,
    CONF_PARAKEET_HOST,
    CONF_PARAKEET_NODE,
    CONF_PARAKEET_PORT,
    CONF_PASSPHRASE,
    CONF_PRIVATE_KEY,
    CONF_SSH_PORT,
    CONF_TTS_FLAVOUR,
    CONF_USERNAME,
    CONF_VLLM_PORT,
    CONF_WORKER_HOST,
    CONF_WORKER_SSH_PORT,
    DOMAIN,
    EVENT_DOWNLOAD,
)
from custom_components.spark_control.health import HealthReport
from spark_sim import PairConfig

REPORTS = 1000
SWAP_MODEL = "RedHatAI/Qwen3.6-35B-A3B-NVFP4"
SENSOR = "sensor.vllm_cluster_download_progress"


async def _entry(hass: HomeAssistant, pair: Any) -> MockConfigEntry:
    # Every real instance has it; `conversation` (a dependency of ours) reads its settings.
    assert await async_setup_component(hass, "homeassistant", {})
    head, worker = pair.head, pair.worker
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=str(head.machine_id).strip(),
        data={
            CONF_HEAD_HOST: head.host,
            CONF_WORKER_HOST: worker.host,
            CONF_SSH_PORT: head.ssh_port,
            CONF_WORKER_SSH_PORT: worker.ssh_port,
            CONF_USERNAME: pair.user,
            CONF_VLLM_PORT: pair.vllm_port,
            CONF_PRIVATE_KEY: pair.client_key_path.read_text(encoding="utf-8"),
            CONF_PASSPHRASE: None,
            CONF_KNOWN_HOSTS: {
                f"{head.host}:{head.ssh_port}": head.host_public_key,
                f"{worker.host}:{worker.ssh_port}": worker.host_public_key,
            },
            CONF_PARAKEET_NODE: "worker",
            CONF_PARAKEET_HOST: "127.0.0.1",
            CONF_PARAKEET_PORT: pair.parakeet_port,
            CONF_PARAKEET_CONTAINER: pair.config.parakeet_container,
            CONF_MAGPIE_NODE: "worker",
            CONF_MAGPIE_HOST: "127.0.0.1",
            CONF_MAGPIE_PORT: pair.magpie_port,
            CONF_MAGPIE_CONTAINER: pair.config.magpie_container,
            CONF_TTS_FLAVOUR: "nim",
        },
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


async def test_download_state_writes_per_s(
    hass: HomeAssistant, enable_custom_integrations: None, sim_pair_factory: Any
) -> None:
    pair = await sim_pair_factory(PairConfig(download_seconds=15.0))
    entry = await _entry(hass, pair)
    writes: list[float] = []
    ended = asyncio.Event()

    @callback
    def on_state(event: Event) -> None:
        if event.data["entity_id"] == SENSOR:
            writes.append(time.monotonic())

    @callback
    def on_download(event: Event) -> None:
        if event.data["state"] != "running":
            ended.set()

    hass.bus.async_listen("state_changed", on_state)
    hass.bus.async_listen(EVENT_DOWNLOAD, on_download)
    start = time.monotonic()
    await hass.services.async_call(
        DOMAIN,
        "download_model",
        {
            "config_entry_id": entry.entry_id,
            "repo_id": "acme-labs/Bench-120B-FP8",
            "target": "solo",
        },
        blocking=True,
    )
    await asyncio.wait_for(ended.wait(), 200)
    seconds = time.monotonic() - start
    print(f"\ndownload_state_writes_per_s={len(writes) / seconds:.2f}")
    print(f"download_state_writes={len(writes)} over {seconds:.1f} s")


async def test_health_reports_logbook_ratio(
    recorder_mock: Any,
    hass: HomeAssistant,
    enable_custom_integrations: None,
    sim_pair: Any,
    hass_ws_client: Any,
) -> None:
    assert await async_setup_component(hass, "logbook", {})
    entry = await _entry(hass, sim_pair)
    await async_wait_recording_done(hass)
    start = dt_util.utcnow()
    activity = entry.runtime_data.activity
    for _ in range(REPORTS):  # what the HTTP view and the webhook do with a valid report
        activity.async_record_health(HealthReport.create("parakeet", ok=True, source="bench"))
    await asyncio.sleep(1.5)  # let the coalesced sensor write land
    await hass.async_block_till_done()
    await async_wait_recording_done(hass)
    ws = await hass_ws_client()
    await ws.send_json({"id": 1, "type": "logbook/get_events", "start_time": start.isoformat()})
    answer = await ws.receive_json()
    entries = [
        e
        for e in answer["result"]
        if e.get("domain") == DOMAIN
        or "spark_control" in str(e.get("entity_id", ""))
        or "health" in str(e.get("entity_id", ""))
    ]
    print(f"\nhealth_reports_logbook_ratio={len(entries) / REPORTS:.4f}")
    print(f"health_logbook_entries={len(entries)} for {REPORTS} reports: {entries[:3]}")


def _written(pair: Any) -> dict[str, float]:
    """Each container log line of the head with the time its pump wrote it (first seen)."""
    stamps: dict[str, float] = {}
    containers = pair.head.home / ".sim" / "docker" / "containers"
    for log in containers.glob("*/log"):
        for raw in log.read_text(encoding="utf-8", errors="replace").splitlines():
            stamp, _, text = raw.partition(" ")
            try:
                stamps.setdefault(text.strip(), float(stamp))
            except ValueError:
                continue
    return stamps


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[int(0.95 * (len(ordered) - 1))]


async def test_panel_log_latency(
    hass: HomeAssistant,
    enable_custom_integrations: None,
    sim_pair_factory: Any,
    hass_ws_client: Any,
) -> None:
    pair = await sim_pair_factory(PairConfig(vllm_load_seconds=10.0))
    entry = await _entry(hass, pair)

    feed = entry.runtime_data.feed
    reached: dict[str, float] = {}
    forward = feed.swap_line

    def swap_line(line: str) -> None:
        reached.setdefault(line.strip(), time.time())
        forward(line)

    feed.swap_line = swap_line  # type: ignore[method-assign]

    ws = await hass_ws_client(hass)
    await ws.send_json_auto_id({"type": "spark_control/subscribe", "entry_id": entry.entry_id})
    subscribed = await ws.receive_json()
    assert subscribed["success"]
    await ws.receive_json()  # the snapshot
    control = await hass_ws_client(hass)
    await control.send_json_auto_id(
        {"type": "spark_control/swap", "entry_id": entry.entry_id, "model": SWAP_MODEL}
    )
    received: dict[str, float] = {}
    state = ""
    async with asyncio.timeout(300):
        while state not in ("ready", "failed"):
            msg = await ws.receive_json()
            now = time.time()
            event = msg["event"]
            if event["kind"] == "swap_log":
                for line in event["lines"]:
                    received.setdefault(line.strip(), now)
            elif event["kind"] == "swap":
                state = event["swap"]["state"]
    assert state == "ready", state
    written = _written(pair)
    total = [(received[text] - written[text]) * 1000 for text in received if text in written]
    in_ha = [(received[text] - reached[text]) * 1000 for text in received if text in reached]
    assert total, "no log line could be matched to the container log"
    # Lines written once the follower streams (after the first line arrived): the steady state.
    attached = min(received.values())
    streaming = [
        (received[text] - written[text]) * 1000
        for text in received
        if text in written and written[text] > attached
    ]
    print(f"\npanel_log_latency_ms={statistics.median(total):.1f}")
    print(f"panel_log_latency_p95_ms={_p95(total):.1f}")
    print(f"panel_log_latency_max_ms={max(total):.1f}")
    if streaming:
        print(f"panel_log_latency_streaming_p95_ms={_p95(streaming):.1f}")
    print(f"panel_log_ha_ms={statistics.median(in_ha):.2f}")
    print(f"panel_log_lines={len(total)} ({len(streaming)} written while streaming)")
    assert await hass.config_entries.async_unload(entry.entry_id)
