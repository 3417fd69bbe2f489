"""Merge per-chunk transcripts with the global speaker turns into speaker-labelled utterances.

Words are attributed on an exclusive (non-overlapping) timeline: where two turns overlap, the
shorter turn owns the overlap (an interjection inside a longer turn). Each word takes the speaker it
overlaps most, or the nearest turn when it overlaps none; utterances are re-cut at speaker changes.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from relay_lib.stitch import OwnedRange
from relay_lib.types import ChunkTranscript, TranscriptSegment, Turn, Word


@dataclass(frozen=True)
class Utterance:
    """A run of words by one speaker inside one transcript segment."""

    start: float
    end: float
    speaker: str | None
    text: str
    words: tuple[Word, ...] = ()


def exclusive_timeline(turns: Sequence[Turn]) -> list[Turn]:
    """Non-overlapping turns: in each elementary interval the shortest active turn wins."""
    cuts = sorted({t for turn in turns for t in (turn.start, turn.end)})
    if len(cuts) < 2:
        return []
    by_start = sorted(turns, key=lambda t: t.start)
    out: list[Turn] = []
    active: list[Turn] = []
    next_turn = 0
    for left, right in itertools.pairwise(cuts):
        while next_turn < len(by_start) and by_start[next_turn].start <= left:
            active.append(by_start[next_turn])
            next_turn += 1
        active = [t for t in active if t.end > left]
        covering = [t for t in active if t.start <= left and t.end >= right]
        if not covering:
            continue
        winner = min(covering, key=lambda t: (t.duration, t.start, t.speaker)).speaker
        if out and out[-1].speaker == winner and out[-1].end == left:
            out[-1] = Turn(out[-1].start, right, winner)
        else:
            out.append(Turn(left, right, winner))
    return out


class SpeakerLookup:
    """Max-overlap / nearest-turn speaker for a time span, over an exclusive timeline."""

    def __init__(self, timeline: Sequence[Turn]) -> None:
        self._turns = list(timeline)
        self._starts = [t.start for t in self._turns]

    def speaker_for(self, start: float, end: float) -> str | None:
        """The speaker of the span (None only when there are no turns at all)."""
        if not self._turns:
            return None
        first = max(bisect.bisect_right(self._starts, start) - 1, 0)
        overlap: dict[str, float] = {}
        i = first
        while i < len(self._turns) and self._turns[i].start < end:
            turn = self._turns[i]
            shared = min(end, turn.end) - max(start, turn.start)
            if shared > 0:
                overlap[turn.speaker] = overlap.get(turn.speaker, 0.0) + shared
            i += 1
        if overlap:
            return max(overlap, key=lambda s: (overlap[s], s))
        middle = (start + end) / 2
        near = self._turns[max(first - 1, 0) : first + 2]
        near += self._turns[max(i - 1, 0) : i + 1]
        return min(near, key=lambda t: max(t.start - middle, middle - t.end, 0.0)).speaker


def _shift_word(word: Word, offset: float) -> Word:
    return Word(word.text, word.start + offset, word.end + offset)


def absolute_segments(
    transcript: ChunkTranscript, offset: float, owned: OwnedRange
) -> list[TranscriptSegment]:
    """Chunk transcript in absolute time, trimmed to the owned range (de-duplicates overlaps)."""

    def inside(start: float, end: float) -> bool:
        return owned.start <= (start + end) / 2 < owned.end

    seg_words = [[_shift_word(w, offset) for w in seg.words] for seg in transcript.segments]
    loose = [_shift_word(w, offset) for w in transcript.words]
    if loose and not any(seg_words):
        spans = [(s.start + offset, s.end + offset) for s in transcript.segments]
        for word in loose:  # attach top-level words to the segment holding their midpoint
            mid = (word.start + word.end) / 2
            target = next((k for k, (a, b) in enumerate(spans) if a <= mid <= b), None)
            if target is None and spans:
                target = min(
                    range(len(spans)),
                    key=lambda k: min(abs(spans[k][0] - mid), abs(spans[k][1] - mid)),
                )
            if target is not None:
                seg_words[target].append(word)
        if not transcript.segments:
            return _segment_from_words([w for w in loose if inside(w.start, w.end)])
    out: list[TranscriptSegment] = []
    for seg, words in zip(transcript.segments, seg_words, strict=True):
        start, end = seg.start + offset, seg.end + offset
        if words:
            kept = [w for w in words if inside(w.start, w.end)]
            if len(kept) == len(words):
                out.append(TranscriptSegment(start, end, seg.text or _join(kept), tuple(kept)))
            else:
                out.extend(_segment_from_words(kept))
        elif inside(start, end):
            out.append(TranscriptSegment(start, end, seg.text))
    if not transcript.segments and not loose and transcript.text:
        out.append(
            TranscriptSegment(owned.start, owned.end, transcript.text)
        )  # plain-text fallback
    return out


def _join(words: Sequence[Word]) -> str:
    return " ".join(w.text for w in words)


def _segment_from_words(words: Sequence[Word]) -> list[TranscriptSegment]:
    if not words:
        return []
    return [TranscriptSegment(words[0].start, words[-1].end, _join(words), tuple(words))]


def utterances(segments: Sequence[TranscriptSegment], turns: Sequence[Turn]) -> list[Utterance]:
    """Attribute every word, then cut each segment into runs of one speaker."""
    lookup = SpeakerLookup(exclusive_timeline(turns))
    out: list[Utterance] = []
    for seg in sorted(segments, key=lambda s: s.start):
        if not seg.words:
            out.append(
                Utterance(seg.start, seg.end, lookup.speaker_for(seg.start, seg.end), seg.text)
            )
            continue
        labelled = [
            Word(w.text, w.start, w.end, lookup.speaker_for(w.start, max(w.end, w.start + 1e-3)))
            for w in seg.words
        ]
        run: list[Word] = [labelled[0]]
        for word in labelled[1:]:
            if word.speaker != run[-1].speaker:
                out.append(_utterance(run))
                run = []
            run.append(word)
        out.append(_utterance(run))
    return out


def _utterance(words: Sequence[Word]) -> Utterance:
    return Utterance(words[0].start, words[-1].end, words[0].speaker, _join(words), tuple(words))
