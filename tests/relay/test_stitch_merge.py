"""Relabelling, stitching at chunk boundaries, overlap de-duplication and the transcript merge."""

from __future__ import annotations

import pytest

from relay_lib.errors import FingerprintError
from relay_lib.merge import SpeakerLookup, absolute_segments, exclusive_timeline, utterances
from relay_lib.stitch import (
    UNKNOWN_SPEAKER,
    assign_global_speakers,
    owned_ranges,
    stitch,
    talk_time,
)
from relay_lib.types import (
    ChunkDiarization,
    ChunkOutcome,
    ChunkTranscript,
    TranscriptSegment,
    Turn,
    Word,
)

A, B, C = [1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]


def outcome(
    index: int,
    start: float,
    end: float,
    turns: list[tuple[float, float, str]],
    prints: dict[str, list[float]],
    *,
    model: str = "titanet_large",
) -> ChunkOutcome:
    diar = ChunkDiarization(
        duration=end - start,
        segments=tuple(Turn(s, e, spk) for s, e, spk in turns),
        speakers=tuple(dict.fromkeys(spk for _, _, spk in turns)),
        fingerprints={k: tuple(v) for k, v in prints.items()},
        diarization_model="sortformer",
        embedding_model=model,
    )
    return ChunkOutcome(index, start, end, diar)


def run(chunks: list[ChunkOutcome]) -> list[Turn]:
    return stitch(chunks, assign_global_speakers(chunks, threshold=0.7))


def test_offsets_relabel_and_first_appearance_numbering() -> None:
    chunks = [
        outcome(
            0,
            0.0,
            10.0,
            [(1.0, 4.0, "Speaker_0"), (5.0, 8.0, "Speaker_1")],
            {"Speaker_0": B, "Speaker_1": A},
        ),
        outcome(
            1,
            10.0,
            20.0,
            [(2.0, 3.0, "Speaker_0"), (4.0, 6.0, "Speaker_1")],
            {"Speaker_0": A, "Speaker_1": C},
        ),
    ]
    turns = run(chunks)
    assert turns == [
        Turn(1.0, 4.0, "Speaker 1"),  # voice B speaks first
        Turn(5.0, 8.0, "Speaker 2"),  # voice A
        Turn(12.0, 13.0, "Speaker 2"),
        Turn(14.0, 16.0, "Speaker 3"),  # voice C
    ]


def test_chunk_order_does_not_matter() -> None:
    chunks = [
        outcome(1, 10.0, 20.0, [(0.0, 3.0, "Speaker_0")], {"Speaker_0": A}),
        outcome(0, 0.0, 10.0, [(0.0, 3.0, "Speaker_0")], {"Speaker_0": B}),
    ]
    assert run(chunks) == [Turn(0.0, 3.0, "Speaker 1"), Turn(10.0, 13.0, "Speaker 2")]


def test_turns_meeting_at_a_boundary_are_joined() -> None:
    chunks = [
        outcome(0, 0.0, 10.0, [(6.0, 10.0, "Speaker_0")], {"Speaker_0": A}),
        outcome(
            1,
            10.0,
            20.0,
            [(0.08, 2.0, "Speaker_1"), (3.0, 4.0, "Speaker_0")],
            {"Speaker_1": A, "Speaker_0": B},
        ),
    ]
    assert run(chunks) == [Turn(6.0, 12.0, "Speaker 1"), Turn(13.0, 14.0, "Speaker 2")]


def test_different_speakers_at_a_boundary_stay_apart() -> None:
    chunks = [
        outcome(0, 0.0, 10.0, [(6.0, 10.0, "Speaker_0")], {"Speaker_0": A}),
        outcome(1, 10.0, 20.0, [(0.0, 2.0, "Speaker_0")], {"Speaker_0": B}),
    ]
    assert run(chunks) == [Turn(6.0, 10.0, "Speaker 1"), Turn(10.0, 12.0, "Speaker 2")]


def test_gaps_inside_a_chunk_are_not_joined() -> None:
    chunks = [
        outcome(0, 0.0, 10.0, [(1.0, 2.0, "Speaker_0"), (2.1, 3.0, "Speaker_0")], {"Speaker_0": A})
    ]
    assert run(chunks) == [Turn(1.0, 2.0, "Speaker 1"), Turn(2.1, 3.0, "Speaker 1")]


