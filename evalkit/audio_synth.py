"""Synthesise multi-voice conversations with exact ground truth, for diarization tests and DER.

Environment-agnostic on purpose (numpy, soundfile and the espeak-ng/sox command-line tools only):
both the add-on env and the integration env import it. Each sentence is rendered once per voice and
cached under a caller-given directory, because espeak-ng per sentence is the slow part.
"""

from __future__ import annotations

import hashlib
import random
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf


@dataclass(frozen=True)
class Voice:
    """One espeak-ng voice: name, pitch and speed (words per minute)."""

    name: str
    pitch: int
    speed: int


# The first three separate well under resemblyzer (toolchain.md); the rest only for n_voices > 3.
VOICES: tuple[Voice, ...] = (
    Voice("en-us+f3", 75, 165),
    Voice("en+m7", 25, 150),
    Voice("en-us+edward", 30, 140),
    Voice("en-gb-x-rp+klatt", 50, 155),
    Voice("en-us+klatt4", 50, 160),
    Voice("en-us+f2", 90, 170),
)

Segment = tuple[float, float, str]

_TRIM_THRESHOLD = 0.01  # absolute amplitude below which espeak's leading/trailing output is silence


def speaker_name(voice_index: int) -> str:
    """Ground-truth label of a voice (stable across files so tests can compare)."""
    return f"voice_{voice_index}"


def _require_tools() -> None:
    missing = [tool for tool in ("espeak-ng", "sox") if shutil.which(tool) is None]
    if missing:
        raise RuntimeError(f"audio_synth needs {', '.join(missing)} on PATH")


def _trim(audio: np.ndarray) -> np.ndarray:
    """Cut espeak's leading/trailing silence so ground-truth turns start and end on speech."""
    loud = np.flatnonzero(np.abs(audio) > _TRIM_THRESHOLD)
    if loud.size == 0:
        return audio[:0]
    return audio[loud[0] : loud[-1] + 1]


def synth_sentence(
    voice_index: int, text: str, cache_dir: Path, sample_rate: int = 16000
) -> np.ndarray:
    """Render one sentence as float32 mono at sample_rate, cached by (voice, text, rate)."""
    voice = VOICES[voice_index]
    key = hashlib.sha256(
        f"{voice.name}|{voice.pitch}|{voice.speed}|{sample_rate}|{text}".encode()
    ).hexdigest()[:24]
    cache_dir.mkdir(parents=True, exist_ok=True)
    cached = cache_dir / f"{key}.wav"
    if not cached.exists():
        with tempfile.TemporaryDirectory(dir=cache_dir) as tmp:
            raw = Path(tmp) / "raw.wav"
            out = Path(tmp) / "out.wav"
            subprocess.run(
                [
                    "espeak-ng",
                    "-v",
                    voice.name,
                    "-p",
                    str(voice.pitch),
                    "-s",
                    str(voice.speed),
                    "-w",
                    str(raw),
                    "--",
                    text,
                ],
                check=True,
                capture_output=True,
                timeout=60,
            )
            subprocess.run(
                ["sox", str(raw), "-r", str(sample_rate), "-c", "1", "-b", "16", str(out)],
                check=True,
                capture_output=True,
                timeout=60,
            )
            out.replace(cached)
    audio, _ = sf.read(cached, dtype="float32")
    return _trim(np.asarray(audio, dtype=np.float32))


def synth_conversation(
    out_wav: Path | str,
    turns: Sequence[tuple[int, str]],
    *,
    gap_s: float = 0.4,
    sample_rate: int = 16000,
    seed: int = 0,
    cache_dir: Path | str | None = None,
    noise_level: float = 0.002,
    lead_s: float = 0.5,
) -> list[Segment]:
    """Write a conversation WAV and return its ground truth as sorted (start_s, end_s, speaker).

    Gaps between turns are jittered around gap_s (never below 0.1 s, so turns do not overlap);
    a little white noise keeps silence realistic for VADs. Consecutive turns of the same voice
    stay separate ground-truth segments.
    """
    _require_tools()
    out_path = Path(out_wav)
    cache = Path(cache_dir) if cache_dir is not None else out_path.parent / ".espeak_cache"
    with ThreadPoolExecutor(max_workers=4) as pool:
        clips = list(
            pool.map(lambda turn: synth_sentence(turn[0], turn[1], cache, sample_rate), turns)
        )
    rng = random.Random(seed)
    pieces: list[np.ndarray] = [np.zeros(round(lead_s * sample_rate), dtype=np.float32)]
    cursor = len(pieces[0])
    truth: list[Segment] = []
    for index, ((voice_index, _text), clip) in enumerate(zip(turns, clips, strict=True)):
        if index:
            gap = max(0.1, gap_s * rng.uniform(0.5, 1.5))
            silence = np.zeros(round(gap * sample_rate), dtype=np.float32)
            pieces.append(silence)
            cursor += len(silence)
        if clip.size == 0:
            continue
        truth.append(
            (cursor / sample_rate, (cursor + len(clip)) / sample_rate, speaker_name(voice_index))
        )
        pieces.append(clip)
        cursor += len(clip)
    pieces.append(np.zeros(round(lead_s * sample_rate), dtype=np.float32))
    audio = np.concatenate(pieces)
    if noise_level > 0:
        noise = np.random.default_rng(seed).normal(0.0, noise_level, audio.shape)
        audio = audio + noise.astype(np.float32)
    audio = np.clip(audio, -1.0, 1.0)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(out_path, audio, sample_rate, subtype="PCM_16")
    return truth


