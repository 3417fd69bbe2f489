"""The chunk plan as (index, start, length) slices of a recording decoded once.

The Ray executor decodes each recording once (a Ray task, from the file's bytes), turns its length
into the same boundaries `audio.iter_chunks` would cut (tested to match) and each chunk task cuts
its slice out of the decoded samples (zero-copy from Ray's object store). One plan, one decoder:
both executors send identical audio.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

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


def decode_all(data: bytes, name: str = "recording") -> npt.NDArray[np.int16]:
    """The whole recording (file bytes) as 16 kHz mono int16; AudioDecodeError if unreadable."""
    blocks = list(iter_pcm(io.BytesIO(data)))
    if not blocks or sum(len(b) for b in blocks) == 0:
        raise AudioDecodeError(f"{name} holds no audio samples")
    return np.concatenate(blocks).astype(np.int16, copy=False)


def plan_slices(total_samples: int, plan: ChunkPlan) -> list[Slice]:
    """The chunks `iter_chunks` yields for a recording of total_samples (ChunkPlan.bounds)."""
    return [
        Slice(index, start, end - start)
        for index, (start, end) in enumerate(plan.bounds(total_samples))
    ]


def cut(samples: npt.NDArray[np.int16], part: Slice) -> Chunk:
    """The slice's chunk out of the decoded recording (a view: no copy)."""
    view = samples[part.start_sample : part.start_sample + part.samples]
    if len(view) != part.samples:
        raise AudioDecodeError(
            f"chunk {part.index}: {len(view)} samples where {part.samples} were planned"
        )
    return Chunk(part.index, part.start_sample, view)
