"""The simulator behaves like a Spark where clients trip: mawk as awk, nodes going away."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from spark_sim.faults import FaultControl
from spark_sim.pair import SimPair


async def test_awk_is_mawk_with_its_large_number_quirks(sim_pair: SimPair) -> None:
    _, version, _ = await sim_pair.run("head", "awk -W version 2>&1 | head -n1")
    assert version.startswith("mawk")
    # The quirk a client must not rely on: a sum above 2^31 comes out in exponent form ...
    command = "printf '43563500000\\n' | awk '{s+=$1} END {print s+0}'"
    _, total, _ = await sim_pair.run("worker", command)
    assert total.strip() == "4.35635e+10"
    # ... and %d clamps (Debian 12's mawk 1.3.4 20200120), while %.0f stays exact.
    _, clamp, _ = await sim_pair.run("head", "awk 'BEGIN {printf \"%d %.0f\\n\", 2^33, 2^33}'")
    assert clamp.split() == ["2147483647", "8589934592"]


async def test_both_nodes_can_be_unreachable_from_the_fault_files(sim_pair: SimPair) -> None:
    """`unreachable=both` (as the fault CLI writes it) takes both SSH servers away; a watcher
    (what `python -m spark_sim` and `python -m demo` run) applies flags written by others."""
    faults = FaultControl(sim_pair.root)  # another process's view: files only, no hook
    stop = asyncio.Event()
    watcher = asyncio.create_task(sim_pair.watch_reachability(stop, interval=0.1))
    try:
        faults.set("unreachable", "both")
        assert faults.get("unreachable") == "head,worker"
        await _until(lambda: not any(n.listening for n in sim_pair.nodes.values()))
        faults.set("unreachable", "head")  # the worker comes back, the head stays away
        await _until(lambda: sim_pair.worker.listening and not sim_pair.head.listening)
        faults.clear("unreachable")
        await _until(lambda: all(n.listening for n in sim_pair.nodes.values()))
        with pytest.raises(ValueError, match="must name nodes"):
            faults.set("unreachable", "head,db")
    finally:
        stop.set()
        await watcher


async def _until(check: Callable[[], bool]) -> None:
    async with asyncio.timeout(20):
        while not check():
            await asyncio.sleep(0.05)
