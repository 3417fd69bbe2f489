"""The relay against fake add-on and STT servers: results, faults, retries, failover, limits."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import jsonschema
import pytest
from aiohttp import web

from relay_lib.client import RelayClient, RetryPolicy, parse_retry_after, service_url
from relay_lib.errors import ChunkFailedError
from relay_lib.pipeline import Progress, RelayOptions, build_result, process_chunks, run_relay
from relay_lib.result import RelayResult
from tests.relay.fakes import (
    RESULT_SCHEMA,
    FakeAddon,
    FakeStt,
    Servers,
    SourceIndex,
    Truth,
    addon_error,
    dead_url,
    voice_vectors,
    write_noise_wav,
)

SECONDS = 40.0
# Turns cross the 10 s chunk boundaries at 10, 20 and 30 s on purpose.
TRUTH: Truth = [
    (0.5, 6.0, "voice_0"),
    (6.5, 12.5, "voice_1"),
    (13.0, 19.0, "voice_2"),
    (19.5, 24.0, "voice_0"),
    (24.5, 31.0, "voice_1"),
    (31.5, 39.0, "voice_0"),
]


@dataclass
class Scene:
    path: Path
    addon: FakeAddon
    stt: FakeStt


@pytest.fixture
def scene(tmp_path: Path) -> Scene:
    source = write_noise_wav(tmp_path / "meeting.wav", SECONDS)
    index = SourceIndex(source)
    vectors = voice_vectors(["voice_0", "voice_1", "voice_2"])
    return Scene(tmp_path / "meeting.wav", FakeAddon(index, TRUTH, vectors), FakeStt(index, TRUTH))


class SleepRecorder:
    """Stands in for asyncio.sleep inside the client so backoff is observable and instant."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


async def relay(
    session: aiohttp.ClientSession,
    scene: Scene,
    addons: list[str],
    stt: str | None = None,
    *,
    sleep: SleepRecorder | None = None,
    policy: RetryPolicy | None = None,
    **kwargs: object,
) -> RelayResult:
    options = RelayOptions(
        addon_urls=addons, stt_url=stt, chunk_seconds=10.0, policy=policy or RetryPolicy(), **kwargs
    )  # type: ignore[arg-type]
    client = RelayClient(
        session, addons, stt, policy=options.policy, sleep=sleep or SleepRecorder()
    )
    outcomes, duration = await process_chunks(client, scene.path, options)
    return build_result(str(scene.path), outcomes, duration, options)


def assert_matches_truth(result: RelayResult) -> dict[str, str]:
    """Turns equal the ground truth up to a one-to-one renaming; returns voice -> label."""
    assert len(result.segments) == len(TRUTH)
    mapping: dict[str, str] = {}
    for turn, (start, end, voice) in zip(result.segments, TRUTH, strict=True):
        assert turn.start == pytest.approx(start, abs=1e-3)
        assert turn.end == pytest.approx(end, abs=1e-3)
        assert mapping.setdefault(voice, turn.speaker) == turn.speaker
    assert len(set(mapping.values())) == 3
    assert mapping == {"voice_0": "Speaker 1", "voice_1": "Speaker 2", "voice_2": "Speaker 3"}
    return mapping


async def test_diarize_and_transcribe(
    servers: Servers, session: aiohttp.ClientSession, scene: Scene
) -> None:
    addon = await servers.start(scene.addon.app())
    stt = await servers.start(scene.stt.app())
    result = await relay(session, scene, [addon], stt)
    mapping = assert_matches_truth(result)
    assert sorted(scene.addon.requests) == [0, 160000, 320000, 480000]
    assert result.duration_s == SECONDS and result.chunk_count == 4
    words = [w for u in result.utterances for w in u.words]
    assert len(words) == sum(int((e - s) / 0.5 + 0.2) for s, e, _ in TRUTH)
    assert all(w.speaker == mapping[w.text] for w in words)
    assert all(len({w.speaker for w in u.words}) == 1 for u in result.utterances)
    assert result.models == {
        "diarization": "fake_sortformer",
        "embedding": "titanet_large",
        "stt": "fake_parakeet",
    }
    talk = {s.label: s.talk_time_s for s in result.speakers}
    assert talk["Speaker 1"] == pytest.approx(5.5 + 4.5 + 7.5)
    jsonschema.validate(json.loads(result.to_json()), RESULT_SCHEMA)


async def test_overlapping_chunks_give_the_same_turns(
    servers: Servers, session: aiohttp.ClientSession, scene: Scene
) -> None:
    addon = await servers.start(scene.addon.app())
    stt = await servers.start(scene.stt.app())
    result = await relay(session, scene, [addon], stt, overlap_seconds=2.0)
    assert_matches_truth(result)
    assert sorted(scene.addon.requests) == [0, 128000, 256000, 384000, 512000]
    words = [w for u in result.utterances for w in u.words]
    starts = [w.start for w in words]
    assert len(starts) == len(set(starts))  # nothing transcribed twice


