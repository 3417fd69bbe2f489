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


async def _swap_latencies(pair: SimPair, session: aiohttp.ClientSession) -> list[float]:
    """READY callback time minus the time the fake vLLM printed "Application startup complete"."""
    latencies: list[float] = []
    cluster = _cluster(pair, session)
    try:
        for i in range(SWAPS):
            model = MODELS[(i + 1) % len(MODELS)]
            ready_at: list[float] = []

            def on_progress(p: SwapProgress, ready_at: list[float] = ready_at) -> None:
                if p.state is SwapState.READY:
                    ready_at.append(time.time())

            try:
                await cluster.swap_model(model, on_progress, timeout=300)
            except Exception:
                print("\n".join(cluster.swap_log[-20:]), file=sys.stderr)
                raise
            printed = _ready_mark_time(pair, model)
            if printed is not None and ready_at:
                latencies.append(ready_at[0] - printed)
    finally:
        await cluster.close()
    return latencies


async def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench_client_") as root:
        config = PairConfig(initial_model=MODELS[0], vllm_load_seconds=1.0)
        async with SimPair(Path(root), config) as pair, aiohttp.ClientSession() as session:
            reused = await _poll_times(pair, session, fresh=False)
            fresh = await _poll_times(pair, session, fresh=True)
            latencies = await _swap_latencies(pair, session)
    reused_ms = statistics.median(reused) * 1000
    fresh_ms = statistics.median(fresh) * 1000
    print(f"poll_ms_median={reused_ms:.1f}")
    print(f"poll_fresh_connection_ms_median={fresh_ms:.1f}")
    print(f"poll_reuse_speedup={fresh_ms / reused_ms:.1f}")
    if latencies:
        print(f"swap_ready_latency_ms={statistics.median(latencies) * 1000:.1f}")
        print(f"swap_ready_latency_ms_max={max(latencies) * 1000:.1f}")
    else:
        print("swap_ready_latency_ms=nan")


if __name__ == "__main__":
    asyncio.run(main())
