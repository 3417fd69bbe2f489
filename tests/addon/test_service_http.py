"""The real service process (cpu backend) over HTTP: contract, every 4xx, health, metrics, 429."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
import pytest

from evalkit.der import body_segments, der
from spark_diarizer.schema import validate_error, validate_response
from tests.addon.conftest import Conversation, Service

TIMEOUT = aiohttp.ClientTimeout(total=900)

# generous: a shared 2-core machine can be many times slower than an idle one
pytestmark = pytest.mark.timeout(1800)


async def post_file(
    service: Service,
    payload: bytes | None,
    filename: str = "clip.wav",
    content_type: str = "audio/wav",
    fields: dict[str, str] | None = None,
) -> tuple[int, dict, dict[str, str]]:
    form = aiohttp.FormData(default_to_multipart=True)
    if payload is not None:
        form.add_field("file", payload, filename=filename, content_type=content_type)
    for name, value in (fields or {}).items():
        form.add_field(name, value)
    async with (
        aiohttp.ClientSession(timeout=TIMEOUT) as session,
        session.post(f"{service.base_url}/v1/audio/diarize-chunk", data=form) as response,
    ):
        return response.status, await response.json(), dict(response.headers)


async def test_conversation_over_http_matches_contract(
    cpu_service: Service, conversation: Conversation
) -> None:
    status, body, _ = await post_file(cpu_service, conversation.wav.read_bytes())
    assert status == 200, body
    validate_response(body)
    assert body["speakers_detected"] == ["Speaker_0", "Speaker_1", "Speaker_2"]
    assert body["models"]["embedding"].startswith("resemblyzer")
    assert abs(body["duration"] - conversation.truth[-1][1]) < 1.0
    assert der(conversation.truth, body_segments(body)) < 0.10


@pytest.mark.parametrize("fmt", ["flac", "mp3", "ogg", "m4a"])
async def test_every_accepted_format(
    cpu_service: Service, audio_files: dict[str, Path], fmt: str
) -> None:
    status, body, _ = await post_file(
        cpu_service, audio_files[fmt].read_bytes(), f"tone.{fmt}", "application/octet-stream"
    )
    assert status == 200, body
    validate_response(body)
    assert abs(body["duration"] - 2.0) < 0.1


@pytest.mark.parametrize(
    "case",
    [
        ("empty", "audio/wav", 400, "empty_file"),
        ("truncated", "audio/wav", 400, "invalid_audio"),
        ("text", "application/octet-stream", 400, "invalid_audio"),
        ("text", "text/plain", 415, "unsupported_media_type"),
        ("png", "application/octet-stream", 415, "unsupported_media_type"),
        ("aiff", "audio/aiff", 415, "unsupported_media_type"),
        ("video", "video/mp4", 415, "unsupported_media_type"),
    ],
)
async def test_bad_uploads_are_client_errors(
    cpu_service: Service, audio_files: dict[str, Path], case: tuple[str, str, int, str]
) -> None:
    name, content_type, status, code = case
    got, body, _ = await post_file(cpu_service, audio_files[name].read_bytes(), name, content_type)
    assert (got, body["error"]["code"]) == (status, code), body
    validate_error(body)


@pytest.mark.parametrize("value", ["0", "-1", "abc", "2.5", "99"])
async def test_bad_max_speakers_is_400(
    cpu_service: Service, audio_files: dict[str, Path], value: str
) -> None:
    status, body, _ = await post_file(
        cpu_service, audio_files["wav"].read_bytes(), fields={"max_speakers": value}
    )
    assert (status, body["error"]["code"]) == (400, "invalid_field")
    validate_error(body)


async def test_missing_file_and_non_multipart(cpu_service: Service) -> None:
    status, body, _ = await post_file(cpu_service, None, fields={"max_speakers": "2"})
    assert (status, body["error"]["code"]) == (400, "missing_file")
    async with (
        aiohttp.ClientSession(timeout=TIMEOUT) as session,
        session.post(f"{cpu_service.base_url}/v1/audio/diarize-chunk", json={"a": 1}) as response,
    ):
        assert response.status == 415
        validate_error(await response.json())


async def test_too_large_upload_is_413(cpu_service: Service) -> None:
    status, body, _ = await post_file(cpu_service, b"\0" * (7 * 1024 * 1024))  # limit: 6 MiB
    assert (status, body["error"]["code"]) == (413, "payload_too_large")


async def test_too_long_audio_is_413(cpu_service: Service, tmp_path: Path) -> None:
    import numpy as np
    import soundfile as sf

    path = tmp_path / "long.flac"  # 250 s of quiet noise: small as FLAC, over the 240 s limit
    sf.write(path, np.random.default_rng(0).normal(0, 1e-4, 16000 * 250), 16000, subtype="PCM_16")
    status, body, _ = await post_file(cpu_service, path.read_bytes(), "long.flac", "audio/flac")
    assert (status, body["error"]["code"]) == (413, "audio_too_long")


async def test_unknown_route_is_json_404(cpu_service: Service) -> None:
    async with (
        aiohttp.ClientSession(timeout=TIMEOUT) as session,
        session.get(f"{cpu_service.base_url}/v1/nothing") as response,
    ):
        assert response.status == 404
        body = await response.json()
    assert body["error"]["code"] == "not_found"


async def test_health_models_and_metrics(cpu_service: Service) -> None:
    async with aiohttp.ClientSession(timeout=TIMEOUT) as session:
        async with session.get(f"{cpu_service.base_url}/health") as response:
            cheap = await response.json()
            assert response.status == 200
        assert cheap["status"] == "ok"
        assert cheap["backend"] == "cpu"
        async with session.get(f"{cpu_service.base_url}/health?deep=1") as response:
            deep = await response.json()
            assert response.status == 200
        assert deep["loaded"] is True
        assert deep["device"] == "cpu"
        assert deep["deep"]["probe_duration_s"] == 3.0
        assert deep["models"]["embedding"].startswith("resemblyzer")
        async with session.get(f"{cpu_service.base_url}/v1/models") as response:
            models = await response.json()
        assert {m["task"] for m in models["data"]} == {"diarization", "embedding"}
        async with session.get(f"{cpu_service.base_url}/metrics") as response:
            text = await response.text()
            assert response.content_type == "text/plain"
    assert 'spark_diarizer_requests_total{endpoint="/health",status="200"}' in text
    assert "spark_diarizer_worker_restarts_total 0" in text
    assert "spark_diarizer_audio_seconds_total" in text


async def _wait_for_queue_depth(service: Service, depth: int) -> None:
    async with aiohttp.ClientSession(timeout=TIMEOUT) as session:
        for _ in range(600):
            async with session.get(f"{service.base_url}/metrics") as response:
                if f"spark_diarizer_queue_depth {depth}\n" in await response.text():
                    return
            await asyncio.sleep(0.1)
    raise AssertionError(f"queue never reached depth {depth}")


async def test_full_queue_answers_429_with_retry_after(
    cpu_service: Service, audio_files: dict[str, Path]
) -> None:
    """max_queue is 2: a slow request plus a waiting one fill it; the third gets 429."""
    clip = audio_files["wav"].read_bytes()
    async with (
        aiohttp.ClientSession(timeout=TIMEOUT) as session,
        session.post(
            f"{cpu_service.base_url}/admin/fault", json={"kind": "delay", "seconds": 5}
        ) as response,
    ):
        assert response.status == 200
    first = asyncio.create_task(post_file(cpu_service, clip))
    second = asyncio.create_task(post_file(cpu_service, clip))
    await _wait_for_queue_depth(cpu_service, 2)
    status, body, headers = await post_file(cpu_service, clip)
    assert (status, body["error"]["code"]) == (429, "queue_full")
    assert int(headers["Retry-After"]) > 0
    assert (await first)[0] == 200
    assert (await second)[0] == 200


BOUNDARY = "spark-boundary-7c1e"
PART_HEADERS = {
    "nul_in_filename": b'Content-Disposition: form-data; name="file"; filename="a\x00b.wav"',
    "line_without_colon": b'Content-Disposition: form-data; name="file"\r\nNoColonHere',
    "del_byte": b'Content-Disposition: form-data; name="file"\r\nX-Note: a\x7fb',
    "space_in_name": b'Content-Disposition: form-data; name="file"\r\nBad Name: x',
    "nine_kb_line": b'Content-Disposition: form-data; name="file"\r\nX-Long: ' + b"a" * 9216,
}


@pytest.mark.parametrize("case", sorted(PART_HEADERS))
async def test_malformed_part_headers_are_400(
    cpu_service: Service, audio_files: dict[str, Path], case: str
) -> None:
    """aiohttp's BadHttpMessage family from a part's headers is the client's error, not a 500."""
    body = (
        f"--{BOUNDARY}\r\n".encode() + PART_HEADERS[case] + b"\r\n\r\n"
        + audio_files["wav"].read_bytes() + f"\r\n--{BOUNDARY}--\r\n".encode()
    )  # fmt: skip
    headers = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
    async with aiohttp.ClientSession(timeout=TIMEOUT) as session:
        async with session.post(
            f"{cpu_service.base_url}/v1/audio/diarize-chunk", data=body, headers=headers
        ) as response:
            assert response.status == 400, await response.text()
            answer = await response.json()
        validate_error(answer)
        assert answer["error"]["code"] == "invalid_request"
        async with session.get(f"{cpu_service.base_url}/health") as response:
            assert response.status == 200  # nothing else was hurt


@pytest.mark.parametrize("value", ["\u0663", "\uff13", "+3", "1_0", "3\u00a0", "٣"])
async def test_max_speakers_takes_only_ascii_digits(
    cpu_service: Service, audio_files: dict[str, Path], value: str
) -> None:
    """int() would accept an Arabic-Indic or full-width digit, a sign and an underscore."""
    status, body, _ = await post_file(
        cpu_service, audio_files["wav"].read_bytes(), fields={"max_speakers": value}
    )
    assert (status, body["error"]["code"]) == (400, "invalid_field"), body
    validate_error(body)


async def test_max_speakers_with_ascii_digits_is_accepted(
    cpu_service: Service, audio_files: dict[str, Path]
) -> None:
    status, body, _ = await post_file(
        cpu_service, audio_files["wav"].read_bytes(), fields={"max_speakers": " 2 "}
    )
    assert status == 200, body
