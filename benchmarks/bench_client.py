"""Spark client benchmarks on the simulator; prints name=value lines.

- poll_reuse_speedup: median status() time with a fresh SSH connection per poll divided by the
  median with the reused connection (target >= 10); poll_ms_median: reused median (target <= 50).
  The simulated pair runs in its own process (`python -m spark_sim`), as a Spark is another
  machine: in-process, the simulator's SSH server and its subprocesses would share the client's
  event loop and be timed as client work.
- openssh_*: the same polls through Debian's real sshd in front of the same simulated nodes (the
  login, key exchange and session costs of a real server; the asyncssh simulator's in-process
  handshake is much cheaper than a real one). Without /usr/sbin/sshd a line says it was skipped.
- command_*: one tiny command instead of a poll (the pure connection cost).
- swap_ready_latency_ms: median time from the fake vLLM printing "Application startup
  complete." to the swap state reaching ready (target <= 500; the seed polled every 5 s).
"""

from __future__ import annotations

import asyncio
import contextlib
import getpass
import json
import os
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
from spark_sim import PairConfig, SimPair
from spark_sim.openssh import SSHD, run_sshd

POLLS = 25
SWAPS = 3
MODELS = ["RedHatAI/Qwen3.6-35B-A3B-NVFP4", "Qwen/Qwen3-VL-30B-A3B-Instruct-FP8"]


def _cluster(pair: SimPair, session: aiohttp.ClientSession) -> SparkCluster:
    """A client for an in-process pair (the swap benchmark)."""
    return _cluster_from_info(pair.info(), session)


def _cluster_from_info(
    info: dict[str, Any],
    session: aiohttp.ClientSession,
    fronts: dict[str, tuple[str, int, str]] | None = None,
) -> SparkCluster:
    """A client for the pair described by sim.json; `fronts` swaps in other SSH endpoints."""
    nodes = info["nodes"]
    hosts = {
        name: (fronts or {}).get(name, (node["host"], node["ssh_port"], node["user"]))
        for name, node in nodes.items()
    }
    config = ClusterConfig(
        head=HostConfig(*hosts["head"]),
        worker=HostConfig(*hosts["worker"]),
        vllm_port=info["vllm_port"],
        parakeet=ServiceConfig(
            "parakeet", "127.0.0.1", info["parakeet_port"], "parakeet", "worker"
        ),
        magpie=ServiceConfig(
            "magpie", "127.0.0.1", info["magpie_port"], "magpie", "worker", "/v1/health/ready"
        ),
    )
    known = {
        f"{host}:{port}": nodes[name]["host_public_key"] for name, (host, port, _) in hosts.items()
    }
    creds = Credentials(private_key=Path(info["client_key_path"]).read_text(), known_hosts=known)
    return SparkCluster(config, creds, session=session)


async def _median_ms(
    cluster: SparkCluster, action: Callable[[], Awaitable[object]], fresh: bool
) -> float:
    """Median time of `action`, after a warm-up; `fresh` drops every connection before each."""
    times: list[float] = []
    await action()  # warm-up: first connection, checkout cache
    for _ in range(POLLS):
        if fresh:
            for conn in cluster._ctx.nodes.values():
                conn.invalidate()
        start = time.perf_counter()
        await action()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


async def _measure(info: dict[str, Any], prefix: str, fronts: Any = None) -> None:
    """Print the poll and command medians for one SSH front."""
    results: dict[str, float] = {}
    async with aiohttp.ClientSession() as session:
        for fresh in (False, True):
            cluster = _cluster_from_info(info, session, fronts)
            try:
                status = await cluster.status()
                if not all(node.gpu and node.memory for node in status.nodes.values()):
                    raise RuntimeError(f"incomplete status through {prefix or 'sim'}: {status}")
                results[f"poll{fresh}"] = await _median_ms(cluster, cluster.status, fresh)
                results[f"command{fresh}"] = await _median_ms(cluster, cluster.machine_id, fresh)
            finally:
                await cluster.close()
    for what in ("poll", "command"):
        reused, fresh_ms = results[f"{what}False"], results[f"{what}True"]
        print(f"{prefix}{what}_ms_median={reused:.1f}")
        print(f"{prefix}{what}_fresh_connection_ms_median={fresh_ms:.1f}")
        print(f"{prefix}{what}_reuse_speedup={fresh_ms / reused:.1f}")


@contextlib.asynccontextmanager
async def _sim_process(state_dir: Path) -> AsyncIterator[dict[str, Any]]:
    """`python -m spark_sim` in its own process; yields its sim.json once it is up."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "spark_sim",
        "--state-dir",
        str(state_dir),
        "--initial-model",
        MODELS[0],
        "--load-seconds",
        "1",
        "--service-load-seconds",
        "0.5",
        stdout=asyncio.subprocess.DEVNULL,
        cwd=Path(__file__).resolve().parents[1],
        start_new_session=True,
    )
    try:
        info_path = state_dir / "sim.json"
        for _ in range(600):
            if info_path.exists() or proc.returncode is not None:
                break
            await asyncio.sleep(0.1)
        if proc.returncode is not None or not info_path.exists():
            raise RuntimeError("the simulator did not start")
        yield json.loads(info_path.read_text())
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), 60)
            except TimeoutError:
                os.killpg(proc.pid, signal.SIGKILL)
                await proc.wait()


@dataclass(frozen=True)
class _Described:
    """A simulated node as sim.json describes it (what run_sshd needs)."""

    name: str
    home: Path
    wrapper: Path
    host_key_path: Path
    host_key_fingerprint: str


async def _wait_ready(info: dict[str, Any]) -> None:
    """Until the initial model and both speech services answer."""
    async with aiohttp.ClientSession() as session:
        cluster = _cluster_from_info(info, session)
        try:
            for _ in range(300):
                status = await cluster.status()
                if status.vllm.ready and all(s.ready for s in status.services.values()):
                    return
                await asyncio.sleep(0.1)
        finally:
            await cluster.close()
    raise RuntimeError("the simulated cluster did not become ready")


async def _polls(root: Path) -> None:
    async with _sim_process(root / "polls") as info:
        await _wait_ready(info)
        await _measure(info, "")
        if not Path(SSHD).exists():
            print(f"openssh=skipped ({SSHD} is not installed)")
            return
        async with contextlib.AsyncExitStack() as stack:
            fronts = {}
            for name, node in info["nodes"].items():
                described = _Described(
                    name=name,
                    home=Path(node["home"]),
                    wrapper=Path(node["wrapper"]),
                    host_key_path=Path(info["state_dir"]) / name / "ssh_host_ed25519_key",
                    host_key_fingerprint=node["host_key_fingerprint"],
                )
                sshd = await stack.enter_async_context(run_sshd(described, root / "sshd"))
                fronts[name] = (sshd.host, sshd.port, getpass.getuser())
            await _measure(info, "openssh_", fronts)


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
        await _polls(Path(root))
        config = PairConfig(initial_model=MODELS[0], vllm_load_seconds=1.0)
        for i in range(SWAPS):
            async with (
                SimPair(Path(root) / f"swap{i}", config) as pair,
                aiohttp.ClientSession() as session,
            ):
                latency = await _swap_latency(pair, session, MODELS[1])
                if latency is not None:
                    latencies.append(latency)
    if latencies:
        print(f"swap_ready_latency_ms={statistics.median(latencies) * 1000:.1f}")
        print(f"swap_ready_latency_ms_max={max(latencies) * 1000:.1f}")
    else:
        print("swap_ready_latency_ms=nan")


if __name__ == "__main__":
    asyncio.run(main())
