"""The panel's websocket API against the simulated Sparks (real SSH, bash, docker shims, HTTP).

What the panel does, command by command, watched through one subscription: a swap streams
vLLM's log lines to the client until it is ready; a download pushes its progress to
completion and the model is added to the catalog; Magpie is stopped and started; the update
is applied with its build log.
"""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.spark_control.const import DOMAIN
from spark_sim import PairConfig

from .conftest import pair_machine_id, sim_entry_data
from .test_websocket_api import Client, Subscription

QWEN36 = "RedHatAI/Qwen3.6-35B-A3B-NVFP4"
NEW_REPO = "acme-labs/Big-120B-FP8"


async def test_the_panel_drives_the_simulated_sparks(
    hass: HomeAssistant, sim_pair_factory: Any, hass_ws_client: WebSocketGenerator
) -> None:
    pair = await sim_pair_factory(PairConfig(download_seconds=3.0, vllm_load_seconds=2.0))
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=pair_machine_id(pair),
        title="Spark cluster 127.0.0.1",
        data=sim_entry_data(pair),
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    client = Client(await hass_ws_client(hass))
    events = Subscription(await hass_ws_client(hass))
    snap = await events.start(entry.entry_id)
    assert snap["status"]["nodes"]["worker"]["reachable"] is True
    assert snap["update"]["behind"] == 3

    # Swap: the log streams line by line until vLLM is ready.
    assert await client.ok("swap", entry_id=entry.entry_id, model=QWEN36) is None
    lines: list[str] = []
    states: list[str] = []
    while not states or states[-1] not in ("ready", "failed"):
        event = await events.next(timeout=120)
        if event["kind"] == "swap_log":
            lines += event["lines"]
        elif event["kind"] == "swap":
            states.append(event["swap"]["state"])
    assert states[-1] == "ready", (states, lines[-5:])
    assert "loading" in states
    assert any("Application startup complete" in line for line in lines), lines[-5:]
    # Every line reached the client before the ready state, in the order of the log.
    assert (await client.ok("snapshot", entry_id=entry.entry_id))["swap_log"] == lines
    status = await events.until(
        "status", lambda e: e["status"]["vllm"]["model"] == QWEN36, timeout=60
    )
    assert status["status"]["vllm"]["ready"] is True

    # Download: progress reports to completion, then the "Add to catalog" dialog's command.
    await client.ok("download", entry_id=entry.entry_id, repo_id=NEW_REPO, target="solo")
    done: list[int] = []
    while True:
        event = await events.until("download", timeout=120)
        download = event["download"]
        if download["bytes_done"] is not None:
            done.append(download["bytes_done"])
        if not download["running"] and download["state"] != "running":
            break
    assert download["state"] == "completed" and download["percent"] == 100.0
    assert download["in_catalog"] is False
    assert len(done) >= 3 and done == sorted(done)
    added = await client.ok("add_model", entry_id=entry.entry_id, repo_id=NEW_REPO, name="Big")
    assert added["model"]["repo_id"] == NEW_REPO
    await events.until("catalog", lambda e: e["catalog"][-1]["repo_id"] == NEW_REPO)

    # Services: Magpie stopped and started through docker on the worker.
    stopped = await client.ok("service", entry_id=entry.entry_id, service="magpie", action="stop")
    assert stopped["service"]["container_state"] == "exited"
    await events.until(
        "status", lambda e: e["status"]["services"]["magpie"]["container_state"] == "exited"
    )
    started = await client.ok("service", entry_id=entry.entry_id, service="magpie", action="start")
    assert started["service"]["container_state"] == "running"

    # Update: git pull + build, its log streamed, the new commit installed.
    await client.ok("update_apply", entry_id=entry.entry_id)
    build: list[str] = []
    while True:
        event = await events.next(timeout=120)
        if event["kind"] == "update_log":
            build += event["lines"]
        elif event["kind"] == "update" and event["update"]["behind"] == 0:
            break
    assert any("Done" in line for line in build), build
    assert event["update"]["install"]["error"] is None
    assert event["update"]["installed"] == snap["update"]["upstream"]

    assert await hass.config_entries.async_unload(entry.entry_id)
    await events.until("closed")
