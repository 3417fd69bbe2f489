"""The nemo backend at the published size: Sortformer v1 (123 M) and TitaNet-L (25.3 M), on CPU.

Random weights, real architecture (evalkit.nemo_models.FULL, written from NeMo's public configs),
built once per config into build/nemo_models/ and loaded through the production loader. The
service runs with an API token, so the relay's token path is proven against the real add-on too.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest
import soundfile as sf

from evalkit.nemo_models import FULL, PUBLISHED_PARAMS, cached_models, count_parameters
from spark_diarizer.schema import validate_error, validate_response
from tests.addon.conftest import REPO, Conversation, Service, get_json, start_service

TOKEN = "full-size-test-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
TIMEOUT = aiohttp.ClientTimeout(total=1500)
CLIP_S = 20

# generous: full-size models on a shared 2-core machine
pytestmark = [pytest.mark.slow, pytest.mark.timeout(3600)]


@pytest.fixture(scope="module")
def full_files() -> tuple[Path, Path]:
    return cached_models(FULL)


def test_parameter_counts_match_the_published_models(full_files: tuple[Path, Path]) -> None:
    """Within 5 % of the model cards, through the same loader the service uses."""
    from spark_diarizer.backends.nemo import load_sortformer, load_titanet

    sortformer_path, titanet_path = full_files
    sortformer = load_sortformer(str(sortformer_path), "cpu")
    sortformer_params = count_parameters(sortformer)
    assert sortformer_params == pytest.approx(PUBLISHED_PARAMS["sortformer"], rel=0.05)
    assert (sortformer.cfg.encoder.n_layers, sortformer.cfg.encoder.d_model) == (18, 512)
    assert sortformer.cfg.transformer_encoder.num_layers == 18
    assert sortformer.cfg.preprocessor.features == 80
    del sortformer
    titanet = load_titanet(str(titanet_path), "cpu")
    assert count_parameters(titanet) == pytest.approx(PUBLISHED_PARAMS["titanet"], rel=0.05)
    assert titanet.cfg.decoder.emb_sizes == 192
    # the .nemo files weigh what the published ones do (493 MB and 102 MB)
    assert sortformer_path.stat().st_size / 1e6 == pytest.approx(493, rel=0.05)
    assert titanet_path.stat().st_size / 1e6 == pytest.approx(102, rel=0.05)


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory, conversation: Conversation) -> Path:
    audio, rate = sf.read(conversation.wav, dtype="float32", frames=16000 * CLIP_S)
    path = tmp_path_factory.mktemp("full_clip") / "clip.wav"
    sf.write(path, audio, rate)
    return path


@pytest.fixture(scope="module")
def full_service(
    tmp_path_factory: pytest.TempPathFactory, full_files: tuple[Path, Path]
) -> Iterator[Service]:
    sortformer, titanet = full_files
    service = start_service(
        tmp_path_factory.mktemp("full_service"),
        "--backend", "nemo", "--device", "cpu", "--inference-timeout-s", "1200",
        env={
            "SPARK_DIARIZER_SORTFORMER_MODEL_PATH": str(sortformer),
            "SPARK_DIARIZER_TITANET_MODEL_PATH": str(titanet),
            "SPARK_DIARIZER_API_TOKEN": TOKEN,
            "SPARK_DIARIZER_TEST_FAULTS": "1",
        },
    )  # fmt: skip
    try:
        service.wait_ready()
        yield service
    finally:
        service.stop()


async def _post(session: aiohttp.ClientSession, service: Service, clip: Path) -> tuple[int, dict]:
    form = aiohttp.FormData()
    form.add_field("file", clip.read_bytes(), filename="clip.wav", content_type="audio/wav")
    async with session.post(
        f"{service.base_url}/v1/audio/diarize-chunk", data=form, headers=AUTH
    ) as response:
        return response.status, await response.json()


async def test_full_size_diarize_over_http(full_service: Service, clip: Path) -> None:
    status, health = get_json(full_service.base_url + "/health")  # open without the token
    assert (status, health["backend"], health["device"]) == (200, "nemo", "cpu"), health
    async with aiohttp.ClientSession(timeout=TIMEOUT) as session:
        async with session.get(f"{full_service.base_url}/health?deep=1", headers=AUTH) as resp:
            assert resp.status == 200
            assert (await resp.json())["deep"]["probe_duration_s"] == 3.0
        status, body = await _post(session, full_service, clip)
    assert status == 200, body
    validate_response(body)
    assert body["duration"] == pytest.approx(CLIP_S, abs=0.01)
    assert body["models"] == {"diarization": "diar_sortformer", "embedding": "titanet"}
    assert set(body["speakers_detected"]) <= {f"Speaker_{k}" for k in range(4)}
    assert all(len(vector) == 192 for vector in body["fingerprints"].values())


async def test_token_guards_every_endpoint_but_health(full_service: Service, clip: Path) -> None:
    routes = [
        ("GET", "/metrics"),
        ("GET", "/v1/models"),
        ("GET", "/health?deep=1"),
        ("POST", "/v1/audio/diarize-chunk"),
        ("POST", "/admin/fault"),
        ("GET", "/no/route"),
    ]
    wrong = [{}, {"Authorization": "Bearer wrong-token-0123456789"}, {"Authorization": TOKEN},
             {"Authorization": f"Basic {TOKEN}"},
             {"Authorization": f"Bearer {TOKEN}x"}]  # fmt: skip
    async with aiohttp.ClientSession(timeout=TIMEOUT) as session:
        for (method, path), headers in itertools.product(routes, wrong):
            url = full_service.base_url + path
            async with session.request(method, url, headers=headers) as response:
                assert response.status == 401, (method, path, headers)
                assert response.headers["WWW-Authenticate"].startswith("Bearer")
                body = await response.json()
            validate_error(body)
            assert body["error"]["code"] == "unauthorized"
        async with session.get(f"{full_service.base_url}/v1/models", headers=AUTH) as response:
            assert response.status == 200
        async with session.get(
            f"{full_service.base_url}/metrics", headers={"Authorization": f"bearer {TOKEN}"}
        ) as response:
            assert response.status == 200  # the scheme is case-insensitive (RFC 9110)


async def test_relay_cli_passes_the_token(
    full_service: Service, clip: Path, tmp_path: Path
) -> None:
    """The relay CLI takes the token from its environment variable and from --addon-token."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    argv = [sys.executable, "-m", "relay_lib", str(clip), "--addon", full_service.base_url,
            "--format", "json", "--no-progress", "--retries", "1", "--timeout", "1200"]  # fmt: skip

    def run(extra: list[str], token_env: str | None) -> subprocess.CompletedProcess[str]:
        run_env = {k: v for k, v in env.items() if k != "SPARK_DIARIZER_API_TOKEN"}
        if token_env is not None:
            run_env["SPARK_DIARIZER_API_TOKEN"] = token_env
        return subprocess.run(
            [*argv, *extra], env=run_env, cwd=tmp_path, capture_output=True, text=True,
            timeout=1500, check=False,
        )  # fmt: skip

    refused = await asyncio.to_thread(run, [], None)
    assert refused.returncode == 5, refused.stderr  # a chunk failed for good: 401 is final
    assert "401" in refused.stderr
    by_env = await asyncio.to_thread(run, [], TOKEN)
    assert by_env.returncode == 0, by_env.stderr
    result = json.loads(by_env.stdout)
    assert result["duration_s"] == pytest.approx(CLIP_S, abs=0.01)
    assert result["models"]["diarization"] == "diar_sortformer"
    by_flag = await asyncio.to_thread(run, ["--addon-token", TOKEN], "wrong-token-0123456789")
    assert by_flag.returncode == 0, by_flag.stderr  # the flag wins over the variable


