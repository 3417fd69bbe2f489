"""Fake Magpie TTS: NVIDIA's TTS NIM API or Spark's OpenAI-style server, speaking with espeak-ng.

Which API it serves is the pair's `magpie_api` setting ("nim", the default, or "openai"); the fault
`magpie_api=<nim|openai>` switches a running pair (read on every request). The other flavour's
routes answer 404, as a server that does not have them would.
"""

from __future__ import annotations

import asyncio
import signal
import sys
import time
from typing import Any

from aiohttp import web

from spark_sim.services import tts
from spark_sim.services.common import fault_middleware, serve
from spark_sim.tools import simenv

APIS = ("nim", "openai")
NIM_TEXT_LIMIT = 2000
OPENAI_TEXT_LIMIT = 4096
OPENAI_RATE = 22050
RATES = (8000, 16000, 22050, 24000, 32000, 44100, 48000)


def error(message: str, status: int = 400) -> web.Response:
    return web.json_response({"error": message}, status=status)


class Magpie:
    def __init__(self, load_seconds: float, api: str) -> None:
        self.ready_at = time.monotonic() + load_seconds
        self.default_api = api

    @property
    def loaded(self) -> bool:
        return time.monotonic() >= self.ready_at

    def api(self) -> str:
        return (simenv.fault("magpie_api") or self.default_api).strip()

    @web.middleware
    async def flavour(self, request: web.Request, handler: Any) -> web.StreamResponse:
        """Only the selected flavour's routes exist."""
        info = request.match_info.route.resource
        path = info.canonical if info is not None else ""
        openai_only = path in ("/v1/audio/speech", "/health")
        nim_only = path.startswith(("/v1/audio/synthesize", "/v1/audio/list_voices"))
        if (openai_only and self.api() != "openai") or (nim_only and self.api() != "nim"):
            return web.json_response({"detail": "Not Found"}, status=404)
        response: web.StreamResponse = await handler(request)
        return response

    async def ready(self, _r: web.Request) -> web.Response:
        return web.json_response({"ready": self.loaded}, status=200 if self.loaded else 503)

    async def health(self, _r: web.Request) -> web.Response:
        body = {"status": "ok" if self.loaded else "loading", "model_loaded": self.loaded}
        return web.json_response(body, status=200 if self.loaded else 503)

    async def voices(self, _r: web.Request) -> web.Response:
        return web.json_response({",".join(tts.LOCALES): {"voices": tts.VOICES}})

    async def nim_request(  # noqa: PLR0911
        self, request: web.Request
    ) -> tuple[tts.Voice, str, int] | web.Response:
        """Validate a NIM synthesize form: (voice, text, sample rate) or the error response."""
        if not self.loaded:
            return error("Service is not ready", 503)
        if not request.content_type.startswith(
            ("multipart/form-data", "application/x-www-form-urlencoded")
        ):
            return error("Bad Request, empty text input")
        form = await request.post()
        text = str(form.get("text") or "")
        if not text.strip():
            return error("Bad Request, empty text input")
        if len(text) > NIM_TEXT_LIMIT:
            return error(f"Input text is {len(text)} characters; the limit is {NIM_TEXT_LIMIT}")
        language = str(form.get("language") or "en-US")
        if language not in tts.LOCALES:
            return error(f"Unsupported language '{language}'")
        voice = str(form.get("voice") or f"Magpie-Multilingual.{language.upper()}.Aria")
        if voice not in tts.VOICES:
            return error(f"Voice '{voice}' not found")
        if voice.split(".")[1] != language.upper():
            return error(f"Voice '{voice}' does not speak '{language}'")
        encoding = str(form.get("encoding") or "LINEAR_PCM")
        if encoding != "LINEAR_PCM":
            return error(f"Unsupported encoding '{encoding}'; supported: LINEAR_PCM")
        try:
            rate = int(str(form.get("sample_rate_hz") or 44100))
        except ValueError:
            return error("sample_rate_hz must be an integer")
        if rate not in RATES:
            return error(f"Unsupported sample_rate_hz {rate}")
        return tts.Voice.of(voice), text, rate

    async def synthesize(self, request: web.Request) -> web.Response:
        parsed = await self.nim_request(request)
        if isinstance(parsed, web.Response):
            return parsed
        voice, text, rate = parsed
        try:
            pcm = await tts.synthesize(voice, text, rate)
        except tts.SpeechError as err:
            return error(f"Synthesis failed: {err}", 500)
        return web.Response(body=tts.wav(pcm, rate), content_type="audio/wav")

    async def synthesize_online(self, request: web.Request) -> web.StreamResponse:
        """Chunked raw s16le mono PCM, no header (the NIM's streaming endpoint)."""
        parsed = await self.nim_request(request)
        if isinstance(parsed, web.Response):
            return parsed
        voice, text, rate = parsed
        response = web.StreamResponse(headers={"Content-Type": "application/octet-stream"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        try:
            async for chunk in tts.stream(voice, text, rate):
                await response.write(chunk)
        except tts.SpeechError:
            return response  # the connection just ends early, as a failing stream does
        await response.write_eof()
        return response

    async def speech(self, request: web.Request) -> web.Response:  # noqa: PLR0911
        """OpenAI-style `POST /v1/audio/speech` as Spark's Magpie server answers it."""
        if not self.loaded:
            return web.json_response({"detail": "Model not loaded"}, status=503)
        try:
            body = await request.json()
        except ValueError:
            return web.json_response({"detail": "JSON body expected"}, status=422)
        if not isinstance(body, dict):
            return web.json_response({"detail": "JSON object expected"}, status=422)
        text = body.get("input")
        if not isinstance(text, str) or not text.strip():
            return web.json_response({"detail": "input must be a non-empty string"}, status=400)
        if len(text) > OPENAI_TEXT_LIMIT:
            return web.json_response(
                {"detail": f"input is longer than {OPENAI_TEXT_LIMIT} characters"}, status=400
            )
        name = str(body.get("voice") or "aria").lower()
        if name not in tts.OPENAI_VOICES:
            known = ", ".join(sorted(tts.OPENAI_VOICES))
            return web.json_response(
                {"detail": f"Unknown voice '{name}'; available: {known}"}, status=400
            )
        language = str(body.get("language") or "en-US")
        if language.lower() not in ("en", "en-us"):
            return web.json_response({"detail": f"Unsupported language '{language}'"}, status=400)
        fmt = str(body.get("response_format") or "wav")
        if fmt not in ("wav", "pcm"):
            return web.json_response(
                {"detail": f"Unsupported response_format '{fmt}'; supported: pcm, wav"},
                status=400,
            )
        try:
            speed = float(body.get("speed", 1.0))
        except (TypeError, ValueError):
            speed = -1.0
        if not 0.25 <= speed <= 4.0:
            return web.json_response({"detail": "speed must be between 0.25 and 4.0"}, status=400)
        try:
            pcm = await tts.synthesize(
                tts.Voice.of(tts.OPENAI_VOICES[name], speed), text, OPENAI_RATE
            )
        except tts.SpeechError as err:
            return web.json_response({"detail": f"Synthesis failed: {err}"}, status=500)
        headers = {
            "X-Sample-Rate": str(OPENAI_RATE),
            "X-Channels": "1",
            "X-Encoding": "pcm_s16le",
            "X-Duration-Ms": str(round(len(pcm) / 2 / OPENAI_RATE * 1000)),
        }
        if fmt == "pcm":
            return web.Response(body=pcm, content_type="audio/pcm", headers=headers)
        return web.Response(
            body=tts.wav(pcm, OPENAI_RATE), content_type="audio/wav", headers=headers
        )


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
    service = Magpie(
        float(config.get("service_load_seconds", 0.5)), str(config.get("magpie_api", "nim"))
    )
    app = web.Application(middlewares=[fault_middleware, service.flavour])
    app.router.add_get("/v1/health/ready", service.ready)
    app.router.add_get("/v1/health/live", service.ready)
    app.router.add_get("/v1/audio/list_voices", service.voices)
    app.router.add_post("/v1/audio/synthesize", service.synthesize)
    app.router.add_post("/v1/audio/synthesize_online", service.synthesize_online)
    app.router.add_get("/health", service.health)
    app.router.add_post("/v1/audio/speech", service.speech)
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
