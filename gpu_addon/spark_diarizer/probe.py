"""The built-in signal the deep health check diarizes: 3 s of two synthetic voiced sources."""

from __future__ import annotations

import numpy as np

SAMPLE_RATE = 16000


def probe_signal(seconds: float = 3.0) -> np.ndarray:
    """Harmonic buzz at two pitches with a 4 Hz syllable envelope; deterministic, no files."""
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    half = t < seconds / 2
    f0 = np.where(half, 110.0, 220.0)
    phase = 2 * np.pi * np.cumsum(f0) / SAMPLE_RATE
    voice = sum(np.sin(k * phase) / k for k in range(1, 12))
    envelope = 0.5 * (1 - np.cos(2 * np.pi * 4 * t))
    noise = np.random.default_rng(0).normal(0, 0.003, t.size)
    return (0.3 * voice * envelope / 3 + noise).astype(np.float32)
