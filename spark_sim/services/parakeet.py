"""Fake Parakeet STT (OpenAI-style NeMo wrapper + NIM readiness); up while its container runs.

`POST /v1/audio/transcriptions` really listens: the audio is decoded (libsndfile: WAV in any PCM or
float width, FLAC, OGG), downmixed and resampled to 16 kHz mono as the real wrappers do with ffmpeg,
and transcribed by pocketsphinx over a small domain language model (`asr.py`). The transcript gets
Parakeet's capitalisation and final full stop.
"""

from __future__ import annotations

import asyncio
import io
import signal
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import soundfile  # type: ignore[import-untyped]
from aiohttp import web

from spark_sim.services.asr import RATE, Recognizer, Word, to_pcm16k
from spark_sim.services.common import fault_middleware, serve
from spark_sim.tools import simenv

MODEL = "nvidia/parakeet-tdt-0.6b-v3"
MODEL_NAMES = (MODEL, "parakeet", "whisper-1", "parakeet-tdt-0.6b-v3")
FORMATS = ("json", "text", "verbose_json", "srt", "vtt")
MAX_SECONDS = 24 * 60  # Parakeet's longest single pass with full attention
MAX_UPLOAD = 256 * 1024 * 1024  # aiohttp answers 413 above this


def detail(message: Any, status: int, **headers: str) -> web.Response:
    """FastAPI's error shape."""
    return web.json_response({"detail": message}, status=status, headers=headers or None)


class Parakeet:
    def __init__(self, load_seconds: float) -> None:
        self.ready_at = time.monotonic() + load_seconds
        self.recognizer: Recognizer | None = None
        # pocketsphinx is CPU-bound and not thread-safe: one worker thread, off the event loop.
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="asr")

    @property
    def loaded(self) -> bool:
        return self.recognizer is not None and time.monotonic() >= self.ready_at

    async def load(self) -> None:
        loop = asyncio.get_running_loop()
        self.recognizer = await loop.run_in_executor(self.pool, Recognizer)

    async def healthz(self, _r: web.Request) -> web.Response:
        body = {"status": "ok" if self.loaded else "loading", "loaded": self.loaded, "model": MODEL}
        return web.json_response(body, status=200 if self.loaded else 503)

    async def ready(self, _r: web.Request) -> web.Response:
        return web.json_response({"ready": self.loaded}, status=200 if self.loaded else 503)

    async def models(self, _r: web.Request) -> web.Response:
        return web.json_response(
            {
                "object": "list",
                "data": [
                    {"id": MODEL, "object": "model", "created": 1735689600, "owned_by": "nvidia"}
                ],
            }
        )

    async def transcribe(self, request: web.Request) -> web.Response:  # noqa: PLR0911
        if not self.loaded or self.recognizer is None:
            return detail("Model is loading", 503, **{"Retry-After": "60"})
        if not request.content_type.startswith("multipart/form-data"):
            return detail("multipart/form-data expected", 400)
        fields: dict[str, str] = {}
        audio: bytes | None = None
        granularities: list[str] = []
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, web.FileField):
                if key == "file":
                    audio = value.file.read()
            elif key in ("timestamp_granularities[]", "timestamp_granularities"):
                granularities.append(str(value))
            else:
                fields[key] = str(value)
        if audio is None:
            missing = {"type": "missing", "loc": ["body", "file"], "msg": "Field required"}
            return detail([{**missing, "input": None}], 422)
        if not audio:
            return detail("Empty audio payload", 400)
        model = fields.get("model", MODEL)
        if model not in MODEL_NAMES:
            return detail(f"Unknown model '{model}'", 404)
        fmt = fields.get("response_format") or "json"
        if fmt not in FORMATS:
            return detail(f"Unsupported response_format '{fmt}'", 400)
        try:
            samples, rate = soundfile.read(io.BytesIO(audio), dtype="float32", always_2d=True)
        except (soundfile.LibsndfileError, RuntimeError, TypeError) as err:
            return detail(f"Invalid audio format: {err}", 415)
        duration = round(len(samples) / rate, 3) if rate else 0.0
        if duration > MAX_SECONDS:
            too_long = f"Audio is {duration:.0f} s long; at most {MAX_SECONDS} s per request"
            return detail(too_long, 413)
        loop = asyncio.get_running_loop()
        pcm = await loop.run_in_executor(self.pool, to_pcm16k, samples, rate)
        words = await loop.run_in_executor(self.pool, self.recognizer.transcribe, pcm)
        text = sentence(words)
        language = fields.get("language") or "en"
        if fmt == "text":
            return web.Response(text=text)
        if fmt in ("srt", "vtt"):
            vtt = fmt == "vtt"
            return web.Response(
                text=subtitles(text, duration, vtt=vtt),
                content_type="text/vtt" if vtt else "application/x-subrip",
            )
        body: dict[str, Any] = {"text": text, "model": MODEL, "language": language}
        body["created"] = int(time.time())
        if fmt == "verbose_json":
            body.update(task="transcribe", duration=duration, segments=segments(text, words))
            if "word" in granularities:
                body["words"] = [{"word": w.word, "start": w.start, "end": w.end} for w in words]
        return web.json_response(body)


def sentence(words: list[Word]) -> str:
    """Parakeet punctuates and capitalises: 'Turn on the kitchen light.'"""
    text = " ".join(w.word for w in words)
    return f"{text[:1].upper()}{text[1:]}." if text else ""


def segments(text: str, words: list[Word]) -> list[dict[str, Any]]:
    """One segment spanning the recognised words (OpenAI's verbose_json segment fields)."""
    if not words:
        return []
    return [
        {
            "id": 0,
            "seek": 0,
            "start": words[0].start,
            "end": words[-1].end,
            "text": text,
            "tokens": [],
            "temperature": 0.0,
            "avg_logprob": 0.0,
            "compression_ratio": 0.0,
            "no_speech_prob": 0.0,
        }
    ]


def stamp(seconds: float, sep: str) -> str:
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest // 1000:02d}{sep}{rest % 1000:03d}"


def subtitles(text: str, duration: float, *, vtt: bool) -> str:
    """The transcript as one SRT or WebVTT cue spanning the audio."""
    sep = "." if vtt else ","
    cue = f"{stamp(0.0, sep)} --> {stamp(duration, sep)}\n{text}\n"
    return f"WEBVTT\n\n{cue}" if vtt else f"1\n{cue}"


async def main() -> None:
    config = simenv.config()
    service = Parakeet(float(config.get("service_load_seconds", 0.5)))
    app = web.Application(middlewares=[fault_middleware], client_max_size=MAX_UPLOAD)
    app.router.add_get("/healthz", service.healthz)
    app.router.add_get("/health", service.healthz)
    app.router.add_get("/v1/health/ready", service.ready)
    app.router.add_get("/v1/models", service.models)
    app.router.add_post("/v1/audio/transcriptions", service.transcribe)
    print(f"INFO:     Loading {MODEL} ...", flush=True)
    runner = await serve(app, int(config["ports"]["parakeet"]))
    print(f"INFO:     Uvicorn running on http://0.0.0.0:{config['ports']['parakeet']}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await service.load()
    await asyncio.sleep(max(0.0, service.ready_at - time.monotonic()))
    print(f"INFO:     Model loaded ({RATE} Hz); ready for transcription requests", flush=True)
    await stop.wait()
    await runner.cleanup()
    service.pool.shutdown(wait=False, cancel_futures=True)


if __name__ == "__main__":
    asyncio.run(main())
    sys.exit(0)
