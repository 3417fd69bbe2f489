"""Panel latency (issue 14) in a real Home Assistant against the simulated Sparks.

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

from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.spark_control.const import DOMAIN
from spark_sim import PairConfig
from tests.ha.conftest import pair_machine_id, sim_entry_data

MODEL = "RedHatAI/Qwen3.6-35B-A3B-NVFP4"


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
    assert await async_setup_component(hass, "homeassistant", {})  # conversation needs it
    pair = await sim_pair_factory(PairConfig(vllm_load_seconds=10.0))
    entry = MockConfigEntry(
        domain=DOMAIN, unique_id=pair_machine_id(pair), data=sim_entry_data(pair)
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

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
        {"type": "spark_control/swap", "entry_id": entry.entry_id, "model": MODEL}
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
