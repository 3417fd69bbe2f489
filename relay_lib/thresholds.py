"""Cosine-distance merge thresholds per embedding model: distances are not comparable across models.

- TitaNet (192-d): 0.7, the seed's value (average pairwise cosine similarity > 0.3 merges).
- Resemblyzer (256-d, non-negative, so distances live in [0, 1]): 0.7 would merge everyone.
  Calibrated on the add-on's own (cpu backend) fingerprints of the three espeak-ng voices of
  evalkit/audio_synth.py, 6 min meeting in 120 s chunks: same voice across chunks <= 0.025 (mean
  0.012), different voices >= 0.327 (mean 0.414). 0.2 sits between them, nearer the different-voice
  side because real recordings spread one voice far more than synthetic ones do. The e2e test
  (tests/addon/relay/test_e2e.py) re-measures both sides on every run and checks 0.2 still splits.
"""

from __future__ import annotations

import logging

_LOGGER = logging.getLogger(__name__)

TITANET_THRESHOLD = 0.7
RESEMBLYZER_THRESHOLD = 0.2
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
