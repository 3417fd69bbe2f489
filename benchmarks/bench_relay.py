"""Recap Relay benchmarks; prints name=value lines (targets in the comments, never asserted).

- relay_cluster_10h_ms: global clustering of 120 chunks x 4 local speakers (10 h). Target < 500 ms.
- relay_rss_2h_mb: peak RSS growth while chunking a 2 h MP3 (300 s chunks, WAV-encoded like an
  upload), measured in a fresh subprocess. Target < 300 MB.
- relay_parallel_efficiency: wall time of N chunks over 4 one-at-a-time fake add-ons with a fixed
  latency, divided by the ideal N/4 x latency. Target <= 1.1.
"""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import sys
import time
import wave
from pathlib import Path

import numpy as np
from aiohttp import web

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from relay_lib.client import RelayClient  # noqa: E402
from relay_lib.clustering import Fingerprint, cluster_fingerprints  # noqa: E402
from relay_lib.pipeline import RelayOptions, process_chunks  # noqa: E402

BUILD = ROOT / "build" / "bench"


def bench_cluster() -> None:
    rng = np.random.default_rng(0)
    people = rng.normal(size=(12, 192))
    fps = []
    for chunk in range(120):
        for local, person in enumerate(rng.choice(12, size=4, replace=False)):
            vec = people[person] / np.linalg.norm(people[person]) + rng.normal(scale=0.03, size=192)
            fps.append(Fingerprint(chunk, f"Speaker_{local}", vec.tolist()))
    cluster_fingerprints(fps, threshold=0.7)  # warm imports
    times = []
    for _ in range(5):
        start = time.perf_counter()
        labels = cluster_fingerprints(fps, threshold=0.7)
        times.append((time.perf_counter() - start) * 1000)
    print(f"relay_cluster_10h_ms={statistics.median(times):.1f}")
    print(f"relay_cluster_10h_speakers={len(set(labels))}")


_RSS_CHILD = """
import resource, sys
from relay_lib.audio import ChunkPlan, iter_chunks
def rss_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
base = rss_mb()
n = 0
for chunk in iter_chunks(sys.argv[1], ChunkPlan.from_seconds(300.0)):
    wav = chunk.to_wav()
    n += 1
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"{peak - base:.1f} {n}")
"""


def bench_rss() -> None:
    BUILD.mkdir(parents=True, exist_ok=True)
    source = BUILD / "two_hours.mp3"
    if not source.exists():
        subprocess.run(
            [
                "ffmpeg",
                "-loglevel",
                "error",
                "-y",
                "-f",
                "lavfi",
                "-i",
                "sine=frequency=220:duration=7200:sample_rate=22050",
                "-ac",
                "1",
                "-b:a",
                "32k",
                str(source.with_suffix(".tmp.mp3")),
            ],
            check=True,
            timeout=900,
        )
        source.with_suffix(".tmp.mp3").replace(source)
    out = subprocess.run(
        [sys.executable, "-c", _RSS_CHILD, str(source)],
        check=True,
        capture_output=True,
        text=True,
        timeout=900,
        cwd=ROOT,
    ).stdout.split()
    print(f"relay_rss_2h_mb={float(out[0]):.1f}")
    print(f"relay_rss_2h_chunks={out[1]}")


async def _parallel(n_chunks: int, latency: float) -> float:
    BUILD.mkdir(parents=True, exist_ok=True)
    path = BUILD / "parallel.wav"
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes(np.zeros(16000 * n_chunks, dtype=np.int16).tobytes())
    body = {
        "duration": 1.0,
        "segments": [{"start_s": 0.1, "end_s": 0.9, "speaker": "Speaker_0"}],
        "speakers_detected": ["Speaker_0"],
        "fingerprints": {"Speaker_0": [1.0] + [0.0] * 191},
        "models": {"diarization": "bench", "embedding": "titanet_large"},
    }
    runners, urls = [], []
    for _ in range(4):
        lock = asyncio.Lock()

        async def handle(request: web.Request, lock: asyncio.Lock = lock) -> web.Response:
            await request.read()
            async with lock:  # one inference at a time, like the real add-on
                await asyncio.sleep(latency)
            return web.json_response(body)

        app = web.Application()
        app.router.add_post("/v1/audio/diarize-chunk", handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        runners.append(runner)
        urls.append(f"http://127.0.0.1:{runner.addresses[0][1]}")
    try:
        import aiohttp

        async with aiohttp.ClientSession() as session:
            options = RelayOptions(addon_urls=urls, chunk_seconds=1.0, concurrency=4)
            start = time.perf_counter()
            outcomes, _ = await process_chunks(RelayClient(session, urls), path, options)
            wall = time.perf_counter() - start
        assert len(outcomes) == n_chunks
    finally:
        for runner in runners:
            await runner.cleanup()
    return wall / (n_chunks / 4 * latency)


def bench_parallel() -> None:
    ratio = asyncio.run(_parallel(n_chunks=64, latency=0.25))
    print(f"relay_parallel_efficiency={ratio:.3f}")


if __name__ == "__main__":
    bench_cluster()
    bench_parallel()
    bench_rss()
