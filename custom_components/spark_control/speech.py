"""HTTP clients for the speech services: Parakeet transcription and Magpie synthesis.

Kept apart from the entities so the wire format (voice-contract §1-2) is tested on its own:
Parakeet takes a WAV upload on the OpenAI-style `/v1/audio/transcriptions`; Magpie speaks
either the NVIDIA NIM API (multipart `/v1/audio/synthesize`, voices from `list_voices`) or the
OpenAI-style JSON `/v1/audio/speech`, which may answer raw PCM described by headers.
"""

from __future__ import annotations

import io
import json
import wave
from dataclasses import dataclass
from typing import Any, Final

import aiohttp

from .api.models import TtsFlavour

PARAKEET_MODEL: Final = "nvidia/parakeet-tdt-0.6b-v3"
MAGPIE_MODEL: Final = "magpie-tts-multilingual"
SAMPLE_RATE: Final = 22050  # always sent: the NIM's default rate is not documented

# parakeet-tdt-0.6b-v3's 25 languages (model card), as the regions Home Assistant offers.
PARAKEET_LANGUAGES: Final = [
    "bg-BG",
    "cs-CZ",
    "da-DK",
    "de-DE",
    "el-GR",
    "en-GB",
    "en-US",
    "es-ES",
    "et-EE",
    "fi-FI",
    "fr-FR",
    "hr-HR",
    "hu-HU",
    "it-IT",
    "lt-LT",
    "lv-LV",
    "mt-MT",
    "nl-NL",
    "pl-PL",
    "pt-PT",
    "ro-RO",
    "ru-RU",
    "sk-SK",
    "sl-SI",
    "sv-SE",
    "uk-UA",
]

# The OpenAI-style Magpie server has no voices list: its fixed speakers and languages.
OPENAI_VOICES: Final = ("aria", "jason", "john", "leo", "sofia")
MAGPIE_LANGUAGES: Final = ("en-US", "es-US", "fr-FR", "de-DE", "zh-CN", "vi-VN", "it-IT")

TIMEOUT: Final = aiohttp.ClientTimeout(total=60, connect=10)


class SpeechError(Exception):
    """A speech service refused or failed a request; the message says why (one line)."""


def pcm_to_wav(pcm: bytes, sample_rate: int = 16000, width: int = 2, channels: int = 1) -> bytes:
    """Raw little-endian PCM wrapped in a RIFF header."""
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(width)
        wav.setframerate(sample_rate)
        wav.writeframes(pcm)
    return out.getvalue()


def _is_wav(data: bytes) -> bool:
    return data[:4] == b"RIFF" and data[8:12] == b"WAVE"


async def _failure(response: aiohttp.ClientResponse) -> SpeechError:
    """The service's own error text (FastAPI `detail`, NIM `message`), else the status."""
    text = (await response.text(errors="replace"))[:300]
    try:
        body: Any = json.loads(text)
    except ValueError:
        body = None
    if isinstance(body, dict):
        detail = body.get("detail") or body.get("message") or body.get("error")
        if detail:
            text = detail if isinstance(detail, str) else json.dumps(detail)[:300]
    return SpeechError(f"HTTP {response.status}: {text.strip() or response.reason}")


async def transcribe(
    session: aiohttp.ClientSession, base_url: str, wav: bytes, language: str | None
) -> str:
    """Parakeet's transcript of one WAV upload (json response format)."""
    form = aiohttp.FormData()
    form.add_field("file", wav, filename="audio.wav", content_type="audio/wav")
    form.add_field("model", PARAKEET_MODEL)
    form.add_field("response_format", "json")
    if language:
        form.add_field("language", language.split("-")[0])
    try:
        async with session.post(
            f"{base_url}/v1/audio/transcriptions", data=form, timeout=TIMEOUT
        ) as response:
            if response.status != 200:
                raise await _failure(response)
            body = await response.json(content_type=None)
    except (aiohttp.ClientError, TimeoutError, ValueError) as err:
        raise SpeechError(str(err) or type(err).__name__) from err
    if not isinstance(body, dict) or not isinstance(body.get("text"), str):
        raise SpeechError("the answer has no text")
    return str(body["text"]).strip()


@dataclass(frozen=True, slots=True)
class VoiceList:
    """Magpie's voices per language (`en-US` → names), in the order the service lists them."""

    voices: dict[str, list[str]]

    @property
    def languages(self) -> list[str]:
        """Languages that have at least one voice."""
        return [language for language, names in self.voices.items() if names]


def parse_voices(body: object) -> VoiceList:
    """NIM's `list_voices`: `{"en-US,es-US,...": {"voices": [...]}}`; names carry the locale."""
    if not isinstance(body, dict):
        raise SpeechError("the voices list is not an object")
    voices: dict[str, list[str]] = {}
    for locales, entry in body.items():
        names = entry.get("voices") if isinstance(entry, dict) else None
        if not isinstance(names, list):
            continue
        for part in str(locales).split(","):
            locale = part.strip()
            if not locale:
                continue
            marker = f".{locale.upper()}."
            own = [n for n in names if isinstance(n, str) and marker in n.upper()]
            voices.setdefault(locale, []).extend(n for n in own if n not in voices[locale])
    return VoiceList(voices)


async def list_voices(session: aiohttp.ClientSession, base_url: str) -> VoiceList:
    """The NIM's voices (GET /v1/audio/list_voices)."""
    try:
        async with session.get(f"{base_url}/v1/audio/list_voices", timeout=TIMEOUT) as response:
            if response.status != 200:
                raise await _failure(response)
            return parse_voices(await response.json(content_type=None))
    except (aiohttp.ClientError, TimeoutError, ValueError) as err:
        raise SpeechError(str(err) or type(err).__name__) from err


def openai_voices() -> VoiceList:
    """The OpenAI-style server's fixed speakers, offered for each of its languages."""
    return VoiceList({language: list(OPENAI_VOICES) for language in MAGPIE_LANGUAGES})


def _header_int(response: aiohttp.ClientResponse, name: str, default: int) -> int:
    try:
        return int(response.headers.get(name, default))
    except ValueError:
        return default


async def synthesize(
    session: aiohttp.ClientSession,
    base_url: str,
    flavour: TtsFlavour,
    *,
    text: str,
    language: str,
    voice: str,
) -> bytes:
    """WAV audio of `text`; raw PCM answers (OpenAI flavour) get a RIFF header."""
    if flavour == "nim":
        form = aiohttp.FormData()
        form.add_field("text", text)
        form.add_field("language", language)
        form.add_field("voice", voice)
        form.add_field("sample_rate_hz", str(SAMPLE_RATE))
        form.add_field("encoding", "LINEAR_PCM")
        request: dict[str, Any] = {"data": form}
        url = f"{base_url}/v1/audio/synthesize"
    else:
        request = {
            "json": {
                "model": MAGPIE_MODEL,
                "input": text,
                "voice": voice,
                "language": language,
                "response_format": "wav",
            }
        }
        url = f"{base_url}/v1/audio/speech"
    try:
        async with session.post(url, timeout=TIMEOUT, **request) as response:
            if response.status != 200:
                raise await _failure(response)
            audio = await response.read()
            rate = _header_int(response, "X-Sample-Rate", SAMPLE_RATE)
            channels = _header_int(response, "X-Channels", 1)
    except (aiohttp.ClientError, TimeoutError) as err:
        raise SpeechError(str(err) or type(err).__name__) from err
    if not audio:
        raise SpeechError("the service returned no audio")
    return audio if _is_wav(audio) else pcm_to_wav(audio, rate, 2, channels)
