"""Unit tests of small pure helpers: HTTP answer parsing, download reasons, errors, rates."""

from __future__ import annotations

import time

import pytest

from custom_components.spark_control.api import (
    CommandError,
    DownloadError,
    DownloadProgress,
    HostKeyChangedError,
    InvalidInputError,
    LoadFailure,
    ModelLoadError,
    SparkAuthError,
    SparkConnectionError,
    SparkError,
    SparkTimeoutError,
    SwapInProgressError,
    UpdateError,
    download,
    status,
)
from custom_components.spark_control.api.connection import CommandResult
from custom_components.spark_control.api.http import Outcome, Probe, served_model, service_ready


def test_served_model_shapes() -> None:
    ok = Probe(Outcome.OK, 200, '{"data":[{"id":"a/b","max_model_len":4096}]}')
    assert served_model(ok) == ("a/b", 4096)
    assert served_model(Probe(Outcome.OK, 200, '{"data":[{"id":5,"max_model_len":true}]}')) == (
        None,
        None,
    )
    for body in ("not json", "[]", '{"data":[]}', '{"data":["x"]}', '{"data":{}}'):
        assert served_model(Probe(Outcome.OK, 200, body)) == (None, None)
    assert served_model(Probe(Outcome.OK, 503, "")) == (None, None)
    assert served_model(Probe(Outcome.TIMEOUT)) == (None, None)


@pytest.mark.parametrize(
    ("probe", "ready"),
    [
        (Probe(Outcome.REFUSED), False),
        (Probe(Outcome.TIMEOUT), None),
        (Probe(Outcome.ERROR, body="boom"), None),
        (Probe(Outcome.OK, 503, ""), False),
        (Probe(Outcome.OK, 200, ""), True),
        (Probe(Outcome.OK, 200, '{"ready":true}'), True),
        (Probe(Outcome.OK, 200, '{"ready":false}'), False),
        (Probe(Outcome.OK, 200, '{"status":"ok","loaded":false}'), False),
        (Probe(Outcome.OK, 200, '{"status":"loading","model_loaded":true}'), False),
        (Probe(Outcome.OK, 200, '{"status":"healthy","model_loaded":true}'), True),
    ],
)
def test_service_ready(probe: Probe, ready: bool | None) -> None:
    assert service_ready(probe) is ready


def test_cache_listing_and_failure_reasons() -> None:
    listing = "models--Org--Done 1 0\nmodels--Org--Part 1 2\nmodels--Org--New 0 0\njunk\nx 1 0\n"
    assert download.parse_cache_listing(listing) == ["Org/Done"]
    gated = ["Cannot access gated repo for url ..."]
    assert "HF_TOKEN" in download.failure_reason(gated, "head", 1)
    full = ["OSError: [Errno 28] No space left on device"]
    assert "full" in download.failure_reason(full, "worker", 1)
    missing = ["Repository Not Found for url"]
    assert "does not exist" in download.failure_reason(missing, "head", 1)
    other = ["line", "Error: Failed to download model 'a/b'."]
    assert (
        download.failure_reason(other, "head", 1)
        == "Error: Failed to download model 'a/b'. (on head, exit status 1)"
    )
    assert download.failure_reason([], "head", 3) == "exit status 3 (on head, no output)"
    assert CommandResult(0, "a\r\nb\n", "").tail() == ["a", "b"]


def test_download_percent() -> None:
    assert DownloadProgress("a/b").percent is None
    assert DownloadProgress("a/b", bytes_done=5, bytes_total=0).percent is None
    assert DownloadProgress("a/b", bytes_done=5, bytes_total=10).percent == 50.0
    assert DownloadProgress("a/b", bytes_done=50, bytes_total=10).percent == 100.0


def test_token_rate_from_counter_deltas() -> None:
    collector = status.StatusCollector.__new__(status.StatusCollector)
    collector._last_tokens = None
    assert collector._rate(1000.0) is None
    now = time.monotonic()
    collector._last_tokens = (now - 2.0, 1000.0)
    rate = collector._rate(1300.0)
    assert rate is not None
    assert 100 < rate <= 150
    assert collector._rate(10.0) is None
    collector._last_tokens = (time.monotonic() + 100, 5.0)
    assert collector._rate(20.0) is None
    assert collector._rate(None) is None
    assert collector._last_tokens is None


def test_error_messages_are_actionable() -> None:
    errors: list[SparkError] = [
        SparkConnectionError("spark-1", 22, "Connection refused"),
        SparkAuthError("spark-1", "spark"),
        HostKeyChangedError("spark-1", 22, "SHA256:old", "SHA256:new"),
        CommandError("docker stop", 1, ["a", "b"]),
        CommandError("x", None, []),
        InvalidInputError("repo_id", "a;b", "bad"),
        SwapInProgressError("a/b"),
        SwapInProgressError(),
        SparkTimeoutError("status", 2.5),
        DownloadError("a/b", "gated"),
        UpdateError("dirty_tree", "stash"),
    ]
    errors += [ModelLoadError(reason, "detail") for reason in LoadFailure]
    for err in errors:
        assert isinstance(err, SparkError)
        assert len(str(err)) > 15
    assert "no error output" in str(CommandError("x", 2, []))
    assert "2.5 s" in str(SparkTimeoutError("status", 2.5))
