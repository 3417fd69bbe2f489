"""Fake Magpie TTS NIM: readiness, voice list and multipart synthesis returning WAV."""

from __future__ import annotations

import asyncio
import io
import math
import signal
import struct
import sys
import time
import wave

from aiohttp import web

from spark_sim.services.common import fault_middleware, serve
from spark_sim.tools import simenv

LANGS = "en-US,es-US,fr-FR,de-DE,zh-CN,vi-VN,it-IT"
VOICES = [
    f"Magpie-Multilingual.{lang}.{name}{mood}"
    for lang in ("EN-US", "ES-US", "FR-FR", "DE-DE")
    for name in ("Aria", "Jason", "Leo", "Sofia")
    for mood in ("", ".Happy", ".Calm")
]


def synth(text: str, rate: int) -> bytes:
    """A WAV whose length follows the text (about 70 ms a character), a quiet tone."""
    frames = max(1, int(rate * min(60.0, 0.07 * len(text))))
    samples = b"".join(
        struct.pack("<h", int(2000 * math.sin(2 * math.pi * 220 * i / rate))) for i in range(frames)
    )
    buf = io.BytesIO()
    with wave.open(buf, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(samples)
    return buf.getvalue()


class Magpie:
    def __init__(self, load_seconds: float) -> None:
        self.ready_at = time.monotonic() + load_seconds

    @property
    def loaded(self) -> bool:
        return time.monotonic() >= self.ready_at

    async def ready(self, _r: web.Request) -> web.Response:
        return web.json_response({"ready": self.loaded}, status=200 if self.loaded else 503)

    async def voices(self, _r: web.Request) -> web.Response:
        return web.json_response({LANGS: {"voices": VOICES}})

    async def synthesize(self, request: web.Request) -> web.Response:
        if not self.loaded:
            return web.json_response({"error": "Service is not ready"}, status=503)
        if not request.content_type.startswith(
            ("multipart/form-data", "application/x-www-form-urlencoded")
        ):
            return web.json_response({"error": "Bad Request, empty text input"}, status=400)
        form = await request.post()
        text = str(form.get("text") or "")
        if not text.strip():
            return web.json_response({"error": "Bad Request, empty text input"}, status=400)
        voice = str(form.get("voice") or VOICES[0])
        if voice not in VOICES:
            return web.json_response({"error": f"Voice '{voice}' not found"}, status=400)
        rate = int(str(form.get("sample_rate_hz") or 22050))
        return web.Response(body=synth(text, rate), content_type="audio/wav")


# What the real NIM prints when its model-cache volume is not writable by its user (uid 1000).
CACHE_DENIED = (
    "Traceback (most recent call last):",
    '  File "/opt/nim/start_server.py", line 84, in prepare_cache',
    "    os.makedirs(cache_dir, exist_ok=True)",
    "PermissionError: [Errno 13] Permission denied: '/opt/nim/.cache/ngc/hub'",
)


async def main() -> None:
    config = simenv.config()
    if simenv.fault("magpie_cache_owner") is not None:
        print("Starting Magpie TTS NIM (simulated)...", flush=True)
        print("\n".join(CACHE_DENIED), flush=True)
        sys.exit(1)
    service = Magpie(float(config.get("service_load_seconds", 0.5)))
    app = web.Application(middlewares=[fault_middleware])
    app.router.add_get("/v1/health/ready", service.ready)
    app.router.add_get("/v1/health/live", service.ready)
    app.router.add_get("/v1/audio/list_voices", service.voices)
    app.router.add_post("/v1/audio/synthesize", service.synthesize)
    print("Starting Magpie TTS NIM (simulated)...", flush=True)
    runner = await serve(app, int(config["ports"]["magpie"]))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await asyncio.sleep(max(0.0, service.ready_at - time.monotonic()))
    print("Magpie TTS model loaded; service ready", flush=True)
    await stop.wait()
    await runner.cleanup()


if __name__ == "__main__":
    asyncio.run(main())
    sys.exit(0)
