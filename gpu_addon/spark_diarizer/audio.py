"""Decode any accepted upload to 16 kHz mono float32 with PyAV, mapping bad input to 4xx codes."""

from __future__ import annotations

import io

import av
import numpy as np

from .errors import ApiError

SAMPLE_RATE = 16000
# PyAV/FFmpeg demuxer names of the accepted containers: WAV, FLAC, MP3, OGG, M4A (mp4 family).
ACCEPTED_FORMATS = frozenset({"wav", "flac", "mp3", "ogg", "mov", "mp4", "m4a"})
# Part content types that can never be audio: refused before decoding.
REFUSED_CONTENT_PREFIXES = ("image/", "text/", "video/x-msvideo")


def check_content_type(content_type: str | None) -> None:
    """Refuse obviously wrong part types early (415); audio/* and octet-stream go on to decoding."""
    if content_type and content_type.lower().startswith(REFUSED_CONTENT_PREFIXES):
        raise ApiError(415, "unsupported_media_type", f"content type {content_type} is not audio")


def decode_audio(data: bytes, max_duration_s: float) -> np.ndarray:
    """Decode, downmix and resample to 16 kHz mono float32.

    Raises ApiError 400 (empty/invalid/truncated), 415 (not an accepted audio format) or
    413 (longer than max_duration_s; decoding stops as soon as the limit is passed).
    """
    if not data:
        raise ApiError(400, "empty_file", "the uploaded file is empty")
    try:
        container = av.open(io.BytesIO(data), mode="r")
    except (av.error.FFmpegError, ValueError, OSError) as err:
        raise ApiError(400, "invalid_audio", f"not a decodable audio file: {err}") from err
    with container:
        names = set(container.format.name.split(","))
        if not names & ACCEPTED_FORMATS:
            raise ApiError(
                415,
                "unsupported_media_type",
                f"container {container.format.name} is not WAV, FLAC, MP3, OGG or M4A",
            )
        if not container.streams.audio:
            raise ApiError(415, "unsupported_media_type", "the file has no audio stream")
        return _decode_stream(container, max_duration_s)


def _decode_stream(container: av.container.InputContainer, max_duration_s: float) -> np.ndarray:
    stream = container.streams.audio[0]
    resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
    limit = int(max_duration_s * SAMPLE_RATE)
    chunks: list[np.ndarray] = []
    total = 0
    try:
        for frame in container.decode(stream):
            for out in resampler.resample(frame):
                chunk = out.to_ndarray().reshape(-1)
                chunks.append(chunk)
                total += chunk.size
            if total > limit:
                raise ApiError(413, "audio_too_long", f"audio is longer than {max_duration_s:g} s")
        for out in resampler.resample(None):
            chunks.append(out.to_ndarray().reshape(-1))
    except (av.error.FFmpegError, ValueError) as err:
        if not chunks:
            raise ApiError(400, "invalid_audio", f"audio could not be decoded: {err}") from err
    audio = np.concatenate(chunks).astype(np.float32) if chunks else np.zeros(0, np.float32)
    if audio.size > limit:
        raise ApiError(413, "audio_too_long", f"audio is longer than {max_duration_s:g} s")
    if audio.size < SAMPLE_RATE // 10:
        raise ApiError(400, "invalid_audio", "the file holds less than 0.1 s of decodable audio")
    if not np.all(np.isfinite(audio)):
        raise ApiError(400, "invalid_audio", "decoded audio contains NaN or infinite samples")
    return audio
