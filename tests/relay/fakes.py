"""Fake add-on, STT and Home Assistant servers (aiohttp on 127.0.0.1) for relay tests.

The fake add-on knows the whole recording: it finds each uploaded chunk's offset by matching its
samples against the source (white noise, so every window is unique), which also proves that the
relay's offsets are sample-exact. Its answers follow the add-on's JSON schema and are validated
against it before they are sent.
"""

from __future__ import annotations

import asyncio
import io
import json
import wave
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import numpy as np
from aiohttp import web

REPO = Path(__file__).resolve().parents[2]
ADDON_SCHEMA = json.loads(
    (REPO / "gpu_addon/spark_diarizer/schema/diarize-chunk.schema.json").read_text()
)
RESULT_SCHEMA = json.loads((REPO / "relay_lib/schema/relay-result.schema.json").read_text())
SR = 16000
_PROBE = 64  # samples used to locate a chunk inside the source

Truth = list[tuple[float, float, str]]
Fault = Callable[[int, int], web.Response | None]  # (request number, chunk index) -> override


def write_noise_wav(path: Path, seconds: float, seed: int = 0) -> np.ndarray:
    """White-noise PCM16 WAV (unique sample windows); returns the samples."""
    samples = np.random.default_rng(seed).integers(-8000, 8000, round(seconds * SR), dtype=np.int16)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SR)
        out.writeframes(samples.tobytes())
    return samples


def voice_vectors(names: list[str], dim: int = 192, seed: int = 1) -> dict[str, np.ndarray]:
    """Well separated random unit vectors, one per voice."""
    rng = np.random.default_rng(seed)
    out = {}
    for name in names:
        vec = rng.normal(size=dim)
        out[name] = vec / np.linalg.norm(vec)
    return out


def read_wav(data: bytes) -> np.ndarray:
    with wave.open(io.BytesIO(data), "rb") as reader:
        assert reader.getframerate() == SR and reader.getnchannels() == 1
        assert reader.getsampwidth() == 2
        return np.frombuffer(reader.readframes(reader.getnframes()), dtype="<i2")


class SourceIndex:
    """Find where a chunk starts inside the source recording (exact sample match)."""

    def __init__(self, source: np.ndarray) -> None:
        self._source = source

    def locate(self, chunk: np.ndarray) -> int:
        probe = chunk[:_PROBE]
        for start in np.flatnonzero(self._source == probe[0]).tolist():
            if np.array_equal(self._source[start : start + len(probe)], probe):
                assert np.array_equal(self._source[start : start + len(chunk)], chunk)
                return int(start)
        raise AssertionError("chunk not found in the source: offsets are not sample-exact")