def test_overlapping_chunks_are_deduplicated() -> None:
    # Chunks [0, 10) and [8, 18): the 2 s overlap is split at 9 s.
    chunks = [
        outcome(0, 0.0, 10.0, [(7.0, 10.0, "Speaker_0")], {"Speaker_0": A}),
        outcome(
            1,
            8.0,
            18.0,
            [(0.0, 3.0, "Speaker_0"), (4.0, 5.0, "Speaker_1")],
            {"Speaker_0": A, "Speaker_1": B},
        ),
    ]
    assert [(r.start, r.end) for r in owned_ranges(chunks)] == [(0.0, 9.0), (9.0, 18.0)]
    assert run(chunks) == [Turn(7.0, 11.0, "Speaker 1"), Turn(12.0, 13.0, "Speaker 2")]


def test_local_speaker_without_fingerprint_is_kept_as_unknown() -> None:
    chunks = [
        outcome(0, 0.0, 10.0, [(1.0, 2.0, "Speaker_0"), (3.0, 3.2, "Speaker_1")], {"Speaker_0": A})
    ]
    assert run(chunks) == [Turn(1.0, 2.0, "Speaker 1"), Turn(3.0, 3.2, UNKNOWN_SPEAKER)]


def test_mixed_embedding_models_are_refused() -> None:
    chunks = [
        outcome(0, 0.0, 10.0, [(1.0, 2.0, "Speaker_0")], {"Speaker_0": A}),
        outcome(1, 10.0, 20.0, [(1.0, 2.0, "Speaker_0")], {"Speaker_0": A}, model="resemblyzer"),
    ]
    with pytest.raises(FingerprintError, match="different models"):
        assign_global_speakers(chunks, threshold=0.7)


def test_no_speech_at_all() -> None:
    assert run([outcome(0, 0.0, 10.0, [], {})]) == []


def test_talk_time_counts_overlap_once() -> None:
    turns = [
        Turn(0, 2, "Speaker 1"),
        Turn(1, 3, "Speaker 1"),
        Turn(5, 6, "Speaker 1"),
        Turn(0, 1, "Speaker 2"),
    ]
    assert talk_time(turns) == {"Speaker 1": 4.0, "Speaker 2": 1.0}


def test_exclusive_timeline_gives_overlaps_to_the_shorter_turn() -> None:
    turns = [
        Turn(0.0, 10.0, "Speaker 1"),
        Turn(4.0, 5.0, "Speaker 2"),
        Turn(12.0, 13.0, "Speaker 1"),
    ]
    assert exclusive_timeline(turns) == [
        Turn(0.0, 4.0, "Speaker 1"),
        Turn(4.0, 5.0, "Speaker 2"),
        Turn(5.0, 10.0, "Speaker 1"),
        Turn(12.0, 13.0, "Speaker 1"),
    ]
    for i, turn in enumerate(exclusive_timeline(turns)[1:], 1):
        assert turn.start >= exclusive_timeline(turns)[i - 1].end


def test_lookup_max_overlap_and_nearest() -> None:
    lookup = SpeakerLookup(
        [Turn(0, 2, "Speaker 1"), Turn(2, 3, "Speaker 2"), Turn(8, 9, "Speaker 3")]
    )
    assert lookup.speaker_for(1.5, 2.2) == "Speaker 1"  # 0.5 s vs 0.2 s
    assert lookup.speaker_for(1.9, 2.8) == "Speaker 2"
    assert lookup.speaker_for(4.0, 4.5) == "Speaker 2"  # gap: nearest turn
    assert lookup.speaker_for(7.0, 7.5) == "Speaker 3"
    assert lookup.speaker_for(20.0, 21.0) == "Speaker 3"
    assert SpeakerLookup([]).speaker_for(0, 1) is None


def words(*items: tuple[str, float, float]) -> tuple[Word, ...]:
    return tuple(Word(t, s, e) for t, s, e in items)


