"""The bundled three-voice sample recording the guide suggests feeding to the relay CLI."""

from __future__ import annotations

from pathlib import Path

SAMPLE_DIR = Path(__file__).resolve().parent / "sample"
SAMPLE = SAMPLE_DIR / "meeting.ogg"  # 25 s, three espeak-ng voices; truth in meeting.rttm


def ensure_sample() -> Path:
    """The sample's path (raises if the checkout lost it)."""
    if not SAMPLE.is_file():
        raise FileNotFoundError(f"the bundled sample {SAMPLE} is missing")
    return SAMPLE
