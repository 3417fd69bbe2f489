# bench-env: addon
"""Batch executors of Recap Relay: prints name=value lines (targets in comments, never asserted).

The add-ons here are tiny fake servers (one request at a time, a fixed latency, a canned answer),
on purpose: these figures measure scheduling (how well each executor keeps the add-ons busy and
what a chunk costs to dispatch), not inference.

- relay_batch_efficiency_asyncio / relay_batch_efficiency_ray: ideal time / measured time for
  16 recordings (4 chunks each) over 4 add-ons with 0.5 s latency; ideal = 64 x 0.5 s / 4.
  Target >= 0.85 for Ray. Both executors are warmed up by a smaller batch first (the first result
  imports the clustering stack; Ray starts its worker processes); the local Ray runtime (2 CPUs)
  start-up is printed separately (relay_ray_start_s).
- relay_ray_overhead_ms_per_chunk: one add-on answering at once, one chunk in flight, 24 chunks
  in a row: (Ray wall time - asyncio wall time) / 24. What a chunk costs on Ray beyond the
  asyncio executor: task dispatch, decoding its slice from the recording's bytes, the actor's
  acquire/release and a fresh HTTP session per task.
"""

from __future__ import annotations

import asyncio
import shutil
import sys
import threading
import time
import wave
from pathlib import Path
from typing import Any

import numpy as np
from aiohttp import web

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from relay_lib.batch import Recording, run_batch  # noqa: E402
from relay_lib.executors import AsyncioExecutor, Executor  # noqa: E402
from relay_lib.pipeline import RelayOptions  # noqa: E402

BUILD = ROOT / "build" / "bench" / "relay_batch"
RECORDINGS = 16
CHUNKS_PER_RECORDING = 4
CHUNK_S = 10.0
ADDONS = 4
LATENCY_S = 0.5
SERIAL_CHUNKS = 24


