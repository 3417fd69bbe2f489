"""Stream-decode any ffmpeg-readable recording into 16 kHz mono PCM16 chunks at exact offsets.

Only one chunk (plus the overlap carried into the next) is ever held in memory, so a multi-hour
file costs the same RAM as a five-minute one.
"""

from __future__ import annotations

import io
import wave
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import av
import numpy as np
import numpy.typing as npt

from relay_lib.errors import AudioDecodeError

SAMPLE_RATE = 16000


@dataclass(frozen=True)
class Chunk:
    """One slice of the recording; `start_sample` is exact, so offsets never drift."""

    index: int
    start_sample: int
    samples: npt.NDArray[np.int16]

    @property
    def start_s(self) -> float:
        """Offset of the first sample in seconds."""
        return self.start_sample / SAMPLE_RATE

    @property
    def duration_s(self) -> float:
        """Length of the chunk in seconds."""
        return len(self.samples) / SAMPLE_RATE

    @property
    def end_s(self) -> float:
        """Offset just past the last sample in seconds."""
        return (self.start_sample + len(self.samples)) / SAMPLE_RATE

    def to_wav(self) -> bytes:
        """The chunk as an in-memory 16 kHz mono PCM16 WAV file, the upload format."""
        buffer = io.BytesIO()
        with wave.open(buffer, "wb") as writer:
            writer.setnchannels(1)
            writer.setsampwidth(2)
            writer.setframerate(SAMPLE_RATE)
            writer.writeframes(self.samples.astype("<i2", copy=False).tobytes())
        return buffer.getvalue()


# A tail with less new audio than this is folded into the chunk before it: the add-on refuses
# anything under 0.1 s and a few seconds of speech give no usable voice fingerprint. At most 5 s,
# so a folded chunk stays within a few seconds of the chosen length (the add-on caps duration).
MIN_TAIL_S = 1.0
MAX_TAIL_S = 5.0
TAIL_FRACTION = 0.1
# The add-on's default `max_duration_s`: a last chunk that folding would push past it (or past
# the chunk length, if that is longer) is split into two halves instead, so a tail never turns
# a chunk the add-on accepts into one it refuses with 413.
ADDON_MAX_CHUNK_S = 600.0


