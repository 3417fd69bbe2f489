"""The cpu backend (silero-vad + resemblyzer) on a synthesised 3-voice espeak-ng conversation."""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import pytest
import soundfile as sf

from evalkit.der import body_segments, der
from spark_diarizer.backends.base import to_response
from spark_diarizer.backends.cpu import (
    CpuBackend,
    CpuParams,
    denoise,
    speech_pieces,
    vad_input,
    window_positions,
)
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


def test_noise_floor_is_taken_off_before_embedding(
    backend: CpuBackend, conversation: Conversation
) -> None:
    """A voice 20 dB down over the same noise floor: scaled to -30 dBFS its windows are mostly
    amplified noise unless the floor is subtracted first (on real speech the raw windows grouped
    by noise level, not by speaker)."""
    audio, _ = sf.read(conversation.wav, dtype="float32", frames=16000 * 20)
    noise = np.random.default_rng(5).normal(0, 0.002, audio.size).astype(np.float32)
    speech = backend.speech_grid(audio + noise)
    positions = window_positions(speech, audio.size, backend.params)[:12]
    shipped = backend.params
    similarity = {}
    try:
        for subtract in (0.0, shipped.noise_subtract):
            backend.params = replace(shipped, noise_subtract=subtract)
            near = backend.embed(audio + noise, speech, positions)
            far = backend.embed(audio * 0.1 + noise, speech, positions)
            similarity[subtract] = float(np.mean(np.sum(near * far, axis=1)))
    finally:
        backend.params = shipped
    print(similarity)
    assert similarity[shipped.noise_subtract] > similarity[0.0] + 0.02


def test_denoise_removes_a_stationary_floor_and_keeps_a_spectral_floor() -> None:
    p = CpuParams()
    floor = np.linspace(1.0, 2.0, 40)
    mel = np.tile(floor, (300, 1))
    mel[100:200] += 50.0  # speech frames
    speech = np.zeros(60, dtype=bool)
    speech[20:40] = True  # grid frames 20-39 = mel frames 100-199
    clean = denoise(mel, speech, p)
    np.testing.assert_allclose(clean[:100], p.noise_floor * mel[:100])
    expected = np.broadcast_to(50.0 + floor - p.noise_subtract * floor, (100, 40))
    np.testing.assert_allclose(clean[100:200], expected)
    off = denoise(mel, speech, replace(p, noise_subtract=0.0))
    assert off is mel


def test_vad_sees_the_chunk_at_a_fixed_level_with_capped_gain() -> None:
    p = CpuParams()
    rng = np.random.default_rng(2)
    quiet = (rng.normal(0, 1, 16000) * 10 ** (-45 / 20)).astype(np.float32)  # -45 dBFS RMS
    level = 20 * np.log10(np.sqrt(np.mean(vad_input(quiet, p).astype(np.float64) ** 2)))
    assert level == pytest.approx(p.vad_level_dbfs, abs=0.1)
    faint = quiet * 10 ** (-40 / 20)  # -85 dBFS: the gain stops at vad_max_gain_db
    gain_db = 20 * np.log10(np.max(np.abs(vad_input(faint, p))) / np.max(np.abs(faint)))
    assert gain_db == pytest.approx(p.vad_max_gain_db, abs=0.01)
    click = np.zeros(16000, dtype=np.float32)
    click[100] = 0.5  # a lone peak: never pushed past 0.99
    assert np.max(np.abs(vad_input(click, p))) == pytest.approx(0.99)
    silence = np.zeros(1600, dtype=np.float32)
    assert vad_input(silence, p) is silence
