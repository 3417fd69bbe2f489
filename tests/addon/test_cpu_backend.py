"""The cpu backend (silero-vad + resemblyzer) on a synthesised 3-voice espeak-ng conversation."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import soundfile as sf

from evalkit.der import body_segments, der
from spark_diarizer.backends.base import to_response
from spark_diarizer.backends.cpu import CpuBackend, speech_pieces, window_positions
from spark_diarizer.schema import validate_response
from tests.addon.conftest import Conversation

# generous: a shared 2-core machine can be many times slower than an idle one
pytestmark = pytest.mark.timeout(1800)


@pytest.fixture(scope="module")
def backend() -> CpuBackend:
    return CpuBackend(threads=2)


def _diarize(backend: CpuBackend, audio: np.ndarray, max_speakers: int | None = None) -> dict:
    result = backend.diarize(audio, max_speakers)
    body = to_response(result, audio.size / 16000, backend.diarization_model, "resemblyzer")
    validate_response(body)
    return body


def _voice_of(body: dict, label: str, truth: list[tuple[float, float, str]], offset: float) -> str:
    """The ground-truth voice that overlaps a local speaker's turns the most."""
    overlap: dict[str, float] = {}
    for start, end, speaker in body_segments(body):
        if speaker != label:
            continue
        for t_start, t_end, voice in truth:
            shared = min(end + offset, t_end) - max(start + offset, t_start)
            if shared > 0:
                overlap[voice] = overlap.get(voice, 0.0) + shared
    return max(overlap, key=overlap.__getitem__)


def test_three_voices_give_three_local_speakers(
    backend: CpuBackend, conversation: Conversation
) -> None:
    audio, rate = sf.read(conversation.wav, dtype="float32")
    assert rate == 16000
    body = _diarize(backend, audio)
    assert body["speakers_detected"] == ["Speaker_0", "Speaker_1", "Speaker_2"]
    assert set(body["fingerprints"]) == set(body["speakers_detected"])
    assert all(len(v) == 256 for v in body["fingerprints"].values())
    hypothesis = body_segments(body)
    assert der(conversation.truth, hypothesis, collar=0.0) < 0.10
    assert der(conversation.truth, hypothesis, collar=0.5) < 0.05


def test_fingerprints_of_one_voice_are_closer_than_other_voices(
    backend: CpuBackend, conversation: Conversation
) -> None:
    """Diarize two halves separately (as the relay does with chunks) and compare fingerprints."""
    audio, _ = sf.read(conversation.wav, dtype="float32")
    cut = audio.size // 2
    prints: list[tuple[str, np.ndarray]] = []
    for offset, part in ((0.0, audio[:cut]), (cut / 16000, audio[cut:])):
        body = _diarize(backend, part)
        for label, vector in body["fingerprints"].items():
            prints.append((_voice_of(body, label, conversation.truth, offset), np.array(vector)))
    assert len({voice for voice, _ in prints}) == 3
    same, different = [], []
    for (voice_a, a), (voice_b, b) in itertools.combinations(prints, 2):
        distance = 1.0 - float(a @ b)
        (same if voice_a == voice_b else different).append(distance)
    assert same, "every voice should be detected in both halves"
    assert max(same) < min(different)


def test_max_speakers_caps_local_speakers(backend: CpuBackend, conversation: Conversation) -> None:
    audio, _ = sf.read(conversation.wav, dtype="float32", frames=16000 * 60)
    body = _diarize(backend, audio, max_speakers=2)
    assert 1 <= len(body["speakers_detected"]) <= 2


def test_silence_gives_no_speakers(backend: CpuBackend) -> None:
    noise = np.random.default_rng(3).normal(0, 0.001, 16000 * 5).astype(np.float32)
    body = _diarize(backend, noise)
    assert body["segments"] == []
    assert body["speakers_detected"] == []
    assert body["fingerprints"] == {}


def test_window_d_vectors_do_not_move_with_the_level(
    backend: CpuBackend, conversation: Conversation
) -> None:
    """resemblyzer reads a linear mel power spectrogram: without the per-window -30 dBFS
    scaling a quiet speaker's windows embed far from the same voice spoken loudly."""
    audio, _ = sf.read(conversation.wav, dtype="float32", frames=16000 * 20)
    speech = backend.speech_grid(audio)
    positions = window_positions(speech, audio.size, backend.params)[:6]
    loud = backend.embed(audio, speech, positions)
    quiet = backend.embed(audio * 0.05, speech, positions)  # -26 dB
    assert np.min(np.sum(loud * quiet, axis=1)) > 0.99


def test_speech_pieces_cut_runs_into_near_equal_parts() -> None:
    speech = np.zeros(200, dtype=bool)
    speech[10:100] = True  # 4.5 s run -> two pieces of about 2 s
    speech[120:125] = True  # 0.25 s run -> one piece
    assert speech_pieces(speech, 2.0) == [(10, 55), (55, 100), (120, 125)]
    assert speech_pieces(np.zeros(10, dtype=bool), 2.0) == []
