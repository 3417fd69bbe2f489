"""Score the cpu backend and the relay on the real-speech set (evalkit/realspeech.py).

The relay path is the library's own: chunks cut by relay_lib.audio (the same ChunkPlan as the
CLI), each chunk through the backend and the add-on's JSON contract (to_response), parsed and
clustered/stitched by relay_lib.pipeline.build_result. Only HTTP is skipped, so a tuning sweep
costs CPU time, not sockets. Backend answers can be cached on disk (keyed by audio, chunking and
backend parameters) for benchmarks and sweeps; tests pass no cache so they always recompute.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from evalkit.der import der_parts
from evalkit.realspeech import SR, Recording
from relay_lib.audio import ChunkPlan, iter_chunks
from relay_lib.pipeline import RelayOptions, build_result
from relay_lib.types import ChunkOutcome, parse_diarization


@dataclass(frozen=True)
class Score:
    """One recording through one setting."""

    name: str
    setting: str
    error_s: float
    speech_s: float
    found: int
    truth: int

    @property
    def der(self) -> float:
        """DER of this recording in percent."""
        return 100.0 * self.error_s / self.speech_s if self.speech_s else 0.0


def pooled_der(scores: list[Score]) -> float:
    """DER in percent over several recordings, weighted by reference speech time."""
    speech = sum(s.speech_s for s in scores)
    return 100.0 * sum(s.error_s for s in scores) / speech if speech else 0.0


def _key(rec: Recording, chunk_s: float, backend: Any) -> str:
    digest = hashlib.sha256(rec.audio.tobytes()).hexdigest()[:16]
    params = json.dumps(asdict(backend.params), sort_keys=True)
    return hashlib.sha256(f"{digest}|{chunk_s}|{params}".encode()).hexdigest()[:24]


def chunk_answers(
    backend: Any, rec: Recording, chunk_s: float, work: Path, cache: Path | None = None
) -> list[tuple[float, float, dict[str, Any]]]:
    """(start_s, end_s, diarize-chunk body) per chunk, as the add-on would answer."""
    from spark_diarizer.backends.base import to_response  # add-on env only

    cached = cache / f"{_key(rec, chunk_s, backend)}.json" if cache else None
    if cached is not None and cached.exists():
        return [tuple(item) for item in json.loads(cached.read_text())]  # type: ignore[misc]
    wav = work / f"{rec.name}.wav"
    if not wav.exists():
        sf.write(wav, np.clip(rec.audio, -1, 1), SR, subtype="PCM_16")
    out = []
    for chunk in iter_chunks(wav, ChunkPlan.from_seconds(chunk_s)):
        audio = chunk.samples.astype(np.float32) / 32768.0
        local = backend.diarize(audio, None)
        body = to_response(
            local, chunk.duration_s, backend.diarization_model, backend.embedding_model
        )
        out.append((chunk.start_s, chunk.end_s, body))
    if cached is not None:
        cached.parent.mkdir(parents=True, exist_ok=True)
        cached.write_text(json.dumps(out))
    return out


def relay_turns(
    answers: list[tuple[float, float, dict[str, Any]]],
    chunk_s: float,
    threshold: float | None = None,
) -> list[tuple[float, float, str]]:
    """Global turns from chunk answers through the relay's clustering and stitching."""
    outcomes = [
        ChunkOutcome(i, start, end, parse_diarization(body))
        for i, (start, end, body) in enumerate(answers)
    ]
    options = RelayOptions(addon_urls=["in-process"], chunk_seconds=chunk_s, threshold=threshold)
    result = build_result("eval", outcomes, answers[-1][1], options)
    return [(t.start, t.end, t.speaker) for t in result.segments]


def score(rec: Recording, turns: list[tuple[float, float, str]], setting: str) -> Score:
    """DER (collar 0, overlap scored) and speaker counts; `Unknown` turns count as a speaker
    only for DER (they are speech the relay could not attribute)."""
    found = len({s for _, _, s in turns if s != "Unknown"})
    error, speech = der_parts(rec.truth, turns)
    return Score(rec.name, setting, error, speech, found, rec.speakers)


def run(
    backend: Any,
    rec: Recording,
    chunk_s: float,
    work: Path,
    *,
    cache: Path | None = None,
    threshold: float | None = None,
) -> Score:
    """One recording through the relay at chunk_s (chunk_s >= duration: one whole chunk)."""
    answers = chunk_answers(backend, rec, chunk_s, work, cache)
    setting = "whole" if len(answers) == 1 else f"relay_{chunk_s:g}s"
    return score(rec, relay_turns(answers, chunk_s, threshold), setting)
