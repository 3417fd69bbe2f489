# bench-env: addon
"""Benchmark the diarize-chunk backends: real-time factor on a 300 s chunk, and DER.

Prints name=value lines: addon_cpu_rtfx (seconds of audio per second of processing, 300 s
3-voice chunk, cpu backend, 2 threads), addon_cpu_der_* (pyannote.metrics DER on synthesised
3-voice conversations, overlap scored; collar 0 and collar 0.5 total) and addon_nemo_rtfx
(full-size random-weight Sortformer + TitaNet on CUDA, only when a GPU is present).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "gpu_addon")]

from evalkit.audio_synth import meeting_script, synth_conversation  # noqa: E402
from evalkit.der import der  # noqa: E402
from spark_diarizer.backends.cpu import CpuBackend  # noqa: E402

CHUNK_S = 300.0


def _conversation(work: Path, minutes: float, seed: int) -> tuple[np.ndarray, list]:
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


def bench_nemo(work: Path) -> None:
    import torch

    if not torch.cuda.is_available():
        print("addon_nemo_rtfx=nan")
        print("addon_nemo_device=none")
        return
    from evalkit.nemo_models import FULL, build_models
    from spark_diarizer.backends.nemo import NemoBackend

    sortformer, titanet = build_models(work / "nemo", FULL)
    backend = NemoBackend(str(sortformer), str(titanet), device="cuda")
    chunk = np.random.default_rng(0).normal(0, 0.1, int(CHUNK_S * 16000)).astype(np.float32)
    backend.diarize(chunk[: 16000 * 10], None)  # CUDA context and kernels warm-up
    print(f"addon_nemo_rtfx={_rtfx(backend.diarize, chunk, repeats=3):.1f}")
    print(f"addon_nemo_device={torch.cuda.get_device_name(0).replace(' ', '_')}")


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench_addon_") as tmp:
        work = Path(tmp)
        bench_cpu(work)
        bench_nemo(work)


if __name__ == "__main__":
    main()
