"""Fixtures for the add-on tests: synthesised conversations, audio files, real service processes."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from evalkit.audio_synth import Segment, meeting_script, synth_conversation, write_rttm

REPO = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 900.0  # a loaded shared CI machine can take minutes to import torch


@dataclass(frozen=True)
class Conversation:
    """A synthesised 3-voice conversation and its ground truth."""

    wav: Path
    rttm: Path
    truth: list[Segment]


@pytest.fixture(scope="session")
def espeak_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One espeak-ng sentence cache for the whole session."""
    return tmp_path_factory.mktemp("espeak_cache")


@pytest.fixture(scope="session")
def conversation(tmp_path_factory: pytest.TempPathFactory, espeak_cache: Path) -> Conversation:
    """About two minutes of three espeak-ng voices taking turns (shared by every test)."""
    out = tmp_path_factory.mktemp("conversation")
    truth = synth_conversation(
        out / "conversation.wav", meeting_script(2.0, n_voices=3, seed=11), seed=11,
        cache_dir=espeak_cache,
    )  # fmt: skip
    write_rttm(out / "conversation.rttm", truth)
    return Conversation(out / "conversation.wav", out / "conversation.rttm", truth)


@pytest.fixture(scope="session")
def audio_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A 2 s 44.1 kHz stereo tone in every accepted format plus a few bad inputs."""
    out = tmp_path_factory.mktemp("formats")
    t = np.arange(88200) / 44100
    tone = 0.3 * np.sin(2 * np.pi * 220 * t)
    sf.write(out / "tone.wav", np.stack([tone, tone * 0.5], axis=1), 44100)
    files = {"wav": out / "tone.wav"}
    for ext in ("flac", "mp3", "ogg", "m4a"):
        files[ext] = out / f"tone.{ext}"
        subprocess.run(
            ["ffmpeg", "-loglevel", "error", "-y", "-i", str(files["wav"]), str(files[ext])],
            check=True, timeout=60,
        )  # fmt: skip
    files["aiff"] = out / "tone.aiff"
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-y", "-i", str(files["wav"]), str(files["aiff"])],
        check=True, timeout=60,
    )  # fmt: skip
    files["png"] = out / "image.png"
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "color=red:s=16x16",
         "-frames:v", "1", str(files["png"])],
        check=True, timeout=60,
    )  # fmt: skip
    files["video"] = out / "silent_video.mp4"
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "color=blue:s=32x32:d=1",
         str(files["video"])],
        check=True, timeout=60,
    )  # fmt: skip
    files["truncated"] = out / "truncated.wav"
    files["truncated"].write_bytes(files["wav"].read_bytes()[:60])
    files["text"] = out / "notes.txt"
    files["text"].write_text("this is not audio\n" * 20)
    files["empty"] = out / "empty.wav"
    files["empty"].write_bytes(b"")
    return files


def free_port() -> int:
    """A port that was free a moment ago on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def get_json(url: str, timeout: float = 30.0) -> tuple[int, dict[str, object]]:
    """GET a JSON endpoint; returns (status, body) for 2xx and HTTP errors alike."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - test URL
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}")


@dataclass
class Service:
    """A running `python -m spark_diarizer` process."""

    process: subprocess.Popen[bytes]
    base_url: str
    log: Path

    def wait_ready(self, timeout: float = START_TIMEOUT_S) -> dict[str, object]:
        """Poll /health until 200 (the worker loaded and passed its probe)."""
        deadline = time.monotonic() + timeout
        body: dict[str, object] = {}
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"service exited: {self.log.read_text()[-3000:]}")
            try:
                status, body = get_json(self.base_url + "/health", timeout=5)
            except (urllib.error.URLError, OSError, ValueError):
                status = 0
            if status == 200:
                return body
            time.sleep(0.5)
        raise TimeoutError(f"service not ready: {body} {self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if the process does not exit."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


def start_service(tmp: Path, *args: str, env: dict[str, str] | None = None) -> Service:
    """Start the service as a real process on a free 127.0.0.1 port."""
    port = free_port()
    log = tmp / f"service-{port}.log"
    full_env = {**os.environ, "SPARK_DIARIZER_OPTIONS": str(tmp / "no-options.json"), **(env or {})}
    full_env["PYTHONPATH"] = os.pathsep.join([str(REPO / "gpu_addon"), str(REPO)])
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "spark_diarizer", "--host", "127.0.0.1", "--port", str(port),
             "--log-level", "warning", *args],
            env=full_env, stdout=sink, stderr=subprocess.STDOUT, cwd=tmp,
        )  # fmt: skip
    return Service(process, f"http://127.0.0.1:{port}", log)


@pytest.fixture(scope="session")
def cpu_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """The cpu backend behind the real HTTP front, with small limits and the fault hook on."""
    service = start_service(
        tmp_path_factory.mktemp("cpu_service"),
        "--backend", "cpu", "--max-upload-mb", "6", "--max-duration-s", "240",
        "--max-queue", "2", "--inference-timeout-s", "240",
        env={"SPARK_DIARIZER_TEST_FAULTS": "1"},
    )  # fmt: skip
    try:
        service.wait_ready()
        yield service
    finally:
        service.stop()
