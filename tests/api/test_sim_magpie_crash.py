"""Magpie's known crash against the simulator: a cache volume not owned by uid 1000."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from custom_components.spark_control.api import (
    CacheOwnershipProblem,
    InvalidInputError,
    SparkCluster,
)
from custom_components.spark_control.api.commands import CRASH_SEPARATOR, crash_facts
from custom_components.spark_control.api.parsers import parse_cache_denial


async def _state(cluster: SparkCluster, key: str) -> str | None:
    status = await cluster.status()
    return status.services[key].container_state


async def _until_state(cluster: SparkCluster, key: str, wanted: str, timeout: float) -> list[str]:
    seen: list[str] = []
    async with asyncio.timeout(timeout):
        while True:
            state = await _state(cluster, key)
            if not seen or seen[-1] != state:
                seen.append(str(state))
            if state == wanted:
                return seen
            await asyncio.sleep(0.2)


async def test_cache_owner_fault_is_diagnosed_and_fixed(
    sim_pair: Any, cluster: SparkCluster
) -> None:
    """The container loops through `restarting`; the diagnosis names the host directory."""
    assert await cluster.diagnose_crash("magpie") is None  # healthy: nothing to report
    sim_pair.faults.set("magpie_cache_owner")
    code, _, err = await sim_pair.run("worker", "docker restart magpie >/dev/null")
    assert code == 0, err
    await _until_state(cluster, "magpie", "restarting", 30)

    # The log reaches docker a moment after the exit: what a later poll would see.
    async with asyncio.timeout(30):
        while (problem := await cluster.diagnose_crash("magpie")) is None:
            await asyncio.sleep(0.3)
    assert problem == CacheOwnershipProblem(
        service="magpie",
        node="worker",
        host=sim_pair.worker.host,
        container="magpie",
        host_path=str(sim_pair.worker.home / ".cache" / "nim"),
        denied_path="/opt/nim/.cache/ngc/hub",
    )
    code, out, _ = await sim_pair.run(
        "worker", "docker inspect -f '{{.RestartCount}} {{.State.Restarting}}' magpie"
    )
    assert int(out.split()[0]) >= 1

    # The chown (clearing the fault) lets the next automatic restart succeed.
    sim_pair.faults.clear("magpie_cache_owner")
    await _until_state(cluster, "magpie", "running", 60)
    status = await cluster.status()
    assert status.services["parakeet"].container_state == "running"  # untouched


async def test_stopping_a_restarting_container_ends_the_loop(
    sim_pair: Any, cluster: SparkCluster
) -> None:
    """`docker stop` (the Magpie switch) leaves it exited, not restarting again."""
    sim_pair.faults.set("magpie_cache_owner")
    await sim_pair.run("worker", "docker restart magpie >/dev/null")
    await _until_state(cluster, "magpie", "restarting", 30)
    await cluster.service_action("magpie", "stop")
    await asyncio.sleep(1.0)
    assert await _state(cluster, "magpie") == "exited"


def test_parse_cache_denial_picks_the_deepest_mount() -> None:
    """The longest mount destination that holds the denied path gives the host directory."""
    inspect = (
        '[{"Mounts": [{"Source": "/srv/all", "Destination": "/opt"},'
        ' {"Source": "/home/spark/.cache/nim", "Destination": "/opt/nim/.cache/"}]}]'
    )
    log = "x\nPermissionError: [Errno 13] Permission denied: '/opt/nim/.cache/ngc/hub'\n"
    output = f"{inspect}\n{CRASH_SEPARATOR}\n{log}"
    assert parse_cache_denial(output, CRASH_SEPARATOR) == (
        "/opt/nim/.cache/ngc/hub",
        "/home/spark/.cache/nim",
    )
    assert parse_cache_denial(f"[]\n{CRASH_SEPARATOR}\nall good\n", CRASH_SEPARATOR) is None
    no_json = f"Error: No such object\n{CRASH_SEPARATOR}\nPermission denied: /data/x\n"
    assert parse_cache_denial(no_json, CRASH_SEPARATOR) == ("/data/x", None)


def test_crash_facts_quotes_and_validates() -> None:
    """The container name is validated; the command is fixed syntax plus quoted words."""
    assert crash_facts("magpie").startswith("docker inspect magpie 2>/dev/null; echo ")
    with pytest.raises(InvalidInputError):
        crash_facts("magpie; rm -rf ~")
