"""Home Assistant layer benchmarks on real HA core and the simulated pair; prints name=value lines.

- swap_state_writes_per_s: state_changed events of the entry's entities during a model swap
  (from choosing the model until the swap state reads `ready` and the select shows the new
  model), divided by the swap's seconds (target <= 1.5). Counts everything a swap costs the
  recorder: swap state and progress, the fast status polls it starts (reachability, services,
  GPU and memory at the status interval), the readiness flips at the end. The simulated load
  takes LOAD_SECONDS (a real one takes minutes).
- swap_state_writes_total / swap_seconds: the two figures behind the ratio.
- swap_state_sensor_writes / swap_progress_sensor_writes: the swap sensors alone (transitions;
  coalesced progress with the last log line).

Home Assistant runs in-process through pytest-homeassistant-custom-component's harness (real
core, real config entries, real state machine); the simulated Sparks are real SSH servers and
real processes on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from homeassistant import loader
from homeassistant.core import Event, EventStateChangedData
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_test_home_assistant,
)

from custom_components.spark_control.const import DOMAIN
from spark_sim import PairConfig, SimPair

MODEL = "RedHatAI/Qwen3.6-35B-A3B-NVFP4"
SWAP_TIMEOUT = 300.0
LOAD_SECONDS = 30.0  # a real load takes minutes; long enough that the steady rate dominates
SWAP_STATE = "sensor.vllm_cluster_swap_state"
SELECT = "select.vllm_cluster_model"


def entry_data(pair: SimPair) -> dict[str, Any]:
    """Entry data for the pair, as the config flow writes it."""
    head, worker = pair.nodes["head"], pair.nodes["worker"]
    return {
        "head_host": head.host,
        "worker_host": worker.host,
        "ssh_port": head.ssh_port,
        "worker_ssh_port": worker.ssh_port,
        "username": pair.user,
        "worker_username": pair.user,
        "vllm_port": pair.vllm_port,
        "private_key": pair.client_key_path.read_text(encoding="utf-8"),
        "passphrase": None,
        "known_hosts": {
            f"{head.host}:{head.ssh_port}": head.host_public_key,
            f"{worker.host}:{worker.ssh_port}": worker.host_public_key,
        },
        "parakeet_node": pair.config.parakeet_node,
        "parakeet_host": "127.0.0.1",
        "parakeet_port": pair.parakeet_port,
        "parakeet_container": pair.config.parakeet_container,
        "magpie_node": pair.config.magpie_node,
        "magpie_host": "127.0.0.1",
        "magpie_port": pair.magpie_port,
        "magpie_container": pair.config.magpie_container,
        "tts_flavour": "nim",
    }


async def swap_writes(root: Path) -> dict[str, float]:
    """One swap through the model select; count the entry's state writes while it runs."""
    config = PairConfig(vllm_load_seconds=LOAD_SECONDS)
    async with (
        SimPair(root / "pair", config) as pair,
        async_test_home_assistant(config_dir=str(root / "ha")) as hass,
    ):
        hass.data.pop(loader.DATA_CUSTOM_COMPONENTS, None)  # let HA find custom_components/
        # Every real instance has it; `conversation` (a dependency of ours) reads its settings.
        assert await async_setup_component(hass, "homeassistant", {})
        entry = MockConfigEntry(
            domain=DOMAIN,
            unique_id=str(pair.nodes["head"].machine_id).strip(),
            title="Spark cluster",
            data=entry_data(pair),
            minor_version=2,
        )
        entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        ours = {
            item.entity_id
            for item in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
        }
        writes: list[str] = []
        ready = asyncio.Event()

        def on_state(event: Event[EventStateChangedData]) -> None:
            entity_id = event.data["entity_id"]
            if entity_id not in ours:
                return
            writes.append(entity_id)
            swap, select = hass.states.get(SWAP_STATE), hass.states.get(SELECT)
            if swap is not None and swap.state == "failed":
                ready.set()
            if swap is not None and swap.state == "ready" and select and select.state == MODEL:
                ready.set()  # the swap is over for the user once the select shows the model

        unsub = hass.bus.async_listen("state_changed", on_state)
        started = time.monotonic()
        await hass.services.async_call(
            "select",
            "select_option",
            {"entity_id": SELECT, "option": MODEL},
            blocking=True,
        )
        await asyncio.wait_for(ready.wait(), SWAP_TIMEOUT)
        seconds = time.monotonic() - started
        unsub()
        final = hass.states.get(SWAP_STATE)
        await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_block_till_done()
        await hass.async_stop(force=True)
    if final is None or final.state != "ready":
        raise RuntimeError(f"the swap did not reach ready: {final}")
    return {
        "swap_state_writes_per_s": len(writes) / seconds,
        "swap_state_writes_total": float(len(writes)),
        "swap_seconds": seconds,
        "swap_state_sensor_writes": float(writes.count(SWAP_STATE)),
        "swap_progress_sensor_writes": float(writes.count("sensor.vllm_cluster_swap_progress")),
    }


async def main() -> None:
    """Print the figures."""
    with tempfile.TemporaryDirectory(prefix="bench_ha_") as root:
        figures = await swap_writes(Path(root))
    for name, value in figures.items():
        print(f"{name}={value:.2f}")


if __name__ == "__main__":
    asyncio.run(main())
