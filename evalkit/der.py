"""Diarization error rate with pyannote.metrics, shared by tests and benchmarks/bench_addon.py."""

from __future__ import annotations

import warnings
from collections.abc import Iterable

from pyannote.core import Annotation, Segment
from pyannote.metrics.diarization import DiarizationErrorRate


def annotation(segments: Iterable[tuple[float, float, str]]) -> Annotation:
    """(start_s, end_s, label) triples as a pyannote Annotation."""
    out = Annotation()
    for index, (start, end, label) in enumerate(segments):
        out[Segment(start, end), index] = label
    return out


def der(
    reference: Iterable[tuple[float, float, str]],
    hypothesis: Iterable[tuple[float, float, str]],
    collar: float = 0.0,
) -> float:
    """DER with overlap scored; `collar` is pyannote's total width (0.5 == NIST 0.25 s)."""
    metric = DiarizationErrorRate(collar=collar, skip_overlap=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # uem approximated from the extents
        return float(metric(annotation(reference), annotation(hypothesis)))


def body_segments(body: dict[str, object]) -> list[tuple[float, float, str]]:
    """The segments of a diarize-chunk response as triples."""
    segments = body["segments"]
    assert isinstance(segments, list)
    return [(s["start_s"], s["end_s"], s["speaker"]) for s in segments]


def der_parts(
    reference: Iterable[tuple[float, float, str]],
    hypothesis: Iterable[tuple[float, float, str]],
    collar: float = 0.0,
) -> tuple[float, float]:
    """(error seconds, reference speech seconds), to pool DER over recordings by speech time."""
    metric = DiarizationErrorRate(collar=collar, skip_overlap=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        parts = metric(annotation(reference), annotation(hypothesis), detailed=True)
    return float(parts["confusion"] + parts["missed detection"] + parts["false alarm"]), float(
        parts["total"]
    )
