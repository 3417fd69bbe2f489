"""`python -m relay_lib batch` as a real subprocess against fake add-ons (asyncio executor).

The recordings are consecutive 20 s cuts of one white-noise source, so one fake add-on knows
where every uploaded chunk lies and answers from one ground truth.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import wave
from pathlib import Path

import jsonschema
import numpy as np
import pytest

from relay_lib.audio import ChunkPlan, iter_chunks
from relay_lib.batch import Recording, Row, find_recordings, format_summary
from relay_lib.slices import cut, decode_all, plan_slices
from tests.relay.fakes import (
    REPO,
    RESULT_SCHEMA,
    FakeAddon,
    Servers,
    SourceIndex,
    Truth,
    addon_error,
    voice_vectors,
    write_noise_wav,
)

SR = 16000
PART_S = 20.0
PARTS = 3
# Three voices taking turns across the whole source; every cut and chunk boundary splits a turn.
TRUTH: Truth = [
    (t, t + 4.5, f"voice_{i % 3}") for i, t in enumerate(np.arange(0.5, PARTS * PART_S - 5, 5.0))
]


def write_part(path: Path, samples: np.ndarray) -> None:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SR)
        out.writeframes(samples.astype("<i2").tobytes())


@pytest.fixture
def corpus(tmp_path: Path) -> tuple[Path, FakeAddon]:
    """PARTS recordings in a folder (one in a subfolder) and a fake add-on that knows them all."""
    source = write_noise_wav(tmp_path / "source.wav", PARTS * PART_S, seed=3)
    folder = tmp_path / "in"
    (folder / "sub").mkdir(parents=True)
    n = round(PART_S * SR)
    for i in range(PARTS):
        target = folder / ("sub" if i == 2 else "") / f"meeting{i}.wav"
        write_part(target, source[i * n : (i + 1) * n])
    (folder / "notes.md").write_text("not audio, and not picked up from a folder\n")
    vectors = voice_vectors(["voice_0", "voice_1", "voice_2"])
    return folder, FakeAddon(SourceIndex(source), TRUTH, vectors)


async def batch(*args: str, timeout: float = 180) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "relay_lib", "batch", *args, cwd=REPO,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout=timeout)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


def summary_rows(out: str) -> dict[str, list[str]]:
    lines = out.strip().splitlines()
    assert lines[0].split()[:3] == ["recording", "status", "speakers"]
    return {line.split()[0]: line.split() for line in lines[1:-1]}


async def test_batch_writes_every_format_and_resumes(
    servers: Servers, corpus: tuple[Path, FakeAddon], tmp_path: Path
) -> None:
    folder, addon = corpus
    url = await servers.start(addon.app())
    out = tmp_path / "out"
    code, stdout, stderr = await batch(str(folder), "-o", str(out), "--addon", url,
                                       "--chunk-seconds", "10")  # fmt: skip
    assert code == 0, stderr
    rows = summary_rows(stdout)
    assert set(rows) == {"meeting0", "meeting1", "sub/meeting2"}
    assert all(r[1] == "done" and r[2] == "3" and r[4] == "2" for r in rows.values()), stdout
    assert stdout.strip().endswith("3 recordings: 3 done, 0 skipped, 0 failed")
    for name in ("meeting0", "meeting1", "sub/meeting2"):
        data = json.loads((out / f"{name}.json").read_text())
        jsonschema.validate(data, RESULT_SCHEMA)
        assert data["duration_s"] == PART_S
        for fmt in ("rttm", "srt", "vtt", "txt"):
            assert (out / f"{name}.{fmt}").read_text().strip()
        assert (out / f"{name}.vtt").read_text().startswith("WEBVTT")
        marker = json.loads((out / f"{name}.done").read_text())
        assert marker["input"] == str((folder / f"{name}.wav").resolve())
        assert marker["speakers"] == 3
    # Every recording's turns follow the truth, shifted to its own time.
    first = json.loads((out / "meeting1.json").read_text())["segments"]
    expected = [(s - PART_S, e - PART_S) for s, e, _ in TRUTH if PART_S <= s < 2 * PART_S]
    assert [(t["start_s"], t["end_s"]) for t in first][: len(expected)] == pytest.approx(expected)
    # Progress: one line per chunk and per recording on a pipe, ending at 3/3 and 6/6.
    assert "3/3 recordings  6/6 chunks  0:01:00/0:01:00 audio  ETA 0:00:00" in stderr
    assert not list(out.rglob("*.tmp"))

    # A rerun skips everything without a single request; a touched input is redone.
    requests = len(addon.requests)
    code, stdout, _ = await batch(str(folder), "-o", str(out), "--addon", url,
                                  "--chunk-seconds", "10")  # fmt: skip
    assert code == 0
    assert [r[1] for r in summary_rows(stdout).values()] == ["skipped"] * 3
    assert len(addon.requests) == requests
    os.utime(folder / "meeting1.wav", ns=(1, 1))
    code, stdout, _ = await batch(str(folder), "-o", str(out), "--addon", url,
                                  "--chunk-seconds", "10")  # fmt: skip
    assert code == 0
    assert {k: v[1] for k, v in summary_rows(stdout).items()} == {
        "meeting0": "skipped", "meeting1": "done", "sub/meeting2": "skipped",
    }  # fmt: skip
    assert len(addon.requests) == requests + 2
    # Other result-shaping settings are not trusted to the old outputs.
    code, stdout, _ = await batch(str(folder / "meeting0.wav"), "-o", str(out), "--addon", url,
                                  "--chunk-seconds", "10", "--speakers", "3")  # fmt: skip
    assert code == 0
    assert summary_rows(stdout)["meeting0"][1] == "done"


async def test_failures_are_named_and_do_not_stop_the_others(
    servers: Servers, corpus: tuple[Path, FakeAddon], tmp_path: Path
) -> None:
    folder, addon = corpus
    bad_start = round(PART_S * SR)  # every chunk of meeting1 is refused by the add-on
    addon.fault = lambda _n, start: (
        addon_error(400, "invalid_audio", "refused on purpose")
        if bad_start <= start < 2 * bad_start
        else None
    )
    url = await servers.start(addon.app())
    (tmp_path / "broken.wav").write_bytes(b"RIFF not really audio")
    out = tmp_path / "out"
    code, stdout, stderr = await batch(
        str(folder / "*.wav"), str(tmp_path / "broken.wav"), str(tmp_path / "missing.flac"),
        "-o", str(out), "--addon", url, "--chunk-seconds", "10", "--formats", "json,srt",
    )  # fmt: skip
    assert code == 7, stderr
    rows = summary_rows(stdout)
    assert rows["meeting0"][1] == "done"
    assert rows["meeting1"][1] == "failed"
    assert "HTTP 400 invalid_audio: refused on purpose" in " ".join(rows["meeting1"])
    assert rows["broken"][1] == "failed"
    assert "unreadable input" in " ".join(rows["broken"])
    missing = next(line for line in stdout.splitlines() if "missing.flac" in line)
    assert "failed" in missing and "no such file or folder" in missing
    assert stdout.strip().endswith("4 recordings: 1 done, 0 skipped, 3 failed")
    assert sorted(p.name for p in out.iterdir()) == [
        "meeting0.done",
        "meeting0.json",
        "meeting0.srt",
    ]


async def test_interrupted_run_resumes_from_finished_recordings(
    servers: Servers, corpus: tuple[Path, FakeAddon], tmp_path: Path
) -> None:
    """The driver is killed (SIGKILL) after its first recording; a rerun does only the rest."""
    folder, addon = corpus
    addon.latency_s = 0.5
    url = await servers.start(addon.app())
    out = tmp_path / "out"
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "relay_lib", "batch", str(folder), "-o", str(out), "--addon", url,
        "--chunk-seconds", "10", "--jobs", "1", "--concurrency", "1", cwd=REPO,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        async with asyncio.timeout(120):
            while not list(out.glob("*.done")):
                await asyncio.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)
        await proc.wait()
    finished = {p.name for p in out.rglob("*.done")}
    assert finished == {"meeting0.done"}
    before = len(addon.requests)
    code, stdout, _ = await batch(str(folder), "-o", str(out), "--addon", url,
                                  "--chunk-seconds", "10")  # fmt: skip
    assert code == 0
    rows = summary_rows(stdout)
    assert rows["meeting0"][1] == "skipped"
    assert rows["meeting1"][1] == rows["sub/meeting2"][1] == "done"
    assert len(addon.requests) - before == 4
    assert not list(out.rglob("*.tmp"))


async def test_usage_errors(tmp_path: Path) -> None:
    code, _, err = await batch(str(tmp_path), "-o", str(tmp_path / "o"), "--addon",
                               "http://127.0.0.1:9", "--formats", "json,docx")  # fmt: skip
    assert code == 2
    assert "unknown format docx" in err
    code, _, err = await batch(str(tmp_path / "x.wav"), "-o", str(tmp_path / "o"))
    assert code == 2
    assert "give at least one --addon URL or --discover HA_URL" in err


async def test_no_reachable_addon_exits_4(tmp_path: Path) -> None:
    write_noise_wav(tmp_path / "a.wav", 2.0)
    code, _, err = await batch(str(tmp_path / "a.wav"), "-o", str(tmp_path / "o"),
                               "--addon", "http://127.0.0.1:9")  # fmt: skip
    assert code == 4
    assert "no diarization add-on is reachable" in err


def test_find_recordings_names_and_duplicates(tmp_path: Path) -> None:
    for sub in ("a", "b"):
        (tmp_path / sub).mkdir()
        (tmp_path / sub / "talk.mp3").write_bytes(b"")
    (tmp_path / "a" / "readme.txt").write_text("x")
    recs, problems = find_recordings(
        [str(tmp_path / "a" / "talk.mp3"), str(tmp_path / "*" / "talk.mp3"), str(tmp_path / "a"),
         str(tmp_path / "nothing-*.wav")]
    )  # fmt: skip
    assert [r.path for r in recs] == [tmp_path / "a" / "talk.mp3", tmp_path / "b" / "talk.mp3"]
    assert len({r.name for r in recs}) == 2
    assert all(r.name.startswith("talk-") for r in recs)
    assert [p.reason for p in problems] == ["the pattern matches no file"]
    table = format_summary([Row("x", "done", 2, 61.0, 1, 3.0)])
    assert table.splitlines()[1].split() == ["x", "done", "2", "0:01:01", "1", "0:00:03"]
    assert Recording(tmp_path, "x").name == "x"


@pytest.mark.parametrize("max_chunk_s", [600.0, 10.5])  # 10.5: the last chunk is split
@pytest.mark.parametrize("seconds", [0.5, 10.0, 10.5, 12.0, 20.8, 25.0, 33.3])
def test_slices_match_the_streaming_chunker(
    tmp_path: Path, seconds: float, max_chunk_s: float
) -> None:
    """The Ray executor's slices cut exactly the audio the streaming chunker yields."""
    path = tmp_path / "r.wav"
    write_noise_wav(path, seconds, seed=7)
    plan = ChunkPlan.from_seconds(10.0, 1.0, max_chunk_s=max_chunk_s)
    chunks = list(iter_chunks(path, plan))
    samples = decode_all(path.read_bytes())
    slices = plan_slices(len(samples), plan)
    assert [(s.index, s.start_sample, s.samples) for s in slices] == [
        (c.index, c.start_sample, len(c.samples)) for c in chunks
    ]
    for part, chunk in zip(slices, chunks, strict=True):
        assert np.array_equal(cut(samples, part).samples, chunk.samples)
