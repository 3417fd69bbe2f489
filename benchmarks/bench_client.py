"""Spark client benchmarks on the simulator; prints name=value lines.

- poll_reuse_speedup: median status() time with a fresh SSH connection per poll divided by the
  median with the reused connection (target >= 10); poll_ms_median: reused median (target <= 50).
- swap_ready_latency_ms: median time from the fake vLLM printing "Application startup
  complete." to the swap state reaching ready (target <= 500; the seed polled every 5 s).
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from custom_components.spark_control.api import (
    ClusterConfig,
    Credentials,
    HostConfig,
    ServiceConfig,
    SparkCluster,
    SwapProgress,
    SwapState,
)
from tests.spark_sim import PairConfig, SimPair

POLLS = 15
SWAPS = 3
MODELS = ["RedHatAI/Qwen3.6-35B-A3B-NVFP4", "Qwen/Qwen3-VL-30B-A3B-Instruct-FP8"]


def _cluster(pair: SimPair, session: aiohttp.ClientSession) -> SparkCluster:
    config = ClusterConfig(
        head=HostConfig(pair.head.host, pair.head.ssh_port, pair.user),
        worker=HostConfig(pair.worker.host, pair.worker.ssh_port, pair.user),
        vllm_port=pair.vllm_port,
        parakeet=ServiceConfig("parakeet", "127.0.0.1", pair.parakeet_port, "parakeet", "worker"),
        magpie=ServiceConfig(
            "magpie", "127.0.0.1", pair.magpie_port, "magpie", "worker", "/v1/health/ready"
        ),
    )
    known = {
        f"{node.host}:{node.ssh_port}": node.host_public_key for node in (pair.head, pair.worker)
    }
    creds = Credentials(private_key=pair.client_key_path.read_text(), known_hosts=known)
    return SparkCluster(config, creds, session=session)


async def _poll_times(pair: SimPair, session: aiohttp.ClientSession, fresh: bool) -> list[float]:
    times: list[float] = []
    cluster = _cluster(pair, session)
    try:
        await cluster.status()  # warm-up (first connection, checkout cache)
        for _ in range(POLLS):
            if fresh:
                for conn in cluster._ctx.nodes.values():
                    conn.invalidate()
            start = time.perf_counter()
            await cluster.status()
            times.append(time.perf_counter() - start)
    finally:
        await cluster.close()
    return times


async def _command_times(pair: SimPair, session: aiohttp.ClientSession, fresh: bool) -> list[float]:
    """One small command (machine_id) per sample: isolates the connection cost."""
    times: list[float] = []
    cluster = _cluster(pair, session)
    try:
        await cluster.machine_id()
        for _ in range(POLLS):
            if fresh:
                cluster._ctx.head.invalidate()
            start = time.perf_counter()
            await cluster.machine_id()
            times.append(time.perf_counter() - start)
    finally:
        await cluster.close()
    return times


def _ready_mark_time(pair: SimPair, model: str) -> float | None:
    """When the fake vLLM marked itself ready, right after printing the startup marker."""
    for path in (pair.root / "head" / "home" / ".sim" / "vllm").glob("*.json"):
        try:
            info = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if info.get("model") == model and info.get("phase") == "ready":
            return path.stat().st_mtime
    return None


async def _swap_latency(pair: SimPair, session: aiohttp.ClientSession, model: str) -> float | None:
    """READY callback time minus the time the fake vLLM printed "Application startup complete"."""
    ready_at: list[float] = []

    def on_progress(p: SwapProgress) -> None:
        if p.state is SwapState.READY:
            ready_at.append(time.time())

    cluster = _cluster(pair, session)
    try:
        await cluster.swap_model(model, on_progress, timeout=300)
    finally:
        await cluster.close()
    printed = _ready_mark_time(pair, model)
    return ready_at[0] - printed if printed is not None and ready_at else None


async def main() -> None:
    latencies: list[float] = []
    with tempfile.TemporaryDirectory(prefix="bench_client_") as root:
        config = PairConfig(initial_model=MODELS[0], vllm_load_seconds=1.0)
        async with SimPair(Path(root) / "poll", config) as pair, aiohttp.ClientSession() as session:
            reused = await _poll_times(pair, session, fresh=False)
            fresh = await _poll_times(pair, session, fresh=True)
            cmd_reused = await _command_times(pair, session, fresh=False)
            cmd_fresh = await _command_times(pair, session, fresh=True)
        # One swap per fresh pair: the simulator's docker shim does not always finish its
        # --rm cleanup of vllm_node, so a second launch on the same pair can fail.
        for i in range(SWAPS):
            async with (
                SimPair(Path(root) / f"swap{i}", config) as pair,
                aiohttp.ClientSession() as session,
            ):
                latency = await _swap_latency(pair, session, MODELS[1])
                if latency is not None:
                    latencies.append(latency)
    reused_ms = statistics.median(reused) * 1000
    fresh_ms = statistics.median(fresh) * 1000
    print(f"poll_ms_median={reused_ms:.1f}")
    print(f"poll_fresh_connection_ms_median={fresh_ms:.1f}")
    print(f"poll_reuse_speedup={fresh_ms / reused_ms:.1f}")
    cmd_reused_ms = statistics.median(cmd_reused) * 1000
    cmd_fresh_ms = statistics.median(cmd_fresh) * 1000
    print(f"command_ms_median={cmd_reused_ms:.1f}")
    print(f"command_fresh_connection_ms_median={cmd_fresh_ms:.1f}")
    print(f"command_reuse_speedup={cmd_fresh_ms / cmd_reused_ms:.1f}")
    if latencies:
        print(f"swap_ready_latency_ms={statistics.median(latencies) * 1000:.1f}")
        print(f"swap_ready_latency_ms_max={max(latencies) * 1000:.1f}")
    else:
        print("swap_ready_latency_ms=nan")


if __name__ == "__main__":
    asyncio.run(main())
