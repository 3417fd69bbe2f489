"""The interface every backend implements, and the conversion of its output to the JSON contract."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np


@dataclass
class LocalDiarization:
    """A backend's answer for one chunk: turns by local slot, and fingerprints by slot."""

    segments: list[tuple[float, float, int]]
    fingerprints: dict[int, np.ndarray] = field(default_factory=dict)


class Backend(Protocol):
    """What the worker needs from a backend."""

    name: str
    device: str
    diarization_model: str
    embedding_model: str

    def diarize(self, audio: np.ndarray, max_speakers: int | None) -> LocalDiarization:
        """Diarize 16 kHz mono float32 audio."""
        ...


def to_response(
    result: LocalDiarization, duration: float, diarization_model: str, embedding_model: str
) -> dict[str, Any]:
    """Relabel slots as Speaker_0.. by first appearance and build the diarize-chunk body."""
    ordered = sorted(
        (s for s in result.segments if s[1] > s[0]), key=lambda seg: (seg[0], seg[1], seg[2])
    )
    labels: dict[int, str] = {}
    for _start, _end, slot in ordered:
        labels.setdefault(slot, f"Speaker_{len(labels)}")
    segments = [
        {
            "start_s": round(max(0.0, start), 3),
            "end_s": round(min(duration, end), 3),
            "speaker": labels[slot],
        }
        for start, end, slot in ordered
    ]
    fingerprints: dict[str, list[float]] = {}
    for slot, label in labels.items():
        vector = result.fingerprints.get(slot)
        if vector is None:
            continue
        norm = float(np.linalg.norm(vector))
        if not np.isfinite(norm) or norm == 0.0:
            continue
        fingerprints[label] = [round(float(x), 6) for x in vector / norm]
    return {
        "duration": round(duration, 3),
        "segments": segments,
        "speakers_detected": list(labels.values()),
        "fingerprints": fingerprints,
        "models": {"diarization": diarization_model, "embedding": embedding_model},
    }
