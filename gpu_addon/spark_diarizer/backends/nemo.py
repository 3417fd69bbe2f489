"""NeMo backend: Sortformer diarization + TitaNet fingerprints, loaded from local .nemo files."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import torch
from nemo.collections.asr.models import (  # type: ignore[import-untyped]
    EncDecSpeakerLabelModel,
    SortformerEncLabelModel,
)
from omegaconf import OmegaConf, open_dict

from .base import LocalDiarization
from .timeline import drop_short_runs, fill_short_gaps, runs

SAMPLE_RATE = 16000
THRESHOLD = 0.5
MIN_ON_S = 0.1  # DIHARD3-dev tuned post-processing of Sortformer v1 (diarization.md)
MIN_OFF_S = 0.15
MIN_FINGERPRINT_S = 1.0
MAX_FINGERPRINT_S = 60.0  # TitaNet does not need minutes of one voice


def resolve_device(device: str) -> str:
    """`auto` means the first CUDA device when torch sees one, else the CPU."""
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


def load_sortformer(path: str, device: str) -> SortformerEncLabelModel:
    """restore_from a local .nemo, patching the older v1 layout that lacks model_defaults."""
    cfg = SortformerEncLabelModel.restore_from(path, return_config=True, map_location="cpu")
    with tempfile.TemporaryDirectory() as tmp:
        override = None
        if "model_defaults" not in cfg:
            with open_dict(cfg):
                modules = cfg.get("sortformer_modules", {})
                cfg.model_defaults = {
                    "fc_d_model": modules.get("fc_d_model", cfg.encoder.d_model),
                    "tf_d_model": modules.get(
                        "tf_d_model", cfg.transformer_encoder.get("hidden_size", 192)
                    ),
                }
            override = str(Path(tmp) / "model_config.yaml")
            OmegaConf.save(cfg, override)
        model = SortformerEncLabelModel.restore_from(
            path, map_location=device, strict=False, override_config_path=override
        )
    return model.eval()


def load_titanet(path: str, device: str) -> EncDecSpeakerLabelModel:
    """restore_from a local TitaNet .nemo (192-d speaker embeddings)."""
    model = EncDecSpeakerLabelModel.restore_from(path, map_location=device, strict=False)
    return model.eval()


class NemoBackend:
    """Sortformer 4-slot activity -> turns; TitaNet on each slot's non-overlapped speech."""

    name = "nemo"

    def __init__(self, sortformer_path: str, titanet_path: str, device: str = "auto") -> None:
        self.device = resolve_device(device)
        self.sortformer = load_sortformer(sortformer_path, self.device)
        self.titanet = load_titanet(titanet_path, self.device)
        self.diarization_model = Path(sortformer_path).stem
        self.embedding_model = Path(titanet_path).stem
        pre: Any = self.sortformer.cfg.preprocessor
        self.frame_s = float(pre.window_stride) * int(
            self.sortformer.cfg.encoder.subsampling_factor
        )

    def activity(self, audio: np.ndarray) -> np.ndarray:
        """Per-frame speaker-slot probabilities, shape [frames, slots]."""
        signal = torch.from_numpy(np.ascontiguousarray(audio))[None].to(self.device)
        length = torch.tensor([audio.size], device=self.device)
        with torch.inference_mode():
            preds = self.sortformer.forward(audio_signal=signal, audio_signal_length=length)
        return np.asarray(preds[0].float().cpu().numpy())

    def diarize(self, audio: np.ndarray, max_speakers: int | None) -> LocalDiarization:
        """Threshold slot activity into turns, then fingerprint each slot's clean speech."""
        active = self.activity(audio) > THRESHOLD
        if max_speakers is not None and max_speakers < active.shape[1]:
            keep = np.argsort(-active.sum(axis=0), kind="stable")[:max_speakers]
            mask = np.zeros(active.shape[1], dtype=bool)
            mask[keep] = True
            active[:, ~mask] = False
        segments: list[tuple[float, float, int]] = []
        cleaned = np.zeros_like(active)
        for slot in range(active.shape[1]):
            labels = np.where(active[:, slot], slot, -1)
            labels = fill_short_gaps(labels, round(MIN_OFF_S / self.frame_s))
            labels = drop_short_runs(labels, round(MIN_ON_S / self.frame_s))
            cleaned[:, slot] = labels == slot
            segments.extend(runs(labels, self.frame_s))
        return LocalDiarization(segments=segments, fingerprints=self._fingerprints(audio, cleaned))

    def _fingerprints(self, audio: np.ndarray, active: np.ndarray) -> dict[int, np.ndarray]:
        alone = active & (active.sum(axis=1, keepdims=True) == 1)
        hop = round(self.frame_s * SAMPLE_RATE)
        out: dict[int, np.ndarray] = {}
        for slot in range(active.shape[1]):
            frames = np.flatnonzero(alone[:, slot])
            if frames.size * self.frame_s < MIN_FINGERPRINT_S:
                continue
            frames = frames[: int(MAX_FINGERPRINT_S / self.frame_s)]
            speech = np.concatenate([audio[f * hop : (f + 1) * hop] for f in frames])
            signal = torch.from_numpy(np.ascontiguousarray(speech))[None].to(self.device)
            length = torch.tensor([speech.size], device=self.device)
            with torch.inference_mode():
                _logits, emb = self.titanet.forward(input_signal=signal, input_signal_length=length)
            vector = emb[0].float().cpu().numpy()
            out[slot] = vector / max(float(np.linalg.norm(vector)), 1e-9)
        return out
