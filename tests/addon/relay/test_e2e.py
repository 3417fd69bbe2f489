"""Relay end to end against the real gpu_addon cpu backend: speaker count, DER, SRT, threshold.

DERs are pyannote.metrics, collar 0, overlap scored; they are also written to
build/relay/e2e_der.txt so the numbers behind a green run can be quoted.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from typing import Any

import jsonschema
import numpy as np
import pytest
from pyannote.core import Annotation, Segment
from pyannote.metrics.diarization import DiarizationErrorRate

from relay_lib.result import RelayResult
from relay_lib.thresholds import RESEMBLYZER_THRESHOLD, threshold_for
from tests.addon.relay.conftest import REPO, CliRun, Meeting
from tests.relay.fakes import ADDON_SCHEMA, RESULT_SCHEMA

pytestmark = pytest.mark.timeout(3600)  # session fixtures run two full passes of CPU inference


def annotation(turns: list[tuple[float, float, str]]) -> Annotation:
    out = Annotation()
    for start, end, speaker in turns:
        out[Segment(start, end)] = speaker
    return out


def der(meeting: Meeting, turns: list[tuple[float, float, str]]) -> float:
    metric = DiarizationErrorRate(collar=0.0, skip_overlap=False)
    return 100.0 * float(metric(annotation(list(meeting.truth)), annotation(turns)))


def chunked_turns(run: CliRun) -> list[tuple[float, float, str]]:
    return [(s["start_s"], s["end_s"], s["speaker"]) for s in run.result["segments"]]


def single_turns(result: RelayResult) -> list[tuple[float, float, str]]:
    return [(t.start, t.end, t.speaker) for t in result.segments]


def test_cli_succeeds_and_answers_follow_the_contract(
    chunked_run: CliRun, meeting: Meeting
) -> None:
    assert chunked_run.code == 0, chunked_run.stderr
    assert len(chunked_run.answers) == 4  # 6.1 min in 120 s chunks
    assert sorted(o for o, _ in chunked_run.answers) == [0.0, 120.0, 240.0, 360.0]
    for _, answer in chunked_run.answers:
        jsonschema.validate(answer, ADDON_SCHEMA)
    jsonschema.validate(chunked_run.result, RESULT_SCHEMA)
    assert chunked_run.result["duration_s"] == pytest.approx(meeting.duration, abs=1e-3)


def test_speaker_count_is_exact(chunked_run: CliRun, single_run: RelayResult) -> None:
    identified = [s for s in chunked_run.result["speakers"] if s["identified"]]
    assert [s["label"] for s in identified] == ["Speaker 1", "Speaker 2", "Speaker 3"]
    assert len([s for s in single_run.speakers if s.identified]) == 3
    assert chunked_run.result["clustering"]["threshold"] == RESEMBLYZER_THRESHOLD


def test_chunked_der_within_two_points_of_single_chunk(
    chunked_run: CliRun, single_run: RelayResult, meeting: Meeting
) -> None:
    chunked = der(meeting, chunked_turns(chunked_run))
    single = der(meeting, single_turns(single_run))
    out = REPO / "build" / "relay"
    out.mkdir(parents=True, exist_ok=True)
    (out / "e2e_der.txt").write_text(
        f"relay_e2e_der_chunked_120s={chunked:.2f}\nrelay_e2e_der_single_chunk={single:.2f}\n"
        f"relay_e2e_audio_s={meeting.duration:.1f}\n"
    )
    print(f"DER chunked={chunked:.2f} % single={single:.2f} %")
    assert chunked - single <= 2.0, (chunked, single)
    assert chunked < 25.0  # sanity: a broken stitch or relabel lands far above this


def test_srt_is_correct(chunked_run: CliRun, meeting: Meeting) -> None:
    """Every cue is well-formed, and the fake STT's words (named after their true voice) land
    on one consistent speaker per voice."""
    cues = []
    for n, block in enumerate(chunked_run.srt.strip().split("\n\n"), 1):
        number, times, body = block.split("\n", 2)
        assert number == str(n)
        match = re.fullmatch(
            r"(\d\d):(\d\d):(\d\d),(\d{3}) --> (\d\d):(\d\d):(\d\d),(\d{3})", times
        )
        assert match is not None, times
        h1, m1, s1, ms1, h2, m2, s2, ms2 = (int(g) for g in match.groups())
        start = h1 * 3600 + m1 * 60 + s1 + ms1 / 1000
        end = h2 * 3600 + m2 * 60 + s2 + ms2 / 1000
        assert 0 <= start <= end <= meeting.duration + 0.01
        speaker, text = body.split(": ", 1)
        cues.append((start, speaker, text.split()))
    assert [c[0] for c in cues] == sorted(c[0] for c in cues)
    votes: Counter[tuple[str, str]] = Counter(
        (word, speaker) for _, speaker, words in cues for word in words
    )
    total = sum(votes.values())
    expected = len(chunked_run.stt.words(0.0, meeting.duration + 1.0))
    assert total == expected  # no word lost or duplicated
    best = {}
    for voice in ("voice_0", "voice_1", "voice_2"):
        speaker, _count = max(
            ((s, c) for (w, s), c in votes.items() if w == voice), key=lambda x: x[1]
        )
        best[voice] = speaker
    assert sorted(best.values()) == ["Speaker 1", "Speaker 2", "Speaker 3"]
    agree = sum(c for (w, s), c in votes.items() if best[w] == s)
    assert agree / total >= 0.9, (agree, total)


def _dominant_voice(offset: float, answer: dict[str, Any], local: str, meeting: Meeting) -> str:
    overlap: Counter[str] = Counter()
    for seg in answer["segments"]:
        if seg["speaker"] != local:
            continue
        start, end = seg["start_s"] + offset, seg["end_s"] + offset
        for t_start, t_end, voice in meeting.truth:
            shared = min(end, t_end) - max(start, t_start)
            if shared > 0:
                overlap[voice] += shared
    return overlap.most_common(1)[0][0]


def test_resemblyzer_threshold_splits_the_measured_distances(
    chunked_run: CliRun, meeting: Meeting
) -> None:
    """Re-measures the calibration behind RESEMBLYZER_THRESHOLD on this run's fingerprints."""
    prints = []
    for offset, answer in chunked_run.answers:
        assert "resemblyzer" in answer["models"]["embedding"]
        assert threshold_for(answer["models"]["embedding"]) == RESEMBLYZER_THRESHOLD
        for local, vec in answer["fingerprints"].items():
            v = np.asarray(vec, dtype=float)
            prints.append((_dominant_voice(offset, answer, local, meeting), v / np.linalg.norm(v)))
    within, between = [], []
    for (voice_a, a), (voice_b, b) in itertools.combinations(prints, 2):
        (within if voice_a == voice_b else between).append(1.0 - float(a @ b))
    report = (
        f"relay_resemblyzer_within_max={max(within):.3f}\n"
        f"relay_resemblyzer_between_min={min(between):.3f}\n"
    )
    out = REPO / "build" / "relay"
    out.mkdir(parents=True, exist_ok=True)
    (out / "calibration.txt").write_text(report)
    print(report)
    assert max(within) < RESEMBLYZER_THRESHOLD < min(between)


def test_json_words_carry_no_duplicates(chunked_run: CliRun) -> None:
    starts = [w["start_s"] for u in chunked_run.result["utterances"] for w in u["words"]]
    assert len(starts) == len(set(starts))
    models = chunked_run.answers[0][1]["models"]
    assert chunked_run.result["models"] == {**models, "stt": "fake_parakeet"}
