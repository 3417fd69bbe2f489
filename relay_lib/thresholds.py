"""Cosine-distance merge thresholds per embedding model: distances are not comparable across models.

- TitaNet (192-d): 0.7, the seed's value (average pairwise cosine similarity > 0.3 merges); no
  real TitaNet evidence yet says otherwise (the cpu machines cannot run it with real weights).
- Resemblyzer (256-d, non-negative, so distances live in [0, 1]): 0.7 would merge everyone.
  Measured on real speech (the tuning part of evalkit/README.md's set: AMI excerpts + conversations
  built from their speakers), cpu add-on fingerprints of one recording across chunks, local
  speaker -> its dominant reference speaker:
    10 s chunks: same speaker n=301 median 0.030, p95 0.123, max 0.368;
                 different n=385 median 0.326, p10 0.112, p5 0.077
    30 s chunks: same speaker n=54 median 0.020, p95 0.170, max 0.230;
                 different n=108 median 0.412, p10 0.130, p5 0.082
  The classes overlap on real voices (synthetic espeak voices: same <= 0.025, different >= 0.327).
  0.2 keeps 98 % of same-speaker pairs below it at both chunk lengths (0.03 over the 30 s p95)
  and 75-82 % of different-speaker pairs above it; a sweep on the tuning part (0.2, 0.15,
  0.12) gave the lowest DER and the best exact speaker count at 0.2, because a split voice costs
  more than a merged pair under average linkage. The synthetic e2e test
  (tests/addon/relay/test_e2e.py) still re-measures both sides on every run.
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
