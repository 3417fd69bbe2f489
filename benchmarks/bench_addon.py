# bench-env: addon
"""Benchmark the diarize-chunk backends: real-time factor on a 300 s chunk, and DER.

Prints name=value lines: addon_cpu_rtfx (seconds of audio per second of processing, 300 s
3-voice chunk, cpu backend, 2 threads), addon_cpu_der_* (pyannote.metrics DER on synthesised
3-voice conversations, overlap scored; collar 0 and collar 0.5 total), and for the nemo backend
with full-size random-weight Sortformer v1 + TitaNet-L (evalkit.nemo_models.FULL; speed and
memory depend on the architecture, not on the weights):

- on this CPU, 60 s and 300 s chunks: addon_nemo_full_rtfx_cpu_<n>s, the Sortformer share of it,
  the worst-case fingerprint time (4 speakers x 60 s of TitaNet) and the peak RSS of the worker
  during that chunk (addon_nemo_full_peak_rss_mb_<n>s; VmHWM reset after loading);
- when CUDA is available, 90/300/600 s chunks: addon_nemo_rtfx_<n>s and the peak GPU memory
  torch allocated (addon_nemo_peak_gpu_mb_<n>s). On a GPU machine:
  `.venv/addon/bin/python benchmarks/bench_addon.py --only nemo-cuda`.

Each nemo measurement runs in its own child process so peaks do not mix.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "gpu_addon")]

# The cpu-backend part imports its own packages inside bench_cpu, so `--only nemo-cuda` runs
# where only the add-on image's packages are installed (NeMo, torch, numpy).

CHUNK_S = 300.0
NEMO_CPU_CHUNKS_S = (60, 300)
NEMO_GPU_CHUNKS_S = (90, 300, 600)
PARTS = ("cpu-backend", "nemo-cpu", "nemo-cuda")


def _conversation(work: Path, minutes: float, seed: int) -> tuple[np.ndarray, list]:
    import soundfile as sf

    from evalkit.audio_synth import meeting_script, synth_conversation

    wav = work / f"conversation_{seed}.wav"
    truth = synth_conversation(
        wav, meeting_script(minutes, n_voices=3, seed=seed), seed=seed, cache_dir=work / "cache"
    )
    audio, _ = sf.read(wav, dtype="float32")
    return audio, truth


def _rtfx(diarize, audio: np.ndarray, repeats: int = 2) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        diarize(audio, None)
        times.append(time.perf_counter() - started)
    return audio.size / 16000 / statistics.median(times)


def bench_cpu(work: Path) -> None:
    from evalkit.der import der
    from spark_diarizer.backends.cpu import CpuBackend

    backend = CpuBackend(threads=2)
    chunk, _ = _conversation(work, CHUNK_S / 60 + 0.7, seed=1)  # the script runs a bit short
    chunk = chunk[: int(CHUNK_S * 16000)]
    print(f"addon_cpu_chunk_s={chunk.size / 16000:.1f}")
    print(f"addon_cpu_rtfx={_rtfx(backend.diarize, chunk):.1f}")
    ders0, ders5 = [], []
    for seed in (2, 3, 4):
        audio, truth = _conversation(work, 2.5, seed=seed)
        result = backend.diarize(audio, None)
        hypothesis = [(s, e, f"S{k}") for s, e, k in result.segments]
        ders0.append(der(truth, hypothesis, collar=0.0))
        ders5.append(der(truth, hypothesis, collar=0.5))
    print(f"addon_cpu_der_collar0={statistics.mean(ders0):.4f}")
    print(f"addon_cpu_der_collar05={statistics.mean(ders5):.4f}")


def _vm_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _reset_peak_rss() -> None:
    """Linux: writing 5 to clear_refs resets VmHWM, so the next peak is this chunk's alone."""
    Path("/proc/self/clear_refs").write_text("5")


def _worst_case_fingerprints(backend: Any, audio: np.ndarray) -> float:
    """Seconds for 4 local speakers each alone for 60 s: the most TitaNet work one chunk gets."""
    frames = int(audio.size / 16000 / backend.frame_s)
    active = np.zeros((frames, 4), dtype=bool)
    quarter = frames // 4
    for slot in range(4):
        active[slot * quarter : (slot + 1) * quarter, slot] = True
    started = time.perf_counter()
    backend._fingerprints(audio, active)
    return time.perf_counter() - started


def _time_diarize(
    backend: Any, chunk: np.ndarray, repeats: int, device: str
) -> tuple[list[float], list[float]]:
    """Wall time of diarize() and of its Sortformer forward, from the same calls."""
    import torch

    times: list[float] = []
    sortformer_times: list[float] = []
    forward = backend.activity

    def timed_activity(audio: np.ndarray) -> np.ndarray:
        t0 = time.perf_counter()
        probs: np.ndarray = forward(audio)  # ends with .cpu(): synchronised on CUDA
        sortformer_times.append(time.perf_counter() - t0)
        return probs

    backend.activity = timed_activity
    try:
        for _ in range(repeats):
            t0 = time.perf_counter()
            backend.diarize(chunk, None)
            if device != "cpu":
                torch.cuda.synchronize()
            times.append(time.perf_counter() - t0)
    finally:
        backend.activity = forward
    return times, sortformer_times


