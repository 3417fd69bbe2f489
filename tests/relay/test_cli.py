"""`python -m relay_lib` as a real subprocess against fake add-on, STT and Home Assistant."""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import jsonschema
import pytest

from relay_lib.pipeline import Progress
from relay_lib.progress import format_progress
from tests.relay.fakes import (
    REPO,
    RESULT_SCHEMA,
    FakeAddon,
    FakeHomeAssistant,
    FakeStt,
    Servers,
    SourceIndex,
    addon_error,
    dead_url,
    voice_vectors,
    write_noise_wav,
)
from tests.relay.test_pipeline import SECONDS, TRUTH

TOKEN = "test-token-123"


@dataclass
class Run:
    code: int
    out: str
    err: str


async def cli(*args: str, env: dict[str, str] | None = None) -> Run:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "relay_lib",
        *args,
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, **(env or {})},
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout=120)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise
    assert proc.returncode is not None
    return Run(proc.returncode, out.decode(), err.decode())


@pytest.fixture
def recording(tmp_path: Path) -> tuple[Path, FakeAddon, FakeStt]:
    source = write_noise_wav(tmp_path / "meeting.wav", SECONDS)
    index = SourceIndex(source)
    vectors = voice_vectors(["voice_0", "voice_1", "voice_2"])
    return tmp_path / "meeting.wav", FakeAddon(index, TRUTH, vectors), FakeStt(index, TRUTH)


def srt_cues(text: str) -> list[tuple[str, str, str]]:
    """(start, end, text) of every SRT cue, checking numbering and layout on the way."""
    cues = []
    for n, block in enumerate(text.strip().split("\n\n"), 1):
        number, times, body = block.split("\n", 2)
        assert number == str(n)
        start, end = re.fullmatch(
            r"(\d\d:\d\d:\d\d,\d{3}) --> (\d\d:\d\d:\d\d,\d{3})", times
        ).groups()  # type: ignore[union-attr]
        cues.append((start, end, body))
    return cues