def test_utterances_are_recut_at_speaker_changes() -> None:
    turns = [Turn(0.0, 2.0, "Speaker 1"), Turn(2.0, 4.0, "Speaker 2")]
    seg = TranscriptSegment(
        0.0,
        4.0,
        "hello there general kenobi",
        words(
            ("hello", 0.1, 0.5), ("there", 0.6, 1.9), ("general", 2.1, 2.9), ("kenobi", 3.0, 3.5)
        ),
    )
    out = utterances([seg], turns)
    assert [(u.speaker, u.text, u.start, u.end) for u in out] == [
        ("Speaker 1", "hello there", 0.1, 1.9),
        ("Speaker 2", "general kenobi", 2.1, 3.5),
    ]
    assert all(w.speaker == u.speaker for u in out for w in u.words)


def test_word_in_a_pause_takes_the_nearest_turn() -> None:
    turns = [Turn(0.0, 1.0, "Speaker 1"), Turn(5.0, 6.0, "Speaker 2")]
    seg = TranscriptSegment(0.0, 6.0, "", words(("a", 0.2, 0.4), ("b", 1.2, 1.4), ("c", 4.5, 4.8)))
    out = utterances([seg], turns)
    assert [(u.speaker, u.text) for u in out] == [("Speaker 1", "a b"), ("Speaker 2", "c")]


def test_segment_without_words_takes_its_majority_speaker() -> None:
    turns = [Turn(0.0, 1.0, "Speaker 1"), Turn(1.0, 4.0, "Speaker 2")]
    out = utterances([TranscriptSegment(0.0, 4.0, "whole chunk text")], turns)
    assert [(u.speaker, u.text, u.words) for u in out] == [("Speaker 2", "whole chunk text", ())]


def test_no_turns_leaves_speaker_empty() -> None:
    out = utterances([TranscriptSegment(0.0, 1.0, "x", words(("x", 0.1, 0.2)))], [])
    assert out[0].speaker is None


def test_absolute_segments_shift_and_attach_top_level_words() -> None:
    transcript = ChunkTranscript(
        text="one two three",
        segments=(TranscriptSegment(0.0, 1.0, "one two"), TranscriptSegment(1.5, 2.0, "three")),
        words=words(("one", 0.1, 0.4), ("two", 0.5, 0.9), ("three", 1.6, 1.9)),
    )
    owned = owned_ranges([outcome(0, 100.0, 110.0, [], {})])[0]
    segs = absolute_segments(transcript, 100.0, owned)
    assert [(s.start, s.end, s.text, [w.text for w in s.words]) for s in segs] == [
        (100.0, 101.0, "one two", ["one", "two"]),
        (101.5, 102.0, "three", ["three"]),
    ]
    assert segs[0].words[0].start == pytest.approx(100.1)


def test_absolute_segments_drop_words_outside_the_owned_range() -> None:
    chunks = [outcome(0, 0.0, 10.0, [], {}), outcome(1, 8.0, 18.0, [], {})]
    second = owned_ranges(chunks)[1]  # owns [9, 18)
    transcript = ChunkTranscript(
        text="dup dup new",
        segments=(TranscriptSegment(0.0, 3.0, "dup dup new"),),
        words=words(("dup", 0.1, 0.4), ("dup", 0.5, 0.9), ("new", 1.2, 1.5)),
    )
    segs = absolute_segments(transcript, 8.0, second)
    assert [(s.text, s.start) for s in segs] == [("new", pytest.approx(9.2))]


def test_plain_text_fallback_spans_the_owned_range() -> None:
    chunks = [outcome(0, 0.0, 10.0, [], {}), outcome(1, 10.0, 15.0, [], {})]
    segs = absolute_segments(ChunkTranscript("just text", (), ()), 10.0, owned_ranges(chunks)[1])
    assert segs == [TranscriptSegment(10.0, 15.0, "just text")]
    assert absolute_segments(ChunkTranscript("", (), ()), 10.0, owned_ranges(chunks)[1]) == []


def test_words_without_segments_become_one_segment() -> None:
    owned = owned_ranges([outcome(0, 0.0, 10.0, [], {})])[0]
    transcript = ChunkTranscript("a b", (), words(("a", 1.0, 1.2), ("b", 1.3, 1.5)))
    segs = absolute_segments(transcript, 0.0, owned)
    assert [(s.text, len(s.words)) for s in segs] == [("a b", 2)]