class FakeAddons:
    """N one-at-a-time add-ons with a fixed latency, served from a thread with its own loop."""

    def __init__(self, count: int, latency_s: float) -> None:
        self._count = count
        self._latency = latency_s
        self.urls: list[str] = []
        self._loop = asyncio.new_event_loop()
        self._runners: list[web.AppRunner] = []
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    async def _start(self) -> None:
        for n in range(self._count):
            lock = asyncio.Lock()

            async def handle(
                request: web.Request, lock: asyncio.Lock = lock, n: int = n
            ) -> web.Response:
                await request.read()
                async with lock:  # one inference at a time, like the real add-on
                    if self._latency:
                        await asyncio.sleep(self._latency)
                vec = [0.0] * 192
                vec[n % 2] = 1.0  # two voices across the add-ons: clustering has work
                return web.json_response(
                    {
                        "duration": CHUNK_S,
                        "segments": [{"start_s": 0.5, "end_s": 9.5, "speaker": "Speaker_0"}],
                        "speakers_detected": ["Speaker_0"],
                        "fingerprints": {"Speaker_0": vec},
                        "models": {"diarization": "bench", "embedding": "titanet_large"},
                    }
                )

            async def health(_request: web.Request) -> web.Response:
                return web.json_response({"status": "ok"})

            app = web.Application(client_max_size=64 * 1024 * 1024)
            app.router.add_post("/v1/audio/diarize-chunk", handle)
            app.router.add_get("/health", health)
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            self._runners.append(runner)
            self.urls.append(f"http://127.0.0.1:{runner.addresses[0][1]}")

    def __enter__(self) -> FakeAddons:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(30)
        return self

    def __exit__(self, *_exc: object) -> None:
        async def stop() -> None:
            for runner in self._runners:
                await runner.cleanup()

        asyncio.run_coroutine_threadsafe(stop(), self._loop).result(30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


def write_recordings(folder: Path, count: int, chunks: int) -> list[Recording]:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    out = []
    for i in range(count):
        path = folder / f"rec{i:02d}.wav"
        with wave.open(str(path), "wb") as handle:
            handle.setnchannels(1)
            handle.setsampwidth(2)
            handle.setframerate(16000)
            samples = rng.integers(-3000, 3000, round(16000 * CHUNK_S * chunks), dtype=np.int16)
            handle.writeframes(samples.tobytes())
        out.append(Recording(path, path.stem))
    return out


async def timed_batch(
    executor: Executor, recordings: list[Recording], options: RelayOptions, out: Path, jobs: int
) -> float:
    shutil.rmtree(out, ignore_errors=True)
    start = time.perf_counter()
    rows = await run_batch(recordings, executor, options, out, formats=("json",), jobs=jobs)
    wall = time.perf_counter() - start
    failed = [r for r in rows if r.status != "done"]
    assert not failed, failed
    return wall


def start_ray(options: RelayOptions) -> Any:
    # imported here: the asyncio figures need no Ray
    from relay_lib.ray_executor import RayExecutor, start_local_runtime

    start = time.perf_counter()
    start_local_runtime(num_cpus=2, include_dashboard=False, object_store_memory=200 * 1024 * 1024)
    print(f"relay_ray_start_s={time.perf_counter() - start:.1f}")
    return RayExecutor.start("local", options)


async def efficiency(recordings: list[Recording]) -> None:
    ideal = RECORDINGS * CHUNKS_PER_RECORDING * LATENCY_S / ADDONS
    with FakeAddons(ADDONS, LATENCY_S) as addons:
        options = RelayOptions(addon_urls=addons.urls, chunk_seconds=CHUNK_S)
        asyncio_exec = AsyncioExecutor(options)
        # warm-up: the first result imports the clustering stack (seconds on a busy box)
        await timed_batch(asyncio_exec, recordings[:4], options, BUILD / "out_warmup", ADDONS)
        wall = await timed_batch(asyncio_exec, recordings, options, BUILD / "out_asyncio", ADDONS)
        await asyncio_exec.close()
        print(f"relay_batch_asyncio_s={wall:.2f}")
        print(f"relay_batch_efficiency_asyncio={ideal / wall:.3f}")
        ray_exec = start_ray(options)
        try:
            await timed_batch(ray_exec, recordings[:8], options, BUILD / "out_warmup", ADDONS)
            wall = await timed_batch(ray_exec, recordings, options, BUILD / "out_ray", ADDONS)
        finally:
            await ray_exec.close()
        print(f"relay_batch_ray_s={wall:.2f}")
        print(f"relay_batch_efficiency_ray={ideal / wall:.3f}")
        print(f"relay_batch_efficiency={ideal / wall:.3f}  # the Ray executor's; target >= 0.85")


async def overhead(recording: Recording) -> None:

    from relay_lib.ray_executor import RayExecutor

    with FakeAddons(1, 0.0) as addons:
        options = RelayOptions(addon_urls=addons.urls, chunk_seconds=CHUNK_S, concurrency=1)
        asyncio_exec = AsyncioExecutor(options)
        await timed_batch(asyncio_exec, [recording], options, BUILD / "serial_a", 1)  # warm
        base = await timed_batch(asyncio_exec, [recording], options, BUILD / "serial_a", 1)
        await asyncio_exec.close()
        ray_exec = RayExecutor.start("local", options)  # joins the runtime started above
        try:
            await timed_batch(ray_exec, [recording], options, BUILD / "serial_r", 1)  # warm
            wall = await timed_batch(ray_exec, [recording], options, BUILD / "serial_r", 1)
        finally:
            await ray_exec.close()
    per_chunk = (wall - base) / SERIAL_CHUNKS * 1000
    print(f"relay_asyncio_ms_per_chunk_serial={base / SERIAL_CHUNKS * 1000:.1f}")
    print(f"relay_ray_ms_per_chunk_serial={wall / SERIAL_CHUNKS * 1000:.1f}")
    print(f"relay_ray_overhead_ms_per_chunk={per_chunk:.1f}")


def main() -> None:
    recordings = write_recordings(BUILD / "in", RECORDINGS, CHUNKS_PER_RECORDING)
    serial = write_recordings(BUILD / "serial", 1, SERIAL_CHUNKS)[0]
    import ray

    try:
        asyncio.run(efficiency(recordings))  # starts the local Ray runtime
        asyncio.run(overhead(serial))
    finally:
        ray.shutdown()


if __name__ == "__main__":
    main()