async def test_srt_with_addon_and_stt(servers: Servers, recording, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path, addon, stt = recording
    addon_url, stt_url = await servers.start(addon.app()), await servers.start(stt.app())
    out, as_json = tmp_path / "meeting.srt", tmp_path / "meeting.json"
    run = await cli(
        str(path),
        "--addon",
        addon_url,
        "--stt",
        stt_url,
        "-o",
        str(out),
        "-o",
        str(as_json),
        "--chunk-seconds",
        "10",
    )
    assert run.code == 0, run.err
    data = json.loads(as_json.read_text())  # the second -o, in the format of its suffix
    jsonschema.validate(data, RESULT_SCHEMA)
    assert len(data["speakers"]) == 3
    cues = srt_cues(out.read_text())
    speakers = [body.split(":", 1)[0] for _, _, body in cues]
    voices = [body.split(": ", 1)[1].split()[0] for _, _, body in cues]
    mapping = dict(zip(voices, speakers, strict=True))
    assert mapping == {"voice_0": "Speaker 1", "voice_1": "Speaker 2", "voice_2": "Speaker 3"}
    assert all(
        set(body.split(": ", 1)[1].split()) == {v}
        for (_, _, body), v in zip(cues, voices, strict=True)
    )
    assert cues[0][0] == "00:00:00,500"
    # Progress lines (stderr is a pipe: one line per chunk) and the talk-time summary.
    assert "[########################] 4/4 chunks  0:00:40/0:00:40 audio  ETA 0:00:00" in run.err
    assert "3 speakers in 0.7 min (4 chunks):" in run.err
    assert re.search(r"Speaker 1\s+0:18\s+43\.8 %", run.err)
    assert run.out == ""


async def test_discover_takes_urls_from_home_assistant(servers: Servers, recording) -> None:  # type: ignore[no-untyped-def]
    path, addon, stt = recording
    addon_url, stt_url = await servers.start(addon.app()), await servers.start(stt.app())
    ha = FakeHomeAssistant(
        TOKEN,
        {
            "vllm": {
                "ready": True,
                "base_url": "http://127.0.0.1:9/v1",
                "model": "m",
                "openai_compat": True,
            },
            "parakeet": {
                "ready": True,
                "base_url": stt_url,
                "kind": "stt",
                "model": "parakeet-tdt",
            },
            "magpie": {"ready": False, "base_url": "http://127.0.0.1:9", "kind": "tts"},
            "diarizer": {"ready": True, "base_url": addon_url, "kind": "diarization"},
        },
    )
    ha_url = await servers.start(ha.app())
    run = await cli(
        str(path),
        "--discover",
        ha_url,
        "--format",
        "json",
        "--chunk-seconds",
        "10",
        "--no-progress",
        env={"SPARK_CONTROL_TOKEN": TOKEN},
    )
    assert run.code == 0, run.err
    data = json.loads(run.out)
    jsonschema.validate(data, RESULT_SCHEMA)
    assert [s["label"] for s in data["speakers"]] == ["Speaker 1", "Speaker 2", "Speaker 3"]
    assert data["models"]["stt"] == "fake_parakeet"
    assert len(addon.requests) == 4 and len(stt.requests) == 4
    assert "chunks" not in run.err.split("speakers in")[0]  # --no-progress


async def test_discover_without_ready_stt_diarizes_only(servers: Servers, recording) -> None:  # type: ignore[no-untyped-def]
    path, addon, _ = recording
    addon_url = await servers.start(addon.app())
    ha = FakeHomeAssistant(
        TOKEN,
        {
            "parakeet": {"ready": False, "base_url": "http://127.0.0.1:9", "kind": "stt"},
            "diarizer": {"ready": True, "base_url": addon_url, "kind": "diarization"},
        },
    )
    ha_url = await servers.start(ha.app())
    run = await cli(
        str(path),
        "--discover",
        ha_url,
        "--format",
        "rttm",
        "--chunk-seconds",
        "10",
        env={"HA_TOKEN": TOKEN, "SPARK_CONTROL_TOKEN": ""},
    )
    assert run.code == 0, run.err
    assert "no ready STT service" in run.err
    assert len(run.out.splitlines()) == len(TRUTH)
    assert run.out.startswith("SPEAKER meeting 1 0.500 5.500 <NA> <NA> Speaker_1 <NA> <NA>")


async def test_discover_with_a_bad_token(servers: Servers, recording) -> None:  # type: ignore[no-untyped-def]
    path, _, _ = recording
    ha_url = await servers.start(FakeHomeAssistant(TOKEN, {}).app())
    run = await cli(str(path), "--discover", ha_url, env={"SPARK_CONTROL_TOKEN": "wrong"})
    assert run.code == 6
    assert "refused the token (HTTP 401)" in run.err


async def test_discover_without_a_token(recording, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path, _, _ = recording
    run = await cli(
        str(path),
        "--discover",
        "http://127.0.0.1:9",
        env={"SPARK_CONTROL_TOKEN": "", "HA_TOKEN": ""},
    )
    assert run.code == 6
    assert "set SPARK_CONTROL_TOKEN or HA_TOKEN" in run.err


async def test_home_assistant_unreachable(recording, socket_enabled: None) -> None:  # type: ignore[no-untyped-def]
    path, _, _ = recording
    run = await cli(str(path), "--discover", dead_url(), env={"SPARK_CONTROL_TOKEN": TOKEN})
    assert run.code == 4
    assert "cannot reach Home Assistant" in run.err


async def test_addon_unreachable(recording, socket_enabled: None) -> None:  # type: ignore[no-untyped-def]
    path, _, _ = recording
    url = dead_url()
    run = await cli(str(path), "--addon", url)
    assert run.code == 4
    assert f"error: no diarization add-on is reachable: {url}" in run.err


async def test_stt_unreachable(servers: Servers, recording) -> None:  # type: ignore[no-untyped-def]
    path, addon, _ = recording
    addon_url = await servers.start(addon.app())
    run = await cli(str(path), "--addon", addon_url, "--stt", dead_url())
    assert run.code == 4
    assert "the STT service" in run.err and "is unreachable" in run.err
    assert addon.requests == []  # nothing was sent before the check


async def test_one_dead_addon_is_skipped_with_a_warning(servers: Servers, recording) -> None:  # type: ignore[no-untyped-def]
    path, addon, _ = recording
    dead, live = dead_url(), await servers.start(addon.app())
    run = await cli(str(path), "--addon", dead, "--addon", live, "--chunk-seconds", "10")
    assert run.code == 0, run.err
    assert f"warning: add-on {dead} is unreachable" in run.err
    assert run.out.startswith("Speaker 1: [00:00:00.500 - 00:00:06.000]\n")


async def test_chunk_failure_exit_code(servers: Servers, recording) -> None:  # type: ignore[no-untyped-def]
    path, addon, _ = recording
    addon.fault = lambda _n, start: (
        addon_error(503, "service_unavailable", "wedged", retry_after="0")
        if start == 160000
        else None
    )
    addon_url = await servers.start(addon.app())
    run = await cli(str(path), "--addon", addon_url, "--chunk-seconds", "10", "--retries", "2")
    assert run.code == 5
    assert (
        f"error: chunk 1 (0:00:10.000-0:00:20.000) failed at the add-on {addon_url}: "
        "HTTP 503 service_unavailable: wedged (after 2 attempts)"
    ) in run.err


@pytest.mark.parametrize(
    "case",
    [
        (SECONDS + 0.00006, ["--chunk-seconds", "10"], [0, 10, 20, 30]),
        (34.00006, ["--chunk-seconds", "10", "--overlap-seconds", "2"], [0, 8, 16, 24]),
    ],
    ids=["no-overlap", "overlap"],
)
async def test_recording_just_over_a_multiple_of_the_chunk_length(  # type: ignore[no-untyped-def]
    servers: Servers, tmp_path: Path, case: tuple[float, list[str], list[int]]
) -> None:
    """Real recordings are rarely an exact multiple: the one-sample tail rides on the last chunk
    instead of failing at the add-on (HTTP 400, under 0.1 s) and taking the run down (issue 17).
    One run writes every format, so every writer sees the folded chunk."""
    seconds, options, starts = case
    path = tmp_path / "meeting.wav"
    source = write_noise_wav(path, seconds)
    addon = FakeAddon(SourceIndex(source), TRUTH, voice_vectors(["voice_0", "voice_1", "voice_2"]))
    outs = {fmt: tmp_path / f"meeting.{fmt}" for fmt in ("json", "rttm", "srt", "vtt", "txt")}
    args = [arg for out in outs.values() for arg in ("-o", str(out))]
    run = await cli(str(path), "--addon", await servers.start(addon.app()), *options, *args)
    assert run.code == 0, run.err
    assert sorted(addon.requests) == [s * 16000 for s in starts]
    assert f"({len(starts)} chunks)" in run.err
    data = json.loads(outs["json"].read_text())
    jsonschema.validate(data, RESULT_SCHEMA)
    assert data["duration_s"] == pytest.approx(len(source) / 16000, abs=1e-3)
    assert [s["label"] for s in data["speakers"]] == ["Speaker 1", "Speaker 2", "Speaker 3"]
    last_end = max(s["end_s"] for s in data["segments"])
    assert last_end == pytest.approx(
        min(TRUTH[-1][1], seconds), abs=0.01
    )  # the last chunk's turns survive
    assert outs["rttm"].read_text().count("SPEAKER ") == len(data["segments"])
    assert len(srt_cues(outs["srt"].read_text())) == len(data["segments"])
    assert outs["vtt"].read_text().startswith("WEBVTT")
    assert outs["txt"].read_text().startswith("Speaker 1: ")


async def test_unreadable_inputs(tmp_path: Path) -> None:
    run = await cli(str(tmp_path / "missing.wav"), "--addon", "http://127.0.0.1:9")
    assert run.code == 3
    assert "cannot read input file" in run.err
    garbage = tmp_path / "garbage.mp3"
    garbage.write_bytes(b"\x00not audio" * 500)
    run = await cli(str(garbage), "--addon", "http://127.0.0.1:9")
    assert run.code == 3  # the input is checked before any service
    assert "error: unreadable input:" in run.err


async def test_unreadable_input_with_live_addon(
    servers: Servers, recording, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    _, addon, _ = recording
    addon_url = await servers.start(addon.app())
    garbage = tmp_path / "garbage.mp3"
    garbage.write_bytes(b"\x00not audio" * 500)
    run = await cli(str(garbage), "--addon", addon_url)
    assert run.code == 3
    assert "error: unreadable input:" in run.err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "give at least one --addon URL or --discover HA_URL"),
        (["--addon", "http://x", "--chunk-seconds", "10", "--overlap-seconds", "6"], "overlap"),
        (["--addon", "http://x", "--min-speakers", "4", "--max-speakers", "2"], "larger"),
    ],
)
async def test_usage_errors(tmp_path: Path, args: list[str], message: str) -> None:
    write_noise_wav(tmp_path / "a.wav", 1.0)
    run = await cli(str(tmp_path / "a.wav"), *args)
    assert run.code == 2
    assert message in run.err


def test_progress_line() -> None:
    line = format_progress(Progress(3, 12, 900.0, 3600.0, 60.0))
    assert line == "[######..................] 3/12 chunks  0:15:00/1:00:00 audio  ETA 0:03:00"
    assert format_progress(Progress(1, None, 300.0, None, 5.0)).endswith(
        "1 chunks  0:05:00 audio  ETA ?"
    )
