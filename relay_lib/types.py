"""Data types shared by the relay stages; parsing checks the add-on/STT contracts on the way in."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from relay_lib.errors import ResponseFormatError


@dataclass(frozen=True)
class Turn:
    """A speaker turn in seconds; `speaker` is a local or a global label depending on the stage."""

    start: float
    end: float
    speaker: str

    @property
    def duration(self) -> float:
        """Length in seconds (never negative)."""
        return max(0.0, self.end - self.start)


@dataclass(frozen=True)
class Word:
    """A transcribed word with absolute times; `speaker` is set by the merge."""

    text: str
    start: float
    end: float
    speaker: str | None = None


@dataclass(frozen=True)
class TranscriptSegment:
    """A transcript segment with absolute times and the words inside it (may be empty)."""

    start: float
    end: float
    text: str
    words: tuple[Word, ...] = ()


@dataclass(frozen=True)
class ChunkDiarization:
    """One add-on response, still in chunk-local time and labels."""

    duration: float
    segments: tuple[Turn, ...]
    speakers: tuple[str, ...]
    fingerprints: dict[str, tuple[float, ...]]
    diarization_model: str
    embedding_model: str


@dataclass(frozen=True)
class ChunkTranscript:
    """One STT response in chunk-local time; `words` is empty for the plain-text fallback."""

    text: str
    segments: tuple[TranscriptSegment, ...]
    words: tuple[Word, ...]
    model: str | None = None


@dataclass
class ChunkOutcome:
    """Everything the services said about one chunk, with its absolute placement."""

    index: int
    start_s: float
    end_s: float
    diarization: ChunkDiarization
    transcript: ChunkTranscript | None = None
    attempts: dict[str, int] = field(default_factory=dict)


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ResponseFormatError(f"{what} must be a finite number, got {value!r}")
    return float(value)


def _mapping(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ResponseFormatError(f"{what} must be an object, got {type(value).__name__}")
    return value


def _list(value: Any, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise ResponseFormatError(f"{what} must be an array, got {type(value).__name__}")
    return value


def parse_diarization(body: Any) -> ChunkDiarization:
    """Check a diarize-chunk response (the add-on's JSON schema, structurally) and convert it."""
    data = _mapping(body, "response")
    missing = {"duration", "segments", "speakers_detected", "fingerprints", "models"} - data.keys()
    if missing:
        raise ResponseFormatError(f"response lacks {', '.join(sorted(missing))}")
    segments: list[Turn] = []
    for i, raw in enumerate(_list(data["segments"], "segments")):
        seg = _mapping(raw, f"segments[{i}]")
        start = _number(seg.get("start_s"), f"segments[{i}].start_s")
        end = _number(seg.get("end_s"), f"segments[{i}].end_s")
        speaker = seg.get("speaker")
        if not isinstance(speaker, str) or not speaker:
            raise ResponseFormatError(f"segments[{i}].speaker must be a label")
        if end < start:
            raise ResponseFormatError(f"segments[{i}] ends before it starts")
        segments.append(Turn(start, end, speaker))
    speakers = tuple(str(s) for s in _list(data["speakers_detected"], "speakers_detected"))
    fingerprints: dict[str, tuple[float, ...]] = {}
    for label, raw in _mapping(data["fingerprints"], "fingerprints").items():
        values = _list(raw, f"fingerprints[{label}]")
        # NaN/inf are kept here on purpose: clustering rejects them with a message naming the chunk.
        fingerprints[str(label)] = tuple(
            float(v) if isinstance(v, int | float) and not isinstance(v, bool) else math.nan
            for v in values
        )
    models = _mapping(data["models"], "models")
    diar_model, emb_model = models.get("diarization"), models.get("embedding")
    if not isinstance(diar_model, str) or not isinstance(emb_model, str):
        raise ResponseFormatError("models.diarization and models.embedding must be strings")
    return ChunkDiarization(
        duration=_number(data["duration"], "duration"),
        segments=tuple(sorted(segments, key=lambda t: (t.start, t.end))),
        speakers=speakers,
        fingerprints=fingerprints,
        diarization_model=diar_model,
        embedding_model=emb_model,
    )


def _parse_words(raw_words: Any, what: str) -> tuple[Word, ...]:
    words: list[Word] = []
    for i, raw in enumerate(_list(raw_words, what)):
        item = _mapping(raw, f"{what}[{i}]")
        text = item.get("word", item.get("text", ""))
        if "start" not in item:
            continue  # a word without a time cannot be placed; its text stays in the segment
        start = _number(item["start"], f"{what}[{i}].start")
        end = _number(item.get("end", start), f"{what}[{i}].end")
        words.append(Word(str(text).strip(), start, max(start, end)))
    return tuple(w for w in words if w.text)


def parse_transcript(body: Any) -> ChunkTranscript:
    """Convert an OpenAI-style transcription (verbose_json, json or a bare string)."""
    if isinstance(body, str):
        return ChunkTranscript(text=body.strip(), segments=(), words=())
    data = _mapping(body, "transcription")
    text = data.get("text", "")
    if not isinstance(text, str):
        raise ResponseFormatError("transcription.text must be a string")
    segments: list[TranscriptSegment] = []
    for i, raw in enumerate(_list(data.get("segments", []) or [], "segments")):
        seg = _mapping(raw, f"segments[{i}]")
        start = _number(seg.get("start"), f"segments[{i}].start")
        end = _number(seg.get("end", start), f"segments[{i}].end")
        words = _parse_words(seg.get("words", []) or [], f"segments[{i}].words")
        segments.append(
            TranscriptSegment(start, max(start, end), str(seg.get("text", "")).strip(), words)
        )
    words = _parse_words(data.get("words", []) or [], "words")
    model = data.get("model")
    return ChunkTranscript(
        text=text.strip(),
        segments=tuple(segments),
        words=words,
        model=model if isinstance(model, str) else None,
    )
