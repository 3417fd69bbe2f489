"""Every output writer, with and without a transcript; JSON is checked against its schema."""

from __future__ import annotations

import json

import jsonschema
import pytest

from relay_lib.merge import Utterance
from relay_lib.result import RelayResult, SpeakerSummary
from relay_lib.types import Turn, Word
from relay_lib.writers import FORMATS, render
from tests.relay.fakes import RESULT_SCHEMA


def result(with_text: bool = True) -> RelayResult:
    turns = (
        Turn(0.5, 2.0, "Speaker 1"),
        Turn(2.2, 3661.25, "Speaker 2"),
        Turn(3662.0, 3663.0, "Unknown"),
    )
    said = (
        Utterance(
            0.5,
            2.0,
            "Speaker 1",
            "Hello <there> & hi",
            (
                Word("Hello", 0.5, 0.9, "Speaker 1"),
                Word("<there>", 1.0, 1.5, "Speaker 1"),
                Word("&", 1.5, 1.6, "Speaker 1"),
                Word("hi", 1.7, 2.0, "Speaker 1"),
            ),
        ),
        Utterance(2.2, 3.0, "Speaker 2", "Fine.", ()),
        Utterance(3.1, 3661.25, "Speaker 2", "Thanks.", ()),
    )
    return RelayResult(
        source="/tmp/my meeting.m4a",
        duration_s=3663.5,
        segments=turns,
        utterances=said if with_text else (),
        speakers=(
            SpeakerSummary("Speaker 1", 1.5),
            SpeakerSummary("Speaker 2", 3659.05),
            SpeakerSummary("Unknown", 1.0),
        ),
        models={"diarization": "sortformer", "embedding": "titanet_large", "stt": "parakeet"},
        chunk_seconds=300.0,
        overlap_seconds=0.0,
        chunk_count=13,
        threshold=0.7,
    )


@pytest.mark.parametrize("with_text", [True, False])
def test_json_matches_schema(with_text: bool) -> None:
    data = json.loads(render(result(with_text), "json"))
    jsonschema.validate(data, RESULT_SCHEMA)
    assert data["speakers"][2] == {"label": "Unknown", "talk_time_s": 1.0, "identified": False}
    assert data["segments"][1] == {"start_s": 2.2, "end_s": 3661.25, "speaker": "Speaker 2"}
    assert len(data["utterances"]) == (3 if with_text else 0)


def test_rttm() -> None:
    lines = render(result(), "rttm").splitlines()
    assert lines[0] == "SPEAKER my_meeting 1 0.500 1.500 <NA> <NA> Speaker_1 <NA> <NA>"
    assert lines[1].split()[3:5] == ["2.200", "3659.050"]
    assert all(len(line.split()) == 10 for line in lines)


def test_srt_with_transcript() -> None:
    text = render(result(), "srt")
    assert text.startswith("1\n00:00:00,500 --> 00:00:02,000\nSpeaker 1: Hello <there> & hi\n\n2\n")
    assert "3\n00:00:03,100 --> 01:01:01,250\nSpeaker 2: Thanks.\n" in text


def test_srt_without_transcript_uses_turns() -> None:
    text = render(result(with_text=False), "srt")
    assert "1\n00:00:00,500 --> 00:00:02,000\n[Speaker 1]\n" in text
    assert text.count("-->") == 3


def test_vtt_escapes_and_voice_spans() -> None:
    text = render(result(), "vtt")
    assert text.startswith("WEBVTT\n\n00:00:00.500 --> 00:00:02.000\n")
    assert "<v Speaker 1>Hello &lt;there&gt; &amp; hi\n" in text
    assert "01:01:01.250" in text


def test_txt_joins_a_speakers_consecutive_utterances() -> None:
    assert render(result(), "txt") == "Speaker 1: Hello <there> & hi\nSpeaker 2: Fine. Thanks.\n"
    bare = render(result(with_text=False), "txt").splitlines()
    assert bare[0] == "Speaker 1: [00:00:00.500 - 00:00:02.000]"
    assert bare[2].startswith("Unknown: ")


def test_every_format_renders_and_unknown_is_refused() -> None:
    for fmt in FORMATS:
        assert render(result(), fmt)
    with pytest.raises(ValueError, match="unknown format"):
        render(result(), "docx")