async def test_run_relay_reports_progress(servers: Servers, scene: Scene) -> None:
    addon = await servers.start(scene.addon.app())
    seen: list[Progress] = []
    options = RelayOptions(addon_urls=[addon], chunk_seconds=10.0)
    result = await run_relay(scene.path, options, progress=seen.append)
    assert_matches_truth(result)
    assert [p.chunks_done for p in seen] == [1, 2, 3, 4]
    assert all(p.chunks_total == 4 and p.audio_total_s == SECONDS for p in seen)
    assert seen[-1].audio_done_s == SECONDS
    assert result.utterances == ()


async def test_503_with_retry_after_then_success(
    servers: Servers, session: aiohttp.ClientSession, scene: Scene
) -> None:
    scene.addon.fault = lambda n, _start: (
        addon_error(503, "service_unavailable", "reloading", retry_after="7") if n == 0 else None
    )
    addon = await servers.start(scene.addon.app())
    sleep = SleepRecorder()
    result = await relay(session, scene, [addon], sleep=sleep, concurrency=1)
    assert_matches_truth(result)
    assert sleep.delays == [7.0]  # waited what the server asked, not the backoff
    assert scene.addon.requests[:2] == [0, 0]


async def test_429_retry_after_is_capped(
    servers: Servers, session: aiohttp.ClientSession, scene: Scene
) -> None:
    scene.addon.fault = lambda n, _s: (
        addon_error(429, "queue_full", "busy", retry_after="9999") if n < 2 else None
    )
    addon = await servers.start(scene.addon.app())
    sleep = SleepRecorder()
    await relay(
        session,
        scene,
        [addon],
        sleep=sleep,
        concurrency=1,
        policy=RetryPolicy(max_retry_after_s=42.0),
    )
    assert sleep.delays == [42.0, 42.0]


async def test_5xx_without_retry_after_backs_off(
    servers: Servers, session: aiohttp.ClientSession, scene: Scene
) -> None:
    scene.addon.fault = lambda n, _s: addon_error(500, "internal_error", "x") if n < 3 else None
    addon = await servers.start(scene.addon.app())
    sleep = SleepRecorder()
    await relay(
        session, scene, [addon], sleep=sleep, concurrency=1, policy=RetryPolicy(backoff_s=0.5)
    )
    assert sleep.delays == [0.5, 1.0, 2.0]


async def test_one_of_two_addons_down(
    servers: Servers, session: aiohttp.ClientSession, scene: Scene
) -> None:
    live = await servers.start(scene.addon.app())
    sleep = SleepRecorder()
    result = await relay(session, scene, [dead_url(), live], sleep=sleep)
    assert_matches_truth(result)
    assert sorted(scene.addon.requests) == [0, 160000, 320000, 480000]  # each chunk once
    assert sleep.delays == []  # failover is immediate, no backoff


async def test_chunks_are_spread_over_addons(
    servers: Servers, session: aiohttp.ClientSession, scene: Scene
) -> None:
    second = FakeAddon(scene.addon.index, TRUTH, scene.addon.vectors)
    urls = [await servers.start(scene.addon.app()), await servers.start(second.app())]
    result = await relay(session, scene, urls)
    assert_matches_truth(result)
    assert len(scene.addon.requests) == 2 and len(second.requests) == 2


async def test_chunk_that_fails_for_good_is_named(
    servers: Servers, session: aiohttp.ClientSession, scene: Scene
) -> None:
    scene.addon.fault = lambda _n, start: (
        addon_error(500, "inference_failed", "CUDA wedged") if start == 320000 else None
    )
    addon = await servers.start(scene.addon.app())
    sleep = SleepRecorder()
    with pytest.raises(ChunkFailedError) as info:
        await relay(session, scene, [addon], sleep=sleep)
    err = info.value
    assert (err.index, err.start_s, err.end_s) == (2, 20.0, 30.0)
    assert str(err) == (
        f"chunk 2 (0:00:20.000-0:00:30.000) failed at the add-on {addon}: "
        "HTTP 500 inference_failed: CUDA wedged (after 4 attempts)"
    )
    assert scene.addon.requests.count(320000) == 4


async def test_client_error_is_not_retried(
    servers: Servers, session: aiohttp.ClientSession, scene: Scene
) -> None:
    scene.addon.fault = lambda _n, _s: addon_error(400, "invalid_audio", "bad header")
    addon = await servers.start(scene.addon.app())
    with pytest.raises(
        ChunkFailedError, match=r"HTTP 400 invalid_audio: bad header \(after 1 attempt\)"
    ):
        await relay(session, scene, [addon], concurrency=1)
    assert len(scene.addon.requests) == 1


