"""Speech for the fake Magpie: espeak-ng in a subprocess (never on the event loop), voices mapped.

A Magpie voice `Magpie-Multilingual.<LOCALE>.<Speaker>[.<Emotion>]` becomes an espeak-ng voice:
the locale picks the language, the speaker a male or female variant, the emotion pitch and speed.
"""

from __future__ import annotations

import asyncio
import io
import math
import wave
from collections.abc import AsyncIterator
from dataclasses import dataclass

import numpy as np
from scipy.signal import resample_poly  # type: ignore[import-untyped]

ESPEAK_RATE = 22050  # espeak-ng's output rate
LOCALES = {  # Magpie locale -> espeak-ng language
    "en-US": "en-us",
    "es-US": "es-419",
    "fr-FR": "fr-fr",
    "de-DE": "de",
    "zh-CN": "cmn",
    "vi-VN": "vi",
    "it-IT": "it",
    "hi-IN": "hi",
    "ja-JP": "ja",
}
FEMALE = {"Aria", "Sofia", "Mia", "Louise", "Isabela", "HouZhen"}
SPEAKERS = {
    "EN-US": ("Aria", "Jason", "Leo", "Mia", "Sofia", "Ray"),
    "ES-US": ("Diego", "Isabela"),
    "FR-FR": ("Louise", "Pascal"),
    "DE-DE": ("Aria", "Leo"),
    "ZH-CN": ("HouZhen", "Siwei", "Long"),
    "VI-VN": ("Aria", "Jason"),
    "IT-IT": ("Isabela", "Pascal"),
    "HI-IN": ("Aria", "Jason"),
    "JA-JP": ("Mia", "Ray"),
}
EMOTIONS = {  # emotion -> (pitch 0-99, words per minute)
    "": (50, 170),
    "Neutral": (50, 170),
    "Calm": (42, 150),
    "Happy": (62, 185),
    "Sad": (35, 135),
    "Angry": (55, 195),
    "Fearful": (68, 190),
}
# Speakers that have emotion variants (as in NIM's list, where not every speaker has all of them).
EMOTIVE = {"Aria", "Jason", "Leo", "Sofia"}
VOICES = [
    f"Magpie-Multilingual.{locale}.{speaker}{'.' + mood if mood else ''}"
    for locale, speakers in SPEAKERS.items()
    for speaker in speakers
    for mood in EMOTIONS
    if not mood or speaker in EMOTIVE
]
# Spark's OpenAI-style Magpie server (pipecat tts_server.py) takes short names.
OPENAI_VOICES = {
    "aria": "Magpie-Multilingual.EN-US.Aria",
    "john": "Magpie-Multilingual.EN-US.Jason",
    "jason": "Magpie-Multilingual.EN-US.Jason",
    "sofia": "Magpie-Multilingual.EN-US.Sofia",
    "leo": "Magpie-Multilingual.EN-US.Leo",
}


class SpeechError(Exception):
    """espeak-ng failed."""


@dataclass(frozen=True)
class Voice:
    language: str
    variant: str
    pitch: int
    wpm: int

    @classmethod
    def of(cls, name: str, speed: float = 1.0) -> Voice:
        """The espeak-ng settings for a known Magpie voice name."""
        _, locale, speaker, *mood = name.split(".")
        lang = next(code for code in LOCALES if code.upper() == locale)
        pitch, wpm = EMOTIONS[mood[0] if mood else ""]
        variant = "f3" if speaker in FEMALE else "m3"
        return cls(LOCALES[lang], variant, pitch, max(80, min(450, round(wpm * speed))))

    def argv(self) -> list[str]:
        return [
            "espeak-ng",
            "-v",
            f"{self.language}+{self.variant}",
            "-p",
            str(self.pitch),
            "-s",
            str(self.wpm),
            "--stdin",
            "--stdout",
        ]


def resample(pcm: bytes, rate: int) -> bytes:
    """s16le mono at espeak's rate -> s16le mono at `rate`."""
    if rate == ESPEAK_RATE or not pcm:
        return pcm
    common = math.gcd(rate, ESPEAK_RATE)
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float32)
    out = resample_poly(samples, rate // common, ESPEAK_RATE // common)
    return bytes(np.clip(out, -32768, 32767).astype("<i2").tobytes())


def wav(pcm: bytes, rate: int) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm)
    return buf.getvalue()


def skip_header(data: bytes) -> int:
    """Offset of the PCM after espeak-ng's streamed RIFF header (its sizes are placeholders)."""
    at = data.find(b"data")
    return at + 8 if data.startswith(b"RIFF") and at >= 0 else 0


async def stream(voice: Voice, text: str, rate: int, chunk: int = 4096) -> AsyncIterator[bytes]:
    """Raw s16le mono PCM at `rate`, chunk by chunk as espeak-ng produces it."""
    proc = await asyncio.create_subprocess_exec(
        *voice.argv(),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stdin and proc.stdout and proc.stderr
    proc.stdin.write(text.encode())
    proc.stdin.close()
    head: bytes | None = b""  # until espeak-ng's header has been seen and dropped
    odd = b""
    try:
        while data := await proc.stdout.read(chunk):
            if head is not None:
                head += data
                if len(head) < 128 and (b"data" not in head or len(head) < head.find(b"data") + 8):
                    continue
                data, head = head[skip_header(head) :], None
            data, odd = odd + data, b""
            if len(data) % 2:
                data, odd = data[:-1], data[-1:]
            if data:
                yield resample(data, rate)
        err = await proc.stderr.read()
        if await proc.wait() != 0:
            raise SpeechError(err.decode(errors="replace").strip() or "espeak-ng failed")
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


async def synthesize(voice: Voice, text: str, rate: int) -> bytes:
    """The whole utterance as s16le mono PCM at `rate` (resampled once, not per chunk)."""
    parts = [part async for part in stream(voice, text, ESPEAK_RATE, chunk=65536)]
    return resample(b"".join(parts), rate)