def nemo_child(device: str, chunks: list[int]) -> None:
    """One process: load the full-size models on `device`, then measure each chunk length."""
    import torch

    from evalkit.nemo_models import FULL, cached_models
    from spark_diarizer.backends.nemo import NemoBackend

    torch.set_num_threads(2 if device == "cpu" else torch.get_num_threads())
    sortformer, titanet = cached_models(FULL)
    started = time.perf_counter()
    backend = NemoBackend(str(sortformer), str(titanet), device=device)
    tag = "nemo_full" if device == "cpu" else "nemo"
    print(f"addon_{tag}_load_s={time.perf_counter() - started:.1f}", flush=True)
    rng = np.random.default_rng(0)
    backend.diarize(rng.normal(0, 0.1, 16000 * 10).astype(np.float32), None)  # warm-up
    if device == "cpu":
        print(f"addon_nemo_full_rss_loaded_mb={_vm_kb('VmRSS') / 1024:.0f}", flush=True)
    else:
        print(f"addon_nemo_device={torch.cuda.get_device_name(0).replace(' ', '_')}", flush=True)
    for seconds in chunks:
        chunk = rng.normal(0, 0.1, 16000 * seconds).astype(np.float32)
        if device == "cpu":
            _reset_peak_rss()
        else:
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
        repeats = 1 if device == "cpu" and seconds > 60 else (2 if device == "cpu" else 5)
        times, sortformer_times = _time_diarize(backend, chunk, repeats, device)
        worst_fp = _worst_case_fingerprints(backend, chunk)
        sortformer_s = statistics.median(sortformer_times)
        total = sortformer_s + worst_fp  # activity + worst-case TitaNet
        if device == "cpu":
            print(f"addon_nemo_full_rtfx_cpu_{seconds}s={seconds / statistics.median(times):.2f}")
            print(f"addon_nemo_full_rtfx_cpu_worst_{seconds}s={seconds / total:.2f}")
            print(f"addon_nemo_full_sortformer_s_{seconds}s={sortformer_s:.1f}")
            print(f"addon_nemo_full_titanet_worst_s_{seconds}s={worst_fp:.1f}")
            print(
                f"addon_nemo_full_peak_rss_mb_{seconds}s={_vm_kb('VmHWM') / 1024:.0f}", flush=True
            )
        else:
            print(f"addon_nemo_rtfx_{seconds}s={seconds / statistics.median(times):.0f}")
            print(f"addon_nemo_rtfx_worst_{seconds}s={seconds / total:.0f}")
            print(f"addon_nemo_sortformer_ms_{seconds}s={1000 * sortformer_s:.0f}")
            print(
                f"addon_nemo_peak_gpu_mb_{seconds}s={torch.cuda.max_memory_allocated() / 2**20:.0f}"
            )
            print(
                f"addon_nemo_peak_gpu_reserved_mb_{seconds}s="
                f"{torch.cuda.max_memory_reserved() / 2**20:.0f}",
                flush=True,
            )


def bench_nemo(parts: set[str]) -> None:
    """Full-size nemo figures: on the CPU, and on CUDA when torch sees a GPU."""
    import torch

    runs: list[tuple[str, tuple[int, ...]]] = []
    if "nemo-cpu" in parts:
        runs.append(("cpu", NEMO_CPU_CHUNKS_S))
    if "nemo-cuda" in parts and torch.cuda.is_available():
        runs.append(("cuda", NEMO_GPU_CHUNKS_S))
    elif "nemo-cuda" in parts:
        print("addon_nemo_rtfx=nan")
        print("addon_nemo_device=none")
    for device, chunks in runs:
        argv = ["--nemo-child", device, ",".join(str(c) for c in chunks)]
        done = subprocess.run([sys.executable, __file__, *argv], check=False, timeout=3600)
        if done.returncode != 0:
            print(f"addon_nemo_{device}_failed=exit_{done.returncode}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--only", action="append", choices=PARTS, help="run only these parts (repeatable)"
    )
    parser.add_argument(
        "--nemo-child", nargs=2, metavar=("DEVICE", "CHUNKS"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.nemo_child:
        device, chunks = args.nemo_child
        nemo_child(device, [int(c) for c in chunks.split(",")])
        return
    parts = set(args.only or PARTS)
    if "cpu-backend" in parts:
        with tempfile.TemporaryDirectory(prefix="bench_addon_") as tmp:
            bench_cpu(Path(tmp))
    bench_nemo(parts)


if __name__ == "__main__":
    main()
