"""Fake Parakeet STT (OpenAI-style NeMo wrapper + NIM readiness); up while its container runs."""

from __future__ import annotations

import asyncio
import io
import signal
import sys
import time
import wave
from typing import Any

from aiohttp import web

from spark_sim.services.common import fault_middleware, serve
from spark_sim.tools import simenv

MODEL = "nvidia/parakeet-tdt-0.6b-v3"
TEXT = "This is a simulated transcription from the Parakeet speech service."


class Parakeet:
    def __init__(self, load_seconds: float) -> None:
        self.ready_at = time.monotonic() + load_seconds

    @property
    def loaded(self) -> bool:
        return time.monotonic() >= self.ready_at

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
        if not self.loaded:
            return web.json_response({"detail": "Model is loading"}, status=503)
        fields: dict[str, Any] = {}
        audio = b""
        try:
            form = await request.post()
        except ValueError:
            return web.json_response({"detail": "multipart/form-data expected"}, status=400)
        for key, value in form.items():
            if isinstance(value, web.FileField):
                if key == "file":
                    audio = value.file.read()
            else:
                fields[key] = value
        if not audio:
            return web.json_response({"detail": "Empty audio file"}, status=400)
        model = fields.get("model", MODEL)
        if model not in (MODEL, "parakeet", "whisper-1", "parakeet-tdt-0.6b-v3"):
            return web.json_response({"detail": f"Model '{model}' not found"}, status=404)
        duration = wav_duration(audio)
        language = str(fields.get("language") or "en")
        fmt = fields.get("response_format", "json")
        if fmt == "text":
            return web.Response(text=TEXT)
        if fmt in ("srt", "vtt"):
            return web.Response(text=subtitles(duration, vtt=fmt == "vtt"))
        body: dict[str, Any] = {
            "text": TEXT,
            "model": MODEL,
            "language": language,
            "created": int(time.time()),
        }
        if fmt == "verbose_json":
            words = TEXT.split()
            half = len(words) // 2
            cut = round(duration / 2, 3)
            body.update(
                task="transcribe",
                duration=duration,
                segments=[
                    {"id": 0, "seek": 0, "start": 0.0, "end": cut, "text": " ".join(words[:half])},
                    {
                        "id": 1,
                        "seek": 0,
                        "start": cut,
                        "end": duration,
                        "text": " ".join(words[half:]),
                    },
                ],
            )
        elif fmt not in ("json", None):
            return web.json_response({"detail": f"Unsupported response_format '{fmt}'"}, status=400)
        return web.json_response(body)


def stamp(seconds: float, sep: str) -> str:
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest // 1000:02d}{sep}{rest % 1000:03d}"


def subtitles(duration: float, *, vtt: bool) -> str:
    """The transcript as one SRT or WebVTT cue spanning the audio."""
    sep = "." if vtt else ","
    cue = f"{stamp(0.0, sep)} --> {stamp(duration, sep)}\n{TEXT}\n"
    return f"WEBVTT\n\n{cue}" if vtt else f"1\n{cue}"


def wav_duration(data: bytes) -> float:
    """Seconds of audio in a WAV (1.0 for anything else)."""
    try:
        with wave.open(io.BytesIO(data)) as wav:
            frames, rate = int(wav.getnframes()), float(wav.getframerate())
            return round(frames / rate, 3)
    except (wave.Error, EOFError):
        return 1.0


async def main() -> None:
    config = simenv.config()
    service = Parakeet(float(config.get("service_load_seconds", 0.5)))
    app = web.Application(middlewares=[fault_middleware], client_max_size=256 * 1024 * 1024)
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
    await asyncio.sleep(max(0.0, service.ready_at - time.monotonic()))
    print("INFO:     Model loaded; ready for transcription requests", flush=True)
    await stop.wait()
    await runner.cleanup()


if __name__ == "__main__":
    asyncio.run(main())
    sys.exit(0)
