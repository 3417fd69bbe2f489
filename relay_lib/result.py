"""The relay's result and its JSON form (schema: relay_lib/schema/relay-result.schema.json)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from relay_lib.merge import Utterance
from relay_lib.stitch import UNKNOWN_SPEAKER
from relay_lib.types import Turn

SCHEMA_PATH = Path(__file__).parent / "schema" / "relay-result.schema.json"
SCHEMA_VERSION = 1


@dataclass(frozen=True)
class SpeakerSummary:
    """One global speaker and how long they talk."""

    label: str
    talk_time_s: float

    @property
    def identified(self) -> bool:
        """False for the catch-all label of turns whose local speaker had no fingerprint."""
        return self.label != UNKNOWN_SPEAKER


@dataclass(frozen=True)
class RelayResult:
    """Speaker-labelled turns and utterances of one recording, plus what produced them."""

    source: str
    duration_s: float
    segments: tuple[Turn, ...]
    utterances: tuple[Utterance, ...]
    speakers: tuple[SpeakerSummary, ...]
    models: dict[str, str]
    chunk_seconds: float
    overlap_seconds: float
    chunk_count: int
    threshold: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict; times rounded to milliseconds."""
        return {
            "schema_version": SCHEMA_VERSION,
            "source": self.source,
            "duration_s": _ms(self.duration_s),
            "chunking": {
                "chunk_seconds": self.chunk_seconds,
                "overlap_seconds": self.overlap_seconds,
                "chunks": self.chunk_count,
            },
            "clustering": {"metric": "cosine", "linkage": "average", "threshold": self.threshold},
            "models": dict(self.models),
            "speakers": [
                {"label": s.label, "talk_time_s": _ms(s.talk_time_s), "identified": s.identified}
                for s in self.speakers
            ],
            "segments": [
                {"start_s": _ms(t.start), "end_s": _ms(t.end), "speaker": t.speaker}
                for t in self.segments
            ],
            "utterances": [
                {
                    "start_s": _ms(u.start),
                    "end_s": _ms(u.end),
                    "speaker": u.speaker,
                    "text": u.text,
                    "words": [
                        {"text": w.text, "start_s": _ms(w.start), "end_s": _ms(w.end)}
                        for w in u.words
                    ],
                }
                for u in self.utterances
            ],
        }

    def to_json(self) -> str:
        """Pretty JSON text of to_dict()."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"


def _ms(value: float) -> float:
    return round(value, 3)