def write_rttm(
    path: Path | str, segments: Iterable[Segment], file_id: str = "conversation"
) -> None:
    """Write segments as NIST RTTM SPEAKER lines (what pyannote and NeMo scorers read)."""
    lines = [
        f"SPEAKER {file_id} 1 {start:.3f} {end - start:.3f} <NA> <NA> {speaker} <NA> <NA>\n"
        for start, end, speaker in segments
    ]
    Path(path).write_text("".join(lines), encoding="utf-8")


def read_rttm(path: Path | str) -> list[Segment]:
    """Read SPEAKER lines back as (start_s, end_s, speaker)."""
    segments: list[Segment] = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        fields = line.split()
        if len(fields) >= 8 and fields[0] == "SPEAKER":
            start, duration = float(fields[3]), float(fields[4])
            segments.append((start, start + duration, fields[7]))
    return segments


_SUBJECTS = (
    "the team",
    "our budget",
    "the new design",
    "the quarterly report",
    "the customer",
    "my manager",
    "the database",
    "the marketing plan",
    "the release",
    "the office move",
    "the hiring committee",
    "the support queue",
    "the roadmap",
    "the vendor",
    "the prototype",
)
_VERBS = (
    "needs",
    "depends on",
    "should include",
    "might delay",
    "will change",
    "has improved",
    "is blocking",
    "could replace",
    "must respect",
    "is waiting for",
)
_OBJECTS = (
    "another review",
    "a clearer timeline",
    "better testing",
    "two more engineers",
    "the security audit",
    "a smaller scope",
    "the final approval",
    "more careful planning",
    "the updated numbers",
    "a short demo on Friday",
    "feedback from the users",
    "the migration script",
    "a decision by next week",
)
_OPENERS = (
    "",
    "",
    "",
    "I think ",
    "Honestly, ",
    "As far as I know, ",
    "Well, ",
    "To be fair, ",
    "In my opinion, ",
    "Remember that ",
    "Yesterday I heard that ",
)
_CLOSERS = (
    ".",
    ".",
    ".",
    ", right?",
    ", as we discussed.",
    " before the end of the month.",
    ", so let us keep an eye on it.",
    " and nobody disagrees.",
)
_WORDS_PER_SECOND = 2.5  # espeak at 140-165 wpm, plus the gaps between turns


def _sentence(rng: random.Random) -> str:
    text = (
        f"{rng.choice(_OPENERS)}{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} "
        f"{rng.choice(_OBJECTS)}{rng.choice(_CLOSERS)}"
    )
    return text[0].upper() + text[1:]


def meeting_script(minutes: float, n_voices: int = 3, seed: int = 0) -> list[tuple[int, str]]:
    """A varied, deterministic meeting of about `minutes` minutes as (voice_index, text) turns.

    Every voice speaks; the speaker changes at every turn, and a turn is one to three sentences.
    """
    if not 1 <= n_voices <= len(VOICES):
        raise ValueError(f"n_voices must be 1..{len(VOICES)}")
    rng = random.Random(seed)
    target_words = minutes * 60.0 * _WORDS_PER_SECOND
    turns: list[tuple[int, str]] = []
    words = 0
    previous = -1
    while words < target_words or len({voice for voice, _ in turns}) < n_voices:
        choices = [v for v in range(n_voices) if v != previous] or [0]
        unheard = [v for v in choices if v not in {voice for voice, _ in turns}]
        voice = rng.choice(unheard or choices)
        text = " ".join(_sentence(rng) for _ in range(rng.choice((1, 1, 2, 2, 3))))
        turns.append((voice, text))
        words += len(text.split())
        previous = voice
    return turns