@dataclass
class FakeAddon:
    """Diarizes by ground truth; fingerprints = voice vector + per-chunk noise."""

    index: SourceIndex
    truth: Truth
    vectors: dict[str, np.ndarray]
    embedding: str = "titanet_large"
    noise: float = 0.05
    latency_s: float = 0.0
    fault: Fault | None = None
    requests: list[int] = field(default_factory=list)  # chunk start sample per request
    in_flight: int = 0
    max_in_flight: int = 0
    seed: int = 0

    def answer(self, chunk: np.ndarray, start_sample: int) -> dict[str, Any]:
        offset, duration = start_sample / SR, len(chunk) / SR
        local: dict[str, str] = {}
        segments = []
        for start, end, voice in self.truth:
            s, e = max(start - offset, 0.0), min(end - offset, duration)
            if e - s < 0.05:
                continue
            label = local.setdefault(voice, f"Speaker_{len(local)}")
            segments.append({"start_s": round(s, 3), "end_s": round(e, 3), "speaker": label})
        rng = np.random.default_rng(self.seed + start_sample)
        fingerprints = {}
        for voice, label in local.items():
            vec = self.vectors[voice] + rng.normal(scale=self.noise, size=self.vectors[voice].shape)
            fingerprints[label] = [float(v) for v in vec / np.linalg.norm(vec)]
        body = {
            "duration": duration,
            "segments": segments,
            "speakers_detected": list(local.values()),
            "fingerprints": fingerprints,
            "models": {"diarization": "fake_sortformer", "embedding": self.embedding},
        }
        jsonschema.validate(body, ADDON_SCHEMA)
        return body

    async def handle(self, request: web.Request) -> web.Response:
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            form = await request.post()
            upload = form["file"]
            assert isinstance(upload, web.FileField)
            assert upload.content_type == "audio/wav"
            chunk = read_wav(upload.file.read())
            if len(chunk) < SR // 10:  # the real add-on's floor (gpu_addon/spark_diarizer/audio.py)
                return addon_error(
                    400, "invalid_audio", "the file holds less than 0.1 s of decodable audio"
                )
            start = self.index.locate(chunk)
            number = len(self.requests)
            self.requests.append(start)
            if self.fault is not None and (override := self.fault(number, start)) is not None:
                return override
            if self.latency_s:
                await asyncio.sleep(self.latency_s)
            return web.json_response(self.answer(chunk, start))
        finally:
            self.in_flight -= 1

    def app(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post("/v1/audio/diarize-chunk", self.handle)
        app.router.add_get("/health", _health)
        return app


async def _health(_request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def addon_error(
    status: int, code: str, message: str, retry_after: str | None = None
) -> web.Response:
    """An error response in the add-on's documented error shape."""
    body = {"error": {"code": code, "message": message}}
    jsonschema.validate(body, ADDON_SCHEMA["$defs"]["error"])
    headers = {"Retry-After": retry_after} if retry_after is not None else None
    return web.json_response(body, status=status, headers=headers)


@dataclass
class FakeStt:
    """OpenAI-style transcription: a word per `word_s` of each true turn, named after its voice."""

    index: SourceIndex
    truth: Truth
    word_s: float = 0.5
    verbose: bool = True  # False: reject verbose_json with 400 and answer plain text
    requests: list[str] = field(default_factory=list)

    def words(self, offset: float, duration: float) -> list[dict[str, Any]]:
        out = []
        for start, end, voice in self.truth:
            t = start
            while t + self.word_s * 0.8 <= end:
                mid = t + self.word_s * 0.4
                if offset <= mid < offset + duration:
                    out.append(
                        {
                            "word": voice,
                            "start": round(t - offset, 3),
                            "end": round(t + self.word_s * 0.8 - offset, 3),
                        }
                    )
                t += self.word_s
        return out

    async def handle(self, request: web.Request) -> web.Response:
        form = await request.post()
        fmt = str(form.get("response_format", "json"))
        self.requests.append(fmt)
        upload = form["file"]
        assert isinstance(upload, web.FileField)
        chunk = read_wav(upload.file.read())
        start = self.index.locate(chunk)
        words = self.words(start / SR, len(chunk) / SR)
        text = " ".join(w["word"] for w in words)
        if fmt == "verbose_json":
            if not self.verbose:
                return web.json_response({"error": {"message": "unsupported"}}, status=400)
            assert form.getall("timestamp_granularities[]") == ["word", "segment"]
            segments = []
            for w in words:  # one segment per 4 words, like sentence-sized pieces
                if not segments or len(segments[-1]["words"]) == 4:
                    segments.append({"start": w["start"], "end": w["end"], "text": "", "words": []})
                segments[-1]["words"].append(w)
                segments[-1]["end"] = w["end"]
            for seg in segments:
                seg["text"] = " ".join(w["word"] for w in seg["words"])
                del seg["words"]  # words only at top level, as OpenAI does
            return web.json_response(
                {"text": text, "segments": segments, "words": words, "model": "fake_parakeet"}
            )
        return web.Response(text=text, content_type="text/plain")

    def app(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post("/v1/audio/transcriptions", self.handle)
        return app


@dataclass
class FakeHomeAssistant:
    """Serves the spark_control discovery JSON behind a bearer token."""

    token: str
    endpoints: dict[str, Any]

    async def handle(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return web.json_response({"message": "Unauthorized"}, status=401)
        return web.json_response(self.endpoints)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/api/spark_control/endpoints", self.handle)
        return app


class Servers:
    """Starts aiohttp apps on 127.0.0.1 (port 0) and closes them all."""

    def __init__(self) -> None:
        self._runners: list[web.AppRunner] = []

    async def start(self, app: web.Application) -> str:
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self._runners.append(runner)
        server = site._server
        assert server is not None
        port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return f"http://127.0.0.1:{port}"

    async def close(self) -> None:
        for runner in self._runners:
            await runner.cleanup()
        self._runners.clear()


def dead_url() -> str:
    """A 127.0.0.1 URL nobody listens on (a port we bound and released)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


AsyncFactory = Callable[..., Awaitable[Any]]
