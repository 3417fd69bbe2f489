"""Streaming decode and chunking: formats, sample-exact offsets, overlap, errors, WAV upload."""

from __future__ import annotations

import itertools
import subprocess
from pathlib import Path

import numpy as np
import pytest

from relay_lib.audio import SAMPLE_RATE, ChunkPlan, iter_chunks, iter_pcm, probe_duration
from relay_lib.errors import AudioDecodeError
from tests.relay.fakes import read_wav, write_noise_wav

SECONDS = 7.3


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", *args], check=True, timeout=120)


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The same 7.3 s tone (44.1 kHz stereo) in every container the issue names, plus a video."""
    root = tmp_path_factory.mktemp("media")
    src = f"sine=frequency=330:duration={SECONDS}:sample_rate=44100"
    files = {
        "wav": root / "a.wav",
        "mp3": root / "a.mp3",
        "flac": root / "a.flac",
        "ogg": root / "a.ogg",
        "m4a": root / "a.m4a",
    }
    for path in files.values():
        ffmpeg("-f", "lavfi", "-i", src, "-ac", "2", str(path))
    video = root / "v.mp4"
    ffmpeg(
        "-f",
        "lavfi",
        "-i",
        f"testsrc=size=64x48:rate=5:duration={SECONDS}",
        "-f",
        "lavfi",
        "-i",
        src,
        "-c:v",
        "mpeg4",
        "-c:a",
        "aac",
        "-shortest",
        str(video),
    )
    files["mp4-video"] = video
    silent = root / "silent.mp4"
    ffmpeg(
        "-f", "lavfi", "-i", "testsrc=size=64x48:rate=5:duration=1", "-c:v", "mpeg4", str(silent)
    )
    files["no-audio"] = silent
    return files


@pytest.mark.parametrize("kind", ["wav", "mp3", "flac", "ogg", "m4a", "mp4-video"])
def test_every_format_decodes_to_16k_mono(media: dict[str, Path], kind: str) -> None:
    blocks = list(iter_pcm(media[kind]))
    total = sum(len(b) for b in blocks)
    assert all(b.dtype == np.int16 and b.ndim == 1 for b in blocks)
    # Lossy codecs may pad or trim a few ms; the length must still be the recording's.
    assert abs(total - SECONDS * SAMPLE_RATE) < 0.06 * SAMPLE_RATE
    audio = np.concatenate(blocks).astype(float)
    assert np.sqrt(np.mean(audio**2)) > 1000  # the tone survived, not silence
    duration = probe_duration(media[kind])
    assert duration is not None and abs(duration - SECONDS) < 0.1


@pytest.mark.parametrize("kind", ["wav", "mp3", "m4a", "mp4-video"])
def test_chunks_tile_the_stream_exactly(media: dict[str, Path], kind: str) -> None:
    pcm = np.concatenate(list(iter_pcm(media[kind])))
    plan = ChunkPlan.from_seconds(2.0)
    chunks = list(iter_chunks(media[kind], plan))
    assert [c.start_sample for c in chunks] == [i * 32000 for i in range(len(chunks))]
    assert len(chunks) == plan.chunk_count(len(pcm)) == 4
    np.testing.assert_array_equal(np.concatenate([c.samples for c in chunks]), pcm)


def test_overlap_offsets_are_sample_exact(tmp_path: Path) -> None:
    source = write_noise_wav(tmp_path / "n.wav", 10.0)
    plan = ChunkPlan.from_seconds(3.0, overlap_s=0.5)
    chunks = list(iter_chunks(tmp_path / "n.wav", plan))
    assert [c.start_sample for c in chunks] == [0, 40000, 80000, 120000]
    assert [len(c.samples) for c in chunks] == [48000, 48000, 48000, 40000]
    for chunk in chunks:
        np.testing.assert_array_equal(
            chunk.samples, source[chunk.start_sample : chunk.start_sample + len(chunk.samples)]
        )
    assert chunks[-1].end_s == 10.0
    assert plan.chunk_count(len(source)) == len(chunks)


def test_tail_inside_the_overlap_makes_no_extra_chunk(tmp_path: Path) -> None:
    write_noise_wav(tmp_path / "n.wav", 5.5)
    plan = ChunkPlan.from_seconds(3.0, overlap_s=0.5)
    chunks = list(iter_chunks(tmp_path / "n.wav", plan))
    assert [(c.start_sample, len(c.samples)) for c in chunks] == [(0, 48000), (40000, 48000)]
    assert plan.chunk_count(88000) == 2


def test_chunk_wav_round_trip(tmp_path: Path) -> None:
    source = write_noise_wav(tmp_path / "n.wav", 3.5)
    chunk = next(iter_chunks(tmp_path / "n.wav", ChunkPlan.from_seconds(2.0)))
    np.testing.assert_array_equal(read_wav(chunk.to_wav()), source[:32000])
    assert chunk.start_s == 0.0 and chunk.duration_s == 2.0


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(AudioDecodeError, match="cannot open"):
        list(iter_chunks(tmp_path / "nope.mp3", ChunkPlan.from_seconds(2.0)))


def test_not_audio(tmp_path: Path) -> None:
    bad = tmp_path / "bad.mp3"
    bad.write_bytes(b"this is not audio at all" * 100)
    with pytest.raises(AudioDecodeError):
        list(iter_chunks(bad, ChunkPlan.from_seconds(2.0)))


def test_no_audio_track(media: dict[str, Path]) -> None:
    with pytest.raises(AudioDecodeError, match="no audio track"):
        list(iter_chunks(media["no-audio"], ChunkPlan.from_seconds(2.0)))
    with pytest.raises(AudioDecodeError, match="no audio track"):
        probe_duration(media["no-audio"])


@pytest.mark.parametrize(("chunk", "overlap"), [(0.5, 0.0), (10.0, 6.0), (10.0, -1.0)])
def test_bad_plans(chunk: float, overlap: float) -> None:
    with pytest.raises(ValueError):
        ChunkPlan.from_seconds(chunk, overlap)


def _plan_lengths(plan: ChunkPlan) -> list[int]:
    """Recording lengths just over, at and just under multiples of the step, in samples."""
    out = []
    for k in (1, 2, 3):
        edge = plan.chunk_samples + (k - 1) * plan.step_samples
        out += [edge - 1, edge, edge + 1, edge + 16, edge + plan.min_tail_samples - 1]
        out += [edge + plan.min_tail_samples, edge + plan.min_tail_samples + 1]
    return out


@pytest.mark.parametrize(("chunk_s", "overlap_s"), [(10.0, 0.0), (10.0, 2.0), (30.0, 0.0)])
def test_a_short_tail_is_folded_into_the_last_chunk(
    tmp_path: Path, chunk_s: float, overlap_s: float
) -> None:
    """Lengths a hair over a multiple of the chunk length never end on a sliver (issue 17)."""
    plan = ChunkPlan.from_seconds(chunk_s, overlap_s)
    assert plan.min_tail_samples == round(min(max(1.0, chunk_s / 10), 5.0) * SAMPLE_RATE)
    for total in _plan_lengths(plan):
        path = tmp_path / f"{total}.wav"
        source = write_noise_wav(path, total / SAMPLE_RATE)
        assert len(source) == total
        chunks = list(iter_chunks(path, plan))
        assert len(chunks) == plan.chunk_count(total), total
        assert [c.start_sample for c in chunks] == [
            i * plan.step_samples for i in range(len(chunks))
        ]
        assert chunks[-1].start_sample + len(chunks[-1].samples) == total
        for chunk in chunks:
            np.testing.assert_array_equal(
                chunk.samples, source[chunk.start_sample : chunk.start_sample + len(chunk.samples)]
            )
            assert len(chunk.samples) < plan.chunk_samples + plan.min_tail_samples
        for before, after in itertools.pairwise(chunks):
            new = (
                after.start_sample + len(after.samples) - before.start_sample - len(before.samples)
            )
            assert new >= plan.min_tail_samples, (total, new)


def test_sixty_seconds_and_a_sample_make_two_chunks_of_30_s(tmp_path: Path) -> None:
    """The recording of the issue: 60.00006 s in 30 s chunks used to end on a 0.06 ms chunk."""
    write_noise_wav(tmp_path / "n.wav", 60.00006)
    chunks = list(iter_chunks(tmp_path / "n.wav", ChunkPlan.from_seconds(30.0)))
    assert [(c.start_sample, len(c.samples)) for c in chunks] == [(0, 480000), (480000, 480001)]


def test_default_plan_folds_a_short_tail(tmp_path: Path) -> None:
    """The CLI default (300 s chunks) on 600 s plus 4.9 s: two chunks, the second 304.9 s."""
    plan = ChunkPlan.from_seconds(300.0)
    assert plan.min_tail_samples == 5 * SAMPLE_RATE
    write_noise_wav(tmp_path / "n.wav", 604.9)
    chunks = list(iter_chunks(tmp_path / "n.wav", plan))
    assert [(c.start_s, c.duration_s) for c in chunks] == [(0.0, 300.0), (300.0, 304.9)]
    assert plan.chunk_count(round(604.9 * SAMPLE_RATE)) == 2
    assert plan.chunk_count(605 * SAMPLE_RATE) == 3


@pytest.mark.parametrize(("chunk_s", "overlap_s"), [(10.0, 0.0), (10.0, 2.0)])
def test_a_tail_that_would_pass_the_cap_is_split_not_folded(
    tmp_path: Path, chunk_s: float, overlap_s: float
) -> None:
    """With a cap just above the chunk length, a folded tail would exceed it: the last chunk and
    its tail become two halves, every chunk stays within the cap and the stream tiles exactly."""
    plan = ChunkPlan.from_seconds(chunk_s, overlap_s, max_chunk_s=chunk_s + 0.5)
    for total in _plan_lengths(plan):
        path = tmp_path / f"{total}.wav"
        source = write_noise_wav(path, total / SAMPLE_RATE)
        chunks = list(iter_chunks(path, plan))
        assert [(c.start_sample, c.start_sample + len(c.samples)) for c in chunks] == plan.bounds(
            total
        )
        assert len(chunks) == plan.chunk_count(total)
        assert chunks[-1].start_sample + len(chunks[-1].samples) == total
        assert all(len(c.samples) <= plan.max_samples for c in chunks), total
        assert all(len(c.samples) >= plan.min_tail_samples for c in chunks), total
        for chunk in chunks:
            np.testing.assert_array_equal(
                chunk.samples, source[chunk.start_sample : chunk.start_sample + len(chunk.samples)]
            )
        for before, after in itertools.pairwise(chunks):  # neighbours share exactly the overlap
            assert before.start_sample + len(before.samples) - after.start_sample == (
                plan.overlap_samples
            )


def test_chunks_near_the_addon_cap_never_exceed_600_s(tmp_path: Path) -> None:
    """`--chunk-seconds 598` on 598 s + 4.9 s: folding would send 602.9 s (the add-on's cap is
    600 s, answered 413); two halves of 301.45 s go instead. 598.5 s still folds."""
    plan = ChunkPlan.from_seconds(598.0)
    assert plan.max_samples == 600 * SAMPLE_RATE
    write_noise_wav(tmp_path / "n.wav", 602.9)
    chunks = list(iter_chunks(tmp_path / "n.wav", plan))
    assert [(c.start_s, c.duration_s) for c in chunks] == [(0.0, 301.45), (301.45, 301.45)]
    assert plan.chunk_count(round(602.9 * SAMPLE_RATE)) == 2
    assert plan.bounds(round(598.5 * SAMPLE_RATE)) == [(0, round(598.5 * SAMPLE_RATE))]
