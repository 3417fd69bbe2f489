"""The inference worker process: loads the backend once, then answers one request at a time.

It talks to the HTTP front over a multiprocessing Pipe. A CUDA-class error is reported as
kind "cuda" so the front can treat the process as wedged and replace it.
"""

from __future__ import annotations

import logging
import os
import re
import time
from multiprocessing.connection import Connection
from typing import Any

from .backends.base import to_response
from .config import Settings
from .probe import SAMPLE_RATE, probe_signal

_LOG = logging.getLogger("spark_diarizer.worker")

CUDA_ERROR = re.compile(
    r"CUDA error|illegal memory access|device-side assert|CUBLAS_STATUS|CUDNN_STATUS|"
    r"cuDNN error|cublas|NCCL error|CUDA driver",
    re.IGNORECASE,
)
OUT_OF_MEMORY = re.compile(r"out of memory", re.IGNORECASE)


def classify(error: BaseException) -> str:
    """'cuda' wedges the worker, 'oom' is retryable without a restart, 'other' just fails."""
    text = f"{type(error).__name__}: {error}"
    if OUT_OF_MEMORY.search(text):
        return "oom"
    if CUDA_ERROR.search(text):
        return "cuda"
    return "other"


def _inject(fault: str | None) -> None:
    """Test-only faults (the front forwards them only when SPARK_DIARIZER_TEST_FAULTS=1)."""
    if not fault:
        return
    kind, _, arg = fault.partition(":")
    if kind == "error":
        raise RuntimeError("CUDA error: an illegal memory access was encountered (injected)")
    if kind == "hang":
        while True:
            time.sleep(3600)
    if kind == "crash":
        os._exit(134)
    if kind == "delay":
        time.sleep(float(arg or 1.0))


def worker_main(conn: Connection, settings: Settings) -> None:
    """Process entry point (spawn context): load, announce, serve until told to stop or EOF."""
    logging.basicConfig(level=settings.log_level.upper())
    started = time.monotonic()
    try:
        from .backends.factory import create_backend  # noqa: PLC0415 - torch only in the child

        backend = create_backend(settings)
    except Exception as err:
        _LOG.exception("backend failed to load")
        conn.send({"type": "load_failed", "message": f"{type(err).__name__}: {err}"})
        conn.close()
        return
    conn.send(
        {
            "type": "ready",
            "backend": backend.name,
            "device": backend.device,
            "diarization_model": backend.diarization_model,
            "embedding_model": backend.embedding_model,
            "load_s": round(time.monotonic() - started, 3),
        }
    )
    while True:
        try:
            message: dict[str, Any] = conn.recv()
        except (EOFError, OSError):
            return
        if message.get("type") == "stop":
            conn.close()
            return
        conn.send(_handle(backend, message))


def _handle(backend: Any, message: dict[str, Any]) -> dict[str, Any]:
    request_id = message.get("id")
    try:
        _inject(message.get("fault"))
        audio = message["audio"] if message["type"] == "diarize" else probe_signal()
        started = time.monotonic()
        result = backend.diarize(audio, message.get("max_speakers"))
        body = to_response(
            result, audio.size / SAMPLE_RATE, backend.diarization_model, backend.embedding_model
        )
        return {
            "type": "result",
            "id": request_id,
            "body": body,
            "seconds": time.monotonic() - started,
        }
    except Exception as err:
        kind = classify(err)
        _LOG.exception("inference failed (%s)", kind)
        if kind == "oom":
            _empty_cuda_cache()
        return {"type": "error", "id": request_id, "kind": kind, "message": f"{err}"}


def _empty_cuda_cache() -> None:
    import torch  # noqa: PLC0415 - worker only

    if torch.cuda.is_available():
        torch.cuda.empty_cache()