@dataclass(frozen=True)
class ChunkPlan:
    """Chunk length, overlap and the shortest tail worth its own chunk, in samples."""

    chunk_samples: int
    overlap_samples: int
    min_tail_samples: int = 1
    max_samples: int = round(ADDON_MAX_CHUNK_S * SAMPLE_RATE)

    @classmethod
    def from_seconds(
        cls, chunk_s: float, overlap_s: float = 0.0, max_chunk_s: float = ADDON_MAX_CHUNK_S
    ) -> ChunkPlan:
        """Build a plan; the overlap must leave every chunk some new audio.

        The last chunk absorbs a tail of less than max(1 s, 10 % of the chunk), at most 5 s,
        unless that would make it longer than both max_chunk_s and the chunk length: then the
        last chunk and its tail are cut into two halves.
        """
        chunk = round(chunk_s * SAMPLE_RATE)
        overlap = round(overlap_s * SAMPLE_RATE)
        if chunk < SAMPLE_RATE:
            raise ValueError("chunk length must be at least 1 s")
        if overlap < 0 or overlap * 2 > chunk:
            raise ValueError("overlap must be between 0 and half the chunk length")
        tail_s = min(max(MIN_TAIL_S, TAIL_FRACTION * chunk_s), MAX_TAIL_S)
        return cls(chunk, overlap, round(tail_s * SAMPLE_RATE), round(max_chunk_s * SAMPLE_RATE))

    @property
    def step_samples(self) -> int:
        """Distance between the starts of two consecutive chunks."""
        return self.chunk_samples - self.overlap_samples

    def splits_last(self, remaining: int) -> bool:
        """Whether a last chunk of `remaining` samples is cut in two instead of sent whole."""
        return remaining > max(self.max_samples, self.chunk_samples)

    def halves(self, remaining: int) -> tuple[int, int]:
        """(length of the first half, start of the second) for a split last chunk; both halves
        share the plan's overlap."""
        first = -(-(remaining + self.overlap_samples) // 2)
        return first, first - self.overlap_samples

    def chunk_count(self, total_samples: int) -> int:
        """Number of chunks a recording of total_samples yields (same rule as iter_chunks)."""
        return len(self.bounds(total_samples))

    def bounds(self, total_samples: int) -> list[tuple[int, int]]:
        """(start, end) sample range of every chunk (same rule as iter_chunks)."""
        if total_samples <= 0:
            return []
        longest = self.chunk_samples + self.min_tail_samples
        full = 0 if total_samples < longest else 1 + (total_samples - longest) // self.step_samples
        out = [
            (i * self.step_samples, i * self.step_samples + self.chunk_samples) for i in range(full)
        ]
        start = full * self.step_samples
        remaining = total_samples - start
        if self.splits_last(remaining):
            first, second = self.halves(remaining)
            return [*out, (start, start + first), (start + second, total_samples)]
        return [*out, (start, total_samples)]


def probe_duration(path: Path | str) -> float | None:
    """Container duration in seconds, or None when the container does not say (streams)."""
    try:
        with av.open(str(path)) as container:
            stream = _audio_stream(container, path)
            if stream.duration is not None and stream.time_base is not None:
                return float(stream.duration * stream.time_base)
            if container.duration is not None:
                return container.duration / 1_000_000
    except AudioDecodeError:
        raise
    except (OSError, av.FFmpegError) as err:
        raise AudioDecodeError(f"cannot read {path}: {err}") from err
    return None


def _audio_stream(
    container: av.container.InputContainer, path: Path | str | BinaryIO
) -> av.AudioStream:
    if not container.streams.audio:
        raise AudioDecodeError(f"{path} has no audio track")
    return container.streams.audio[0]


def iter_pcm(path: Path | str | BinaryIO) -> Iterator[npt.NDArray[np.int16]]:
    """Yield the first audio track as consecutive 16 kHz mono int16 blocks (decoder-sized).

    `path` may also be a binary file object (a Ray chunk task decodes from the recording's bytes).
    """
    try:
        container = av.open(path if not isinstance(path, Path | str) else str(path), mode="r")
    except (OSError, av.FFmpegError) as err:
        raise AudioDecodeError(f"cannot open {path}: {err}") from err
    with container:
        stream = _audio_stream(container, path)
        resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
        try:
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    yield out.to_ndarray().reshape(-1).astype(np.int16, copy=False)
            for out in resampler.resample(None):
                yield out.to_ndarray().reshape(-1).astype(np.int16, copy=False)
        except av.FFmpegError as err:
            raise AudioDecodeError(f"cannot decode {path}: {err}") from err


def iter_chunks(path: Path | str, plan: ChunkPlan) -> Iterator[Chunk]:
    """Yield fixed-length chunks; consecutive chunks share the overlap.

    The last chunk may be shorter, or longer by less than `plan.min_tail_samples`: a full chunk
    is only sent once the audio after it holds at least that much, so a recording a hair longer
    than a multiple of the chunk length never ends on a sliver the add-on cannot diarize.
    Raises AudioDecodeError when the file cannot be decoded or holds no audio samples.
    """
    capacity = plan.chunk_samples + plan.min_tail_samples
    buffer = np.empty(capacity, dtype=np.int16)
    filled = 0
    start = 0
    index = 0
    for block in iter_pcm(path):
        pos = 0
        while pos < len(block):
            take = min(len(block) - pos, capacity - filled)
            buffer[filled : filled + take] = block[pos : pos + take]
            filled += take
            pos += take
            if filled == capacity:  # enough audio after this chunk for a chunk of its own
                yield Chunk(index, start, buffer[: plan.chunk_samples].copy())
                index += 1
                start += plan.step_samples
                kept = filled - plan.step_samples
                buffer[:kept] = buffer[plan.step_samples : filled]
                filled = kept
    if filled and plan.splits_last(filled):  # folding the tail would pass the add-on's cap
        first, second = plan.halves(filled)
        yield Chunk(index, start, buffer[:first].copy())
        yield Chunk(index + 1, start + second, buffer[second:filled].copy())
    elif filled:  # every chunk after the first starts with at least min_tail new samples
        yield Chunk(index, start, buffer[:filled].copy())
    elif index == 0:
        raise AudioDecodeError(f"{path} holds no audio samples")
