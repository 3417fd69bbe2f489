"""Choose and build the backend inside the worker; `auto` = nemo with CUDA and both files."""

from __future__ import annotations

from pathlib import Path

from ..config import Settings
from .base import Backend


def resolve_backend(settings: Settings) -> str:
    """The backend `auto` stands for on this machine (imports torch: worker only)."""
    if settings.backend != "auto":
        return settings.backend
    import torch  # noqa: PLC0415 - torch stays out of the HTTP front

    have_files = all(
        Path(p).is_file() for p in (settings.sortformer_model_path, settings.titanet_model_path)
    )
    return "nemo" if have_files and torch.cuda.is_available() else "cpu"


def create_backend(settings: Settings) -> Backend:
    """Load the chosen backend's models (slow: seconds on CPU, longer for NeMo)."""
    kind = resolve_backend(settings)
    import torch  # noqa: PLC0415 - worker only

    torch.set_num_threads(settings.torch_threads)
    if kind == "nemo":
        for path in (settings.sortformer_model_path, settings.titanet_model_path):
            if not Path(path).is_file():
                raise FileNotFoundError(f"model file {path} does not exist")
        from .nemo import NemoBackend  # noqa: PLC0415 - NeMo import costs seconds and 0.8 GB

        backend: Backend = NemoBackend(
            settings.sortformer_model_path, settings.titanet_model_path, settings.device
        )
    else:
        from .cpu import CpuBackend  # noqa: PLC0415 - keeps NeMo-only installs importable

        backend = CpuBackend(threads=settings.torch_threads)
    torch.set_num_threads(settings.torch_threads)
    return backend
