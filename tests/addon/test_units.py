"""Unit tests of the small pure pieces: timeline helpers, response building, config, metrics."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from evalkit.distances import auc, eer
from spark_diarizer.backends.base import LocalDiarization, to_response
from spark_diarizer.backends.timeline import drop_short_runs, fill_short_gaps, runs
from spark_diarizer.config import Settings, load_settings
from spark_diarizer.metrics import Metrics
from spark_diarizer.schema import validate_error, validate_response
from spark_diarizer.worker import classify


def test_runs_and_gap_filling() -> None:
    labels = np.array([-1, 0, 0, -1, -1, 0, 1, 1, -1, 1])
    assert runs(labels, 0.5) == [(0.5, 1.5, 0), (2.5, 3.0, 0), (3.0, 4.0, 1), (4.5, 5.0, 1)]
    filled = fill_short_gaps(labels, max_gap=2)
    assert filled.tolist() == [-1, 0, 0, 0, 0, 0, 1, 1, 1, 1]
    assert fill_short_gaps(labels, max_gap=1).tolist() == [-1, 0, 0, -1, -1, 0, 1, 1, 1, 1]


def test_short_runs_go_to_the_longer_neighbour() -> None:
    labels = np.array([0, 0, 0, 1, 2, 2, -1, 3, -1])
    out = drop_short_runs(labels, min_len=2)
    assert out.tolist() == [0, 0, 0, 0, 2, 2, -1, 3, -1]  # an isolated short run has no neighbour


def test_response_relabels_by_first_appearance_and_matches_schema() -> None:
    result = LocalDiarization(
        segments=[(5.0, 6.0, 0), (0.5, 2.0, 3), (2.0, 4.0, 0), (7.0, 7.0, 2)],
        fingerprints={0: np.ones(192), 3: np.arange(192, dtype=float), 2: np.zeros(192)},
    )
    body = to_response(result, 8.0, "diar_sortformer_4spk-v1", "titanet-l")
    validate_response(body)
    assert [s["speaker"] for s in body["segments"]] == ["Speaker_0", "Speaker_1", "Speaker_1"]
    assert body["speakers_detected"] == ["Speaker_0", "Speaker_1"]
    assert set(body["fingerprints"]) == {"Speaker_0", "Speaker_1"}
    assert np.isclose(np.linalg.norm(body["fingerprints"]["Speaker_1"]), 1.0, atol=1e-4)
    assert body["models"] == {"diarization": "diar_sortformer_4spk-v1", "embedding": "titanet-l"}


def test_error_shape_validates() -> None:
    validate_error({"error": {"code": "queue_full", "message": "busy"}})
    with pytest.raises(Exception, match="is not one of"):
        validate_error({"error": {"code": "teapot", "message": "x"}})


def test_settings_precedence(tmp_path: Path) -> None:
    options = tmp_path / "options.json"
    options.write_text(json.dumps({"backend": "nemo", "max_queue": 7, "test_faults": True}))
    env = {
        "SPARK_DIARIZER_OPTIONS": str(options),
        "SPARK_DIARIZER_MAX_QUEUE": "9",
        "SPARK_DIARIZER_LOG_LEVEL": "debug",
    }
    settings = load_settings(["--port", "8099"], env)
    assert (settings.backend, settings.max_queue, settings.port) == ("nemo", 9, 8099)
    assert settings.log_level == "debug"
    assert settings.test_faults is False  # options.json can never enable the fault hook
    enabled = load_settings([], {**env, "SPARK_DIARIZER_TEST_FAULTS": "1"})
    assert enabled.test_faults is True


@pytest.mark.parametrize(
    "bad", [{"backend": "gpu"}, {"max_queue": 0}, {"log_level": "loud"}, {"device": "tpu"}]
)
def test_settings_reject_bad_values(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="must"):
        Settings(**bad).validate()  # type: ignore[arg-type]


def test_cuda_errors_are_classified() -> None:
    assert classify(RuntimeError("CUDA error: an illegal memory access was encountered")) == "cuda"
    assert classify(RuntimeError("device-side assert triggered")) == "cuda"
    assert (
        classify(RuntimeError("CUBLAS_STATUS_EXECUTION_FAILED when calling cublasSgemm")) == "cuda"
    )
    assert classify(RuntimeError("cuDNN error: CUDNN_STATUS_INTERNAL_ERROR")) == "cuda"
    assert classify(RuntimeError("CUDA out of memory. Tried to allocate 2 GiB")) == "oom"
    assert classify(ValueError("shapes do not match")) == "other"


def test_metrics_render() -> None:
    metrics = Metrics()
    metrics.observe_request("/health", 200)
    metrics.observe_inference(1.2, 300.0)
    metrics.failures["timeout"] += 1
    metrics.worker_restarts = 2
    text = metrics.render("ready", "cpu", queue_depth=3)
    assert "spark_diarizer_queue_depth 3" in text
    assert 'spark_diarizer_requests_total{endpoint="/health",status="200"} 1' in text
    assert 'spark_diarizer_inference_seconds_bucket{le="2.5"} 1' in text
    assert 'spark_diarizer_inference_seconds_bucket{le="1"} 0' in text
    assert "spark_diarizer_audio_seconds_total 300.000" in text
    assert 'spark_diarizer_failures_total{reason="timeout"} 1' in text
    assert "spark_diarizer_worker_restarts_total 2" in text


def test_api_token_from_every_source(tmp_path: Path) -> None:
    """Add-on option, environment and flag all set it; it never shows in the settings' repr."""
    options = tmp_path / "options.json"
    options.write_text(json.dumps({"api_token": "from-options-0123456789"}))
    env = {"SPARK_DIARIZER_OPTIONS": str(options)}
    assert load_settings([], env).api_token == "from-options-0123456789"
    env["SPARK_DIARIZER_API_TOKEN"] = "from-environment-0123456789"
    assert load_settings([], env).api_token == "from-environment-0123456789"
    flagged = load_settings(["--api-token", "from-the-flag-0123456789"], env)
    assert flagged.api_token == "from-the-flag-0123456789"
    assert "0123456789" not in repr(flagged)
    assert load_settings([], {"SPARK_DIARIZER_OPTIONS": str(tmp_path / "none")}).api_token == ""


@pytest.mark.parametrize(
    "token", ["short", "has a space in it 0123", "tab\there-0123456789ab", "non-ascii-é-0123456789"]
)
def test_bad_api_tokens_are_refused_at_start(token: str) -> None:
    with pytest.raises(ValueError, match="api_token"):
        Settings(api_token=token).validate()


def test_distance_auc_and_eer_match_their_definitions() -> None:
    """evalkit.distances's rank-based AUC and sorted EER equal the pairwise definitions."""
    rng = np.random.default_rng(0)
    same = np.round(rng.normal(0.2, 0.1, 300), 2)  # rounded: ties must count half
    different = np.round(rng.normal(0.4, 0.1, 400), 2)
    pairs = (different[:, None] > same[None, :]) + 0.5 * (different[:, None] == same[None, :])
    assert auc(same, different) == pytest.approx(float(pairs.mean()))
    grid = np.unique(np.concatenate([same, different]))
    miss = np.array([np.mean(same > t) for t in grid])
    false = np.array([np.mean(different <= t) for t in grid])
    i = int(np.argmin(np.abs(miss - false)))
    assert eer(same, different) == f"{100 * (miss[i] + false[i]) / 2:.1f} % at {grid[i]:.3f}"
