"""The inference worker process: loads the backend once, then answers one request at a time.

It talks to the HTTP front over a multiprocessing Pipe. A CUDA-class error is reported as
kind "cuda" so the front can treat the process as wedged and replace it.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Callable
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
INJECTED_CUDA_ERROR = "CUDA error: an illegal memory access was encountered (injected)"


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
        raise RuntimeError(INJECTED_CUDA_ERROR)
    if kind == "hang":
        while True:
            time.sleep(3600)
    if kind == "crash":
        os._exit(134)
    if kind == "delay":
        time.sleep(float(arg or 1.0))


def _arm_mid_inference_error(backend: Any) -> Callable[[], None]:
    """Make the backend's first torch model raise a CUDA-style error half-way through forward.

    A one-shot forward hook on the module in the middle of the model's module list (for
    Sortformer: inside the Fast-Conformer stack), so the error surfaces from deep inside real
    inference, as an illegal memory access would. Returns the hook's remover.
    """
    import torch  # noqa: PLC0415 - worker only

    models = [v for v in vars(backend).values() if isinstance(v, torch.nn.Module)]
    if not models:
        raise RuntimeError(INJECTED_CUDA_ERROR)
    modules = list(models[0].modules())
    target = modules[len(modules) // 2]

    def explode(*_args: object) -> None:
        raise RuntimeError(INJECTED_CUDA_ERROR + " mid-inference")

    handle = target.register_forward_hook(explode)
    return handle.remove


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
    disarm: Callable[[], None] | None = None
    try:
        fault = message.get("fault")
        if fault == "error_mid":
            disarm = _arm_mid_inference_error(backend)
        else:
            _inject(fault)
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
    finally:
        if disarm is not None:
            disarm()


def _empty_cuda_cache() -> None:
    import torch  # noqa: PLC0415 - worker only

    if torch.cuda.is_available():
        torch.cuda.empty_cache()
