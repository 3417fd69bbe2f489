"""Relabel chunk-local turns with global speakers and stitch them into one absolute timeline.

Overlapping chunks are de-duplicated by giving each chunk the audio up to the middle of its overlap
with the neighbour; a speaker's turns that meet at such a boundary are joined into one turn.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from relay_lib.clustering import Fingerprint, SpeakerHints, cluster_fingerprints
from relay_lib.errors import FingerprintError
from relay_lib.types import ChunkOutcome, Turn

UNKNOWN_SPEAKER = "Unknown"
BOUNDARY_TOLERANCE_S = 0.3


def speaker_label(number: int) -> str:
    """Human label of the n-th global speaker (1-based)."""
    return f"Speaker {number}"


@dataclass(frozen=True)
class OwnedRange:
    """The part of the timeline whose turns are taken from one chunk."""

    index: int
    start: float
    end: float


def owned_ranges(chunks: Sequence[ChunkOutcome]) -> list[OwnedRange]:
    """Split overlaps between neighbours at their midpoint (chunks sorted by index)."""
    ranges: list[OwnedRange] = []
    for pos, chunk in enumerate(chunks):
        start = chunk.start_s if pos == 0 else (chunk.start_s + chunks[pos - 1].end_s) / 2
        end = chunk.end_s if pos == len(chunks) - 1 else (chunks[pos + 1].start_s + chunk.end_s) / 2
        ranges.append(OwnedRange(chunk.index, start, end))
    return ranges


def collect_fingerprints(chunks: Sequence[ChunkOutcome]) -> list[Fingerprint]:
    """Every fingerprint of every chunk, in chunk then label order; mixed models are an error."""
    models = {c.diarization.embedding_model for c in chunks if c.diarization.fingerprints}
    if len(models) > 1:
        raise FingerprintError(
            f"chunks were embedded by different models ({', '.join(sorted(models))}); "
            "their fingerprints cannot be compared"
        )
    return [
        Fingerprint(chunk.index, local, vector)
        for chunk in chunks
        for local, vector in sorted(chunk.diarization.fingerprints.items())
    ]


def assign_global_speakers(
    chunks: Sequence[ChunkOutcome], *, threshold: float, hints: SpeakerHints | None = None
) -> dict[tuple[int, str], int]:
    """Map (chunk index, local label) to a global cluster id (unnumbered yet)."""
    fingerprints = collect_fingerprints(chunks)
    labels = cluster_fingerprints(fingerprints, threshold=threshold, hints=hints)
    return {(fp.chunk, fp.local): label for fp, label in zip(fingerprints, labels, strict=True)}


def _clip(turn: Turn, owned: OwnedRange) -> Turn | None:
    start, end = max(turn.start, owned.start), min(turn.end, owned.end)
    return Turn(start, end, turn.speaker) if end > start else None


def stitch(
    chunks: Sequence[ChunkOutcome],
    clusters: dict[tuple[int, str], int],
    *,
    tolerance_s: float = BOUNDARY_TOLERANCE_S,
) -> list[Turn]:
    """Absolute, globally labelled turns ("Speaker 1" = first to speak), sorted by start."""
    ordered = sorted(chunks, key=lambda c: c.index)
    placed: list[tuple[int, Turn, int | None]] = []  # (position, turn, cluster id)
    for pos, (chunk, owned) in enumerate(zip(ordered, owned_ranges(ordered), strict=True)):
        for local in chunk.diarization.segments:
            shifted = Turn(local.start + chunk.start_s, local.end + chunk.start_s, local.speaker)
            clipped = _clip(shifted, owned)
            if clipped is not None:
                placed.append((pos, clipped, clusters.get((chunk.index, local.speaker))))
    first_seen: dict[int, float] = {}
    for _, turn, cluster in placed:
        if cluster is not None:
            first_seen[cluster] = min(first_seen.get(cluster, turn.start), turn.start)
    numbering = {
        c: n for n, c in enumerate(sorted(first_seen, key=lambda c: (first_seen[c], c)), 1)
    }
    boundaries = [r.end for r in owned_ranges(ordered)]
    by_speaker: dict[str, list[tuple[int, Turn]]] = {}
    for pos, turn, cluster in placed:
        label = speaker_label(numbering[cluster]) if cluster is not None else UNKNOWN_SPEAKER
        by_speaker.setdefault(label, []).append((pos, Turn(turn.start, turn.end, label)))
    joined: list[Turn] = []
    for items in by_speaker.values():
        items.sort(key=lambda item: (item[1].start, item[1].end))
        current_pos, current = items[0]
        for pos, turn in items[1:]:
            meets = (
                pos == current_pos + 1
                and current.end >= boundaries[current_pos] - tolerance_s
                and turn.start <= boundaries[current_pos] + tolerance_s
            )
            if meets or turn.start <= current.end:
                current = Turn(current.start, max(current.end, turn.end), current.speaker)
            else:
                joined.append(current)
                current = turn
            current_pos = pos
        joined.append(current)
    return sorted(joined, key=lambda t: (t.start, t.end, t.speaker))


def talk_time(turns: Sequence[Turn]) -> dict[str, float]:
    """Seconds each speaker talks (union of their turns, so overlaps are not double-counted)."""
    totals: dict[str, float] = {}
    by_speaker: dict[str, list[Turn]] = {}
    for turn in turns:
        by_speaker.setdefault(turn.speaker, []).append(turn)
    for speaker, items in by_speaker.items():
        items.sort(key=lambda t: t.start)
        total, cur_start, cur_end = 0.0, items[0].start, items[0].end
        for turn in items[1:]:
            if turn.start > cur_end:
                total += cur_end - cur_start
                cur_start, cur_end = turn.start, turn.end
            else:
                cur_end = max(cur_end, turn.end)
        totals[speaker] = total + (cur_end - cur_start)
    return totals
