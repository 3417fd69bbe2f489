"""The nemo backend through the production loader, on tiny random-weight Sortformer and TitaNet.

Random weights say nothing about speakers: these tests cover loading (including the older v1
config layout), shapes, slot-to-label mapping and the response contract, in-process and over HTTP.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from evalkit.nemo_models import TINY, build_models
from spark_diarizer.backends.base import LocalDiarization, to_response
from spark_diarizer.backends.factory import resolve_backend
from spark_diarizer.config import Settings
from spark_diarizer.schema import validate_response
from tests.addon.conftest import Conversation, Service, get_json, start_service

# generous: a shared 2-core machine can be many times slower than an idle one
pytestmark = pytest.mark.timeout(1800)


@pytest.fixture(scope="module")
def nemo_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    out = tmp_path_factory.mktemp("nemo_models")
    sortformer, titanet = build_models(out, TINY)
    v1_sortformer, _ = build_models(out, TINY, v1_layout=True)
    return sortformer, titanet, v1_sortformer


@pytest.fixture(scope="module")
def backend(nemo_files: tuple[Path, Path, Path]):
    from spark_diarizer.backends.nemo import NemoBackend

    sortformer, titanet, _ = nemo_files
    return NemoBackend(str(sortformer), str(titanet), device="cpu")


def test_auto_backend_is_cpu_without_cuda(nemo_files: tuple[Path, Path, Path]) -> None:
    sortformer, titanet, _ = nemo_files
    settings = Settings(sortformer_model_path=str(sortformer), titanet_model_path=str(titanet))
    assert resolve_backend(settings) == "cpu"  # this machine has model files but no CUDA
    assert resolve_backend(Settings(backend="nemo")) == "nemo"


def test_v1_layout_is_patched_on_load(nemo_files: tuple[Path, Path, Path]) -> None:
    from nemo.collections.asr.models import SortformerEncLabelModel

    from spark_diarizer.backends.nemo import load_sortformer

    _, _, v1_sortformer = nemo_files
    raw = SortformerEncLabelModel.restore_from(str(v1_sortformer), return_config=True)
    assert "model_defaults" not in raw  # really the old layout
    model = load_sortformer(str(v1_sortformer), "cpu")
    assert model.cfg.model_defaults.tf_d_model == TINY["tf_hidden"]


def test_activity_shape_is_80ms_frames_by_4_slots(backend) -> None:
    audio = np.random.default_rng(0).normal(0, 0.1, 16000 * 4).astype(np.float32)
    probs = backend.activity(audio)
    assert backend.frame_s == pytest.approx(0.08)
    assert probs.shape[1] == 4
    assert abs(probs.shape[0] - 4 / 0.08) <= 2
    assert np.all((probs >= 0) & (probs <= 1))


def test_diarize_response_matches_contract(backend, conversation: Conversation) -> None:
    audio, _ = sf.read(conversation.wav, dtype="float32", frames=16000 * 20)
    result = backend.diarize(audio, max_speakers=None)
    body = to_response(
        result, audio.size / 16000, backend.diarization_model, backend.embedding_model
    )
    validate_response(body)
    assert body["models"] == {"diarization": "diar_sortformer", "embedding": "titanet"}
    assert set(body["speakers_detected"]) <= {f"Speaker_{k}" for k in range(4)}
    assert all(len(v) == 192 for v in body["fingerprints"].values())
    assert set(body["fingerprints"]) <= set(body["speakers_detected"])
    capped = backend.diarize(audio, max_speakers=1)
    assert len({slot for *_, slot in capped.segments}) <= 1


def test_fingerprints_use_only_non_overlapped_speech(backend) -> None:
    """Slot 0 alone for 2 s gets a fingerprint; slot 1 only ever overlaps, so it gets none."""
    frames = 50
    active = np.zeros((frames, 4), dtype=bool)
    active[:25, 0] = True
    active[10:20, 1] = True
    audio = np.random.default_rng(1).normal(0, 0.1, 16000 * 4).astype(np.float32)
    prints = backend._fingerprints(audio, active)
    assert set(prints) == {0}
    assert prints[0].shape == (192,)
    assert np.isclose(np.linalg.norm(prints[0]), 1.0, atol=1e-5)
    body = to_response(
        LocalDiarization(segments=[(0.0, 2.0, 0), (0.8, 1.6, 1)], fingerprints=prints),
        4.0, "s", "t",
    )  # fmt: skip
    assert list(body["fingerprints"]) == ["Speaker_0"]


@pytest.fixture(scope="module")
def nemo_service(
    tmp_path_factory: pytest.TempPathFactory, nemo_files: tuple[Path, Path, Path]
) -> Iterator[Service]:
    _, titanet, v1_sortformer = nemo_files
    service = start_service(
        tmp_path_factory.mktemp("nemo_service"), "--backend", "nemo", "--device", "cpu",
        env={
            "SPARK_DIARIZER_SORTFORMER_MODEL_PATH": str(v1_sortformer),
            "SPARK_DIARIZER_TITANET_MODEL_PATH": str(titanet),
        },
    )  # fmt: skip
    try:
        service.wait_ready()
        yield service
    finally:
        service.stop()


async def test_nemo_service_over_http(nemo_service: Service, audio_files: dict[str, Path]) -> None:
    import aiohttp

    status, health = get_json(nemo_service.base_url + "/health?deep=1")
    assert status == 200, health
    assert (health["backend"], health["device"]) == ("nemo", "cpu")
    assert health["models"] == {"diarization": "diar_sortformer_v1layout", "embedding": "titanet"}
    form = aiohttp.FormData()
    form.add_field("file", audio_files["ogg"].read_bytes(), filename="a.ogg")
    async with (
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=300)) as session,
        session.post(f"{nemo_service.base_url}/v1/audio/diarize-chunk", data=form) as response,
    ):
        assert response.status == 200
        body = await response.json()
    validate_response(body)
    assert body["models"]["embedding"] == "titanet"
