"""Decoding every accepted format to 16 kHz mono, and mapping bad input to its 4xx code."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from spark_diarizer.audio import check_content_type, decode_audio
from spark_diarizer.errors import ApiError


@pytest.mark.parametrize("fmt", ["wav", "flac", "mp3", "ogg", "m4a"])
def test_every_format_decodes_to_16k_mono(audio_files: dict[str, Path], fmt: str) -> None:
    audio = decode_audio(audio_files[fmt].read_bytes(), max_duration_s=60)
    assert audio.dtype == np.float32
    assert audio.ndim == 1
    assert abs(audio.size / 16000 - 2.0) < 0.1  # 2 s of 44.1 kHz stereo in, 16 kHz mono out
    spectrum = np.abs(np.fft.rfft(audio))
    assert abs(np.argmax(spectrum) * 16000 / audio.size - 220) < 5  # the tone survives resampling


@pytest.mark.parametrize(
    ("name", "status", "code"),
    [
        ("empty", 400, "empty_file"),
        ("truncated", 400, "invalid_audio"),
        ("text", 400, "invalid_audio"),
        ("png", 415, "unsupported_media_type"),
        ("aiff", 415, "unsupported_media_type"),
        ("video", 415, "unsupported_media_type"),
    ],
)
def test_bad_input_maps_to_client_error(
    audio_files: dict[str, Path], name: str, status: int, code: str
) -> None:
    with pytest.raises(ApiError) as caught:
        decode_audio(audio_files[name].read_bytes(), max_duration_s=60)
    assert (caught.value.status, caught.value.code) == (status, code)


def test_too_long_is_413(audio_files: dict[str, Path]) -> None:
    with pytest.raises(ApiError) as caught:
        decode_audio(audio_files["flac"].read_bytes(), max_duration_s=1.0)
    assert (caught.value.status, caught.value.code) == (413, "audio_too_long")


def test_random_bytes_are_invalid_audio() -> None:
    noise = np.random.default_rng(1).integers(0, 256, 4096, dtype=np.uint8).tobytes()
    with pytest.raises(ApiError) as caught:
        decode_audio(noise, max_duration_s=60)
    assert caught.value.status in (400, 415)


def test_content_type_check() -> None:
    check_content_type("audio/wav")
    check_content_type("application/octet-stream")
    check_content_type(None)
    with pytest.raises(ApiError) as caught:
        check_content_type("image/png")
    assert caught.value.status == 415
