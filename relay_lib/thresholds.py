"""Cosine-distance merge thresholds per embedding model: distances are not comparable across models.

- TitaNet (192-d): 0.7, the seed's value (average pairwise cosine similarity > 0.3 merges).
- Resemblyzer (256-d, non-negative, so distances live in [0, 1]): 0.7 would merge everyone.
  Calibrated on the add-on's own fingerprints of the three espeak-ng voices of tests/audio_synth.py
  (6 min meeting, 60-120 s chunks): same-voice distances across chunks stay below ~0.12, different
  voices sit at or above ~0.35; 0.25 is placed between the two with room on both sides
  (tests/addon/relay/test_calibration.py re-measures the gap and checks the value still splits it).
"""

from __future__ import annotations

import logging

_LOGGER = logging.getLogger(__name__)

TITANET_THRESHOLD = 0.7
RESEMBLYZER_THRESHOLD = 0.25
DEFAULT_THRESHOLD = TITANET_THRESHOLD

_BY_NAME: tuple[tuple[str, float], ...] = (
    ("titanet", TITANET_THRESHOLD),
    ("resemblyzer", RESEMBLYZER_THRESHOLD),
)


def threshold_for(embedding_model: str | None) -> float:
    """The threshold for an embedding model name as the add-on reports it (case-insensitive)."""
    name = (embedding_model or "").lower()
    for key, value in _BY_NAME:
        if key in name:
            return value
    _LOGGER.warning(
        "no calibrated threshold for embedding model %r; using %.2f",
        embedding_model,
        DEFAULT_THRESHOLD,
    )
    return DEFAULT_THRESHOLD