async def test_full_size_wedge_recovery(full_service: Service, clip: Path) -> None:
    """A CUDA-style error raised half-way through the Fast-Conformer: 503, restart, healthy."""
    async with aiohttp.ClientSession(timeout=TIMEOUT) as session:
        async with session.post(
            f"{full_service.base_url}/admin/fault", json={"kind": "error_mid"}, headers=AUTH
        ) as response:
            assert response.status == 200
        form = aiohttp.FormData()
        form.add_field("file", clip.read_bytes(), filename="clip.wav", content_type="audio/wav")
        async with session.post(
            f"{full_service.base_url}/v1/audio/diarize-chunk", data=form, headers=AUTH
        ) as response:
            body = await response.json()
            assert (response.status, response.headers.get("Retry-After")) == (503, "60"), body
        validate_error(body)
        assert "mid-inference" in body["error"]["message"]
        status, health = get_json(full_service.base_url + "/health")
        assert (status, health["state"]) == (503, "wedged")
        await asyncio.to_thread(full_service.wait_ready)
        status, body = await _post(session, full_service, clip)
        assert status == 200, body
        validate_response(body)
        async with session.get(f"{full_service.base_url}/metrics", headers=AUTH) as response:
            text = await response.text()
    assert "spark_diarizer_worker_restarts_total 1" in text
    assert 'spark_diarizer_failures_total{reason="cuda_error"} 1' in text
    assert "cuda_error" in str(health["last_error"])
