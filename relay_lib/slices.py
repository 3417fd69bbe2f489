"""Chunk boundaries without holding the audio: the plan as (index, start, length) slices.

The Ray executor's driver counts a recording's samples once, turns the count into the same
boundaries `audio.iter_chunks` would cut (tested to match), and each Ray task decodes only its
own slice from the recording's bytes. One plan, one decoder: both executors send identical audio.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from relay_lib.audio import Chunk, ChunkPlan, iter_pcm
from relay_lib.errors import AudioDecodeError


@dataclass(frozen=True)
class Slice:
    """Where one chunk lies in the decoded recording, in samples."""

    index: int
    start_sample: int
    samples: int


def count_samples(path: Path | str) -> int:
    """Decoded length of the recording in 16 kHz samples (one streaming pass, no audio kept)."""
    total = sum(len(block) for block in iter_pcm(path))
    if total == 0:
        raise AudioDecodeError(f"{path} holds no audio samples")
    return total


def plan_slices(total_samples: int, plan: ChunkPlan) -> list[Slice]:
    """The chunks `iter_chunks` yields for a recording of total_samples, as slices."""
    if total_samples <= 0:
        return []
    capacity = plan.chunk_samples + plan.min_tail_samples
    out: list[Slice] = []
    start = 0
    while start + capacity <= total_samples:
        out.append(Slice(len(out), start, plan.chunk_samples))
        start += plan.step_samples
    out.append(Slice(len(out), start, total_samples - start))
    return out


def decode_slice(data: bytes, part: Slice) -> Chunk:
    """Decode the recording's bytes up to the end of one slice and cut the slice out."""
    want_end = part.start_sample + part.samples
    kept: list[npt.NDArray[np.int16]] = []
    pos = 0
    for block in iter_pcm(io.BytesIO(data)):
        end = pos + len(block)
        if end > part.start_sample:
            kept.append(block[max(0, part.start_sample - pos) : max(0, want_end - pos)])
        pos = end
        if pos >= want_end:
            break
    samples = np.concatenate(kept) if kept else np.empty(0, dtype=np.int16)
    if len(samples) != part.samples:
        raise AudioDecodeError(
            f"chunk {part.index}: decoded {len(samples)} samples where {part.samples} were planned"
        )
    return Chunk(part.index, part.start_sample, samples.astype(np.int16, copy=False))