async def test_contract_breaking_answer_fails_the_chunk(
    servers: Servers, session: aiohttp.ClientSession, scene: Scene
) -> None:
    scene.addon.fault = lambda _n, _s: web.json_response({"segments": []})
    addon = await servers.start(scene.addon.app())
    with pytest.raises(ChunkFailedError, match="invalid response: response lacks duration"):
        await relay(session, scene, [addon], concurrency=1)


async def test_zero_fingerprint_from_the_addon_is_reported(
    servers: Servers, session: aiohttp.ClientSession, scene: Scene
) -> None:
    from relay_lib.errors import FingerprintError

    original = scene.addon.answer

    def zeroed(chunk, start):  # type: ignore[no-untyped-def]
        body = original(chunk, start)
        if start == 160000:
            body["fingerprints"]["Speaker_0"] = [0.0] * 192
        return body

    scene.addon.answer = zeroed  # type: ignore[method-assign]
    addon = await servers.start(scene.addon.app())
    with pytest.raises(FingerprintError, match="chunk 1 Speaker_0: fingerprint is a zero vector"):
        await relay(session, scene, [addon])


async def test_timeout_is_retried_then_reported(
    servers: Servers, session: aiohttp.ClientSession, scene: Scene
) -> None:
    scene.addon.latency_s = 0.6
    addon = await servers.start(scene.addon.app())
    with pytest.raises(
        ChunkFailedError, match=r"chunk 0 .*no answer within 0.2 s \(after 2 attempts\)"
    ):
        await relay(
            session, scene, [addon], concurrency=1, policy=RetryPolicy(attempts=2, timeout_s=0.2)
        )


async def test_concurrency_limit(
    servers: Servers, session: aiohttp.ClientSession, scene: Scene
) -> None:
    scene.addon.latency_s = 0.2
    addon = await servers.start(scene.addon.app())
    await relay(session, scene, [addon], concurrency=3)
    assert scene.addon.max_in_flight == 3
    scene.addon.max_in_flight = 0
    await relay(session, scene, [addon], concurrency=1)
    assert scene.addon.max_in_flight == 1


async def test_stt_plain_text_fallback(
    servers: Servers, session: aiohttp.ClientSession, scene: Scene
) -> None:
    scene.stt.verbose = False
    addon = await servers.start(scene.addon.app())
    stt = await servers.start(scene.stt.app())
    result = await relay(session, scene, [addon], stt, concurrency=1)
    assert scene.stt.requests == ["verbose_json", "text", "text", "text", "text"]
    assert len(result.utterances) == 4
    assert all(u.words == () and u.text for u in result.utterances)
    assert result.utterances[0].text.startswith("voice_0 voice_0")
    assert result.utterances[0].speaker == "Speaker 1"
    jsonschema.validate(json.loads(result.to_json()), RESULT_SCHEMA)


async def test_stt_down_fails_the_chunk(
    servers: Servers, session: aiohttp.ClientSession, scene: Scene
) -> None:
    addon = await servers.start(scene.addon.app())
    with pytest.raises(ChunkFailedError, match=r"failed at the STT .*cannot connect"):
        await relay(session, scene, [addon], dead_url(), policy=RetryPolicy(attempts=2))


def test_retry_after_parsing() -> None:
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == 10.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412490.0) == 0.0


def test_service_url_join() -> None:
    assert service_url("http://h:8000", "/v1/audio/x") == "http://h:8000/v1/audio/x"
    assert service_url("http://h:8000/", "/v1/audio/x") == "http://h:8000/v1/audio/x"
    assert service_url("http://h:8000/v1", "/v1/audio/x") == "http://h:8000/v1/audio/x"
    assert service_url("http://h/api/addon", "/v1/audio/x") == "http://h/api/addon/v1/audio/x"


def test_url_pool_prefers_idle_then_healthy() -> None:
    from relay_lib.client import UrlPool

    pool = UrlPool(["http://a", "http://b/", "http://a"], down_for_s=60.0)
    assert pool.urls == ["http://a", "http://b"]
    assert pool.pick(0, 0) == "http://a"
    with pool.using("http://a"):
        assert pool.pick(0, 0) == "http://b"  # a is busy
        assert pool.pick(0, 1) == "http://b"  # a retry rotates on
    pool.mark_down("http://b")
    assert pool.pick(1, 0) == "http://a"
    assert not pool.has_other_healthy("http://a")
    pool.mark_up("http://b")
    assert pool.has_other_healthy("http://a")
