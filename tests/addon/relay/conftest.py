"""End-to-end fixtures: a ~6 min synthesised meeting, the real add-on (cpu backend) on 127.0.0.1,
and the two relay runs every e2e test reads (120 s chunks through the CLI, and one single chunk).

The chunked run goes through the real CLI with a fake STT and a recording tap in front of the
add-on: the tap forwards every request unchanged and keeps the add-on's answers, so the threshold
calibration test can look at the fingerprints of the very same run.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import numpy as np
import pytest
import soundfile as sf
from aiohttp import web

from evalkit.audio_synth import Segment, meeting_script, synth_conversation, write_rttm
from relay_lib.client import RetryPolicy
from relay_lib.pipeline import RelayOptions, run_relay
from relay_lib.result import RelayResult
from tests.relay.fakes import FakeStt, Servers, SourceIndex, read_wav

REPO = Path(__file__).resolve().parents[3]
MEETING_MINUTES = 6.0
CHUNK_S = 120.0
START_TIMEOUT_S = 600.0
REQUEST_TIMEOUT_S = 1500.0  # a loaded 2-core CI box runs the cpu backend near real time


@dataclass(frozen=True)
class Meeting:
    wav: Path
    rttm: Path
    truth: list[Segment]
    samples: np.ndarray

    @property
    def duration(self) -> float:
        return len(self.samples) / 16000


@pytest.fixture(scope="session")
def meeting(tmp_path_factory: pytest.TempPathFactory) -> Meeting:
    """Three espeak-ng voices, about six minutes, with exact ground truth."""
    out = tmp_path_factory.mktemp("relay_meeting")
    truth = synth_conversation(
        out / "meeting.wav", meeting_script(MEETING_MINUTES, n_voices=3, seed=11), seed=11,
        cache_dir=out / "espeak_cache",
    )  # fmt: skip
    write_rttm(out / "meeting.rttm", truth, file_id="meeting")
    samples, rate = sf.read(out / "meeting.wav", dtype="int16")
    assert rate == 16000
    return Meeting(out / "meeting.wav", out / "meeting.rttm", truth, samples)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def addon_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`python -m spark_diarizer --backend cpu` on a free port; stopped after the session."""
    port = _free_port()
    log = tmp_path_factory.mktemp("relay_addon") / "addon.log"
    env = {**os.environ, "SPARK_DIARIZER_OPTIONS": str(log.parent / "no-options.json")}
    with log.open("wb") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "spark_diarizer", "--backend", "cpu", "--host", "127.0.0.1",
             "--port", str(port), "--inference-timeout-s", str(REQUEST_TIMEOUT_S),
             "--torch-threads", "2"],
            cwd=REPO, stdout=sink, stderr=subprocess.STDOUT, env=env,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"add-on exited: {log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(url + "/health", timeout=5) as resp:  # noqa: S310
                    if resp.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"add-on not ready: {log.read_text()[-3000:]}")
            time.sleep(1.0)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


@dataclass
class Tap:
    """Forwards diarize-chunk requests to the real add-on and keeps (offset, answer) pairs."""

    target: str
    index: SourceIndex
    answers: list[tuple[float, dict[str, Any]]] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()  # forwarded byte for byte; the WAV is cut out to locate it
        riff = body.index(b"RIFF")
        size = int.from_bytes(body[riff + 4 : riff + 8], "little") + 8
        offset = self.index.locate(read_wav(body[riff : riff + size])) / 16000
        timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S)
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.post(
                self.target + "/v1/audio/diarize-chunk",
                data=body,
                headers={"Content-Type": request.headers["Content-Type"]},
            ) as resp,
        ):
            payload = await resp.read()
            if resp.status == 200:
                self.answers.append((offset, json.loads(payload)))
            return web.Response(
                body=payload, status=resp.status, content_type="application/json",
                headers={k: v for k, v in resp.headers.items() if k == "Retry-After"},
            )  # fmt: skip

    async def health(self, _request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    def app(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post("/v1/audio/diarize-chunk", self.handle)
        app.router.add_get("/health", self.health)
        return app


@dataclass
class CliRun:
    code: int
    stderr: str
    srt: str
    result: dict[str, Any]
    answers: list[tuple[float, dict[str, Any]]]
    stt: FakeStt


async def _chunked_cli(meeting: Meeting, addon: str, out: Path) -> CliRun:
    index = SourceIndex(meeting.samples)
    tap = Tap(addon, index)
    stt = FakeStt(index, [(s, e, v) for s, e, v in meeting.truth], word_s=0.4)
    servers = Servers()
    try:
        tap_url, stt_url = await servers.start(tap.app()), await servers.start(stt.app())
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "relay_lib", str(meeting.wav), "--addon", tap_url,
            "--stt", stt_url, "--chunk-seconds", str(CHUNK_S), "--timeout", str(REQUEST_TIMEOUT_S),
            "-o", str(out / "meeting.srt"), "-o", str(out / "meeting.json"),
            cwd=REPO, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        _, err = await asyncio.wait_for(proc.communicate(), timeout=3 * REQUEST_TIMEOUT_S)
    finally:
        await servers.close()
    srt = (out / "meeting.srt").read_text() if proc.returncode == 0 else ""
    result = json.loads((out / "meeting.json").read_text()) if proc.returncode == 0 else {}
    return CliRun(proc.returncode or 0, err.decode(), srt, result, tap.answers, stt)


@pytest.fixture(scope="session")
def chunked_run(
    meeting: Meeting, addon_url: str, tmp_path_factory: pytest.TempPathFactory
) -> CliRun:
    """The CLI over 120 s chunks with the fake STT: SRT + JSON, and the add-on's raw answers."""
    out = tmp_path_factory.mktemp("relay_chunked")
    return asyncio.run(_chunked_cli(meeting, addon_url, out))


@pytest.fixture(scope="session")
def single_run(meeting: Meeting, addon_url: str) -> RelayResult:
    """The same audio diarized as one chunk (the DER reference for the chunked run)."""
    options = RelayOptions(
        addon_urls=[addon_url], chunk_seconds=meeting.duration + 10.0,
        policy=RetryPolicy(timeout_s=REQUEST_TIMEOUT_S),
    )  # fmt: skip
    return asyncio.run(run_relay(meeting.wav, options))
