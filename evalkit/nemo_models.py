"""Random-weight Sortformer and TitaNet models built from hand-written configs and saved as .nemo.

Used by the nemo backend tests (TINY, and FULL for the full-size tests) and by
benchmarks/bench_addon.py (FULL, for speed and memory). Random weights say nothing about
speakers: these exercise loading, plumbing, shapes, time and memory.

FULL is the published architecture, written from the public configs: NeMo's
examples/speaker_tasks/diarization/conf/neural_diarizer/sortformer_diarizer_hybrid_loss_4spk-v1.yaml
(80 mel features, 18-layer Fast-Conformer d_model 512 with 8x dw_striding subsampling and 256
subsampling channels, 8 heads, conv kernel 9; 18-layer Transformer hidden 192, inner 768, 8 heads)
and examples/speaker_tasks/recognition/conf/titanet-large.yaml (filters 1024, repeat 3, kernels
3/7/11/15/1, final 3072, attention pooling, 192-d embeddings). The model cards give 123 M
parameters (diar_sortformer_4spk-v1, a 493 MB .nemo) and 25.3 M (TitaNet-L, a 102 MB .nemo).

One number is not in a public config: the width of TitaNet's training classifier. The example
YAML's 7205 (VoxCeleb speakers) gives 23.5 M; the published checkpoint was trained on a larger
composite set, and 16681 classes give the card's 25.3 M and a 101 MB .nemo. Only that last
192 x classes layer differs; embeddings never pass through it.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

TRANSFORMER_ENCODER = (
    "nemo.collections.asr.modules.transformer.transformer_encoders.TransformerEncoder"
)
FULL = {
    "feat": 80, "enc_layers": 18, "d_model": 512, "heads": 8, "tf_layers": 18, "tf_hidden": 192,
    "tf_inner": 768, "tf_heads": 8, "sub_channels": 256, "titanet_filters": 1024,
    "titanet_final": 3072, "titanet_repeat": 3, "titanet_classes": 16681,
}  # fmt: skip
TINY = {
    "feat": 80, "enc_layers": 1, "d_model": 32, "heads": 2, "tf_layers": 1, "tf_hidden": 16,
    "tf_inner": 64, "tf_heads": 2, "sub_channels": 16, "titanet_filters": 32, "titanet_final": 64,
    "titanet_repeat": 1, "titanet_classes": 16,
}  # fmt: skip
PUBLISHED_PARAMS = {"sortformer": 123_000_000, "titanet": 25_300_000}  # the model cards
CACHE_ENV = "SPARK_NEMO_MODEL_CACHE"
DEFAULT_CACHE = Path(__file__).resolve().parents[1] / "build" / "nemo_models"


def _preprocessor(features: int) -> dict[str, Any]:
    return {
        "_target_": "nemo.collections.asr.modules.AudioToMelSpectrogramPreprocessor",
        "normalize": "per_feature",
        "window_size": 0.025,
        "sample_rate": 16000,
        "window_stride": 0.01,
        "window": "hann",
        "features": features,
        "n_fft": 512,
        "frame_splicing": 1,
        "dither": 0.00001,
    }


def sortformer_config(size: dict[str, int], v1_layout: bool = False) -> dict[str, Any]:
    """A Sortformer (4 speaker slots, 80 ms frames) config; v1_layout drops model_defaults."""
    d_model, tf_hidden = size["d_model"], size["tf_hidden"]
    cfg: dict[str, Any] = {
        "sample_rate": 16000,
        "pil_weight": 0.5,
        "ats_weight": 0.5,
        "max_num_of_spks": 4,
        "model_defaults": {"fc_d_model": d_model, "tf_d_model": tf_hidden},
        "preprocessor": _preprocessor(size["feat"]),
        "sortformer_modules": {
            "_target_": "nemo.collections.asr.modules.sortformer_modules.SortformerModules",
            "num_spks": 4,
            "dropout_rate": 0.5,
            "fc_d_model": d_model,
            "tf_d_model": tf_hidden,
        },
        "encoder": {
            "_target_": "nemo.collections.asr.modules.ConformerEncoder",
            "feat_in": size["feat"],
            "feat_out": -1,
            "n_layers": size["enc_layers"],
            "d_model": d_model,
            "subsampling": "dw_striding",
            "subsampling_factor": 8,
            "subsampling_conv_channels": size["sub_channels"],
            "causal_downsampling": False,
            "ff_expansion_factor": 4,
            "self_attention_model": "rel_pos",
            "n_heads": size["heads"],
            "att_context_size": [-1, -1],
            "xscaling": True,
            "untie_biases": True,
            "pos_emb_max_len": 5000,
            "conv_kernel_size": 9,
            "conv_norm_type": "batch_norm",
            "dropout": 0.1,
            "dropout_pre_encoder": 0.1,
            "dropout_emb": 0.0,
            "dropout_att": 0.1,
        },
        "transformer_encoder": {
            "_target_": TRANSFORMER_ENCODER,
            "num_layers": size["tf_layers"],
            "hidden_size": tf_hidden,
            "inner_size": size["tf_inner"],
            "num_attention_heads": size["tf_heads"],
            "attn_score_dropout": 0.5,
            "attn_layer_dropout": 0.5,
            "ffn_dropout": 0.5,
            "hidden_act": "relu",
            "pre_ln": False,
            "pre_ln_final_layer_norm": True,
        },
        "loss": {
            "_target_": "nemo.collections.asr.losses.bce_loss.BCELoss",
            "weight": None,
            "reduction": "mean",
        },
    }
    if v1_layout:
        del cfg["model_defaults"]
    return cfg


def titanet_config(size: dict[str, int]) -> dict[str, Any]:
    """A TitaNet-style speaker model (192-d embeddings) config."""
    filters, final = size["titanet_filters"], size["titanet_final"]

    def block(kernel: int, repeat: int, out: int, residual: bool) -> dict[str, Any]:
        return {
            "filters": out,
            "repeat": repeat,
            "kernel": [kernel],
            "stride": [1],
            "dilation": [1],
            "dropout": 0.1 if residual else 0.0,
            "residual": residual,
            "separable": True,
            "se": True,
            "se_context_size": -1,
        }

    repeat = size["titanet_repeat"]
    return {
        "sample_rate": 16000,
        "train_ds": {"sample_rate": 16000, "defer_setup": True},
        "preprocessor": _preprocessor(80),
        "encoder": {
            "_target_": "nemo.collections.asr.modules.ConvASREncoder",
            "feat_in": 80,
            "activation": "relu",
            "conv_mask": True,
            "jasper": [
                block(3, 1, filters, False),
                block(7, repeat, filters, True),
                block(11, repeat, filters, True),
                block(15, repeat, filters, True),
                block(1, 1, final, False),
            ],
        },
        "decoder": {
            "_target_": "nemo.collections.asr.modules.SpeakerDecoder",
            "feat_in": final,
            "num_classes": size["titanet_classes"],
            "pool_mode": "attention",
            "emb_sizes": 192,
        },
        "loss": {
            "_target_": "nemo.collections.asr.losses.angularloss.AngularSoftmaxLoss",
            "scale": 30,
            "margin": 0.2,
        },
    }


def build_models(
    out_dir: Path, size: dict[str, int] = TINY, v1_layout: bool = False
) -> tuple[Path, Path]:
    """Build both random-weight models, save them with save_to and return (sortformer, titanet)."""
    import torch
    from nemo.collections.asr.models import EncDecSpeakerLabelModel, SortformerEncLabelModel
    from omegaconf import OmegaConf

    torch.manual_seed(0)
    out_dir.mkdir(parents=True, exist_ok=True)
    sortformer_path = out_dir / (
        "diar_sortformer_v1layout.nemo" if v1_layout else "diar_sortformer.nemo"
    )
    titanet_path = out_dir / "titanet.nemo"
    cfg = OmegaConf.create(sortformer_config(size))
    SortformerEncLabelModel(cfg=cfg).save_to(str(sortformer_path))
    if v1_layout:
        _strip_model_defaults(sortformer_path)
    if not titanet_path.exists():
        EncDecSpeakerLabelModel(cfg=OmegaConf.create(titanet_config(size))).save_to(
            str(titanet_path)
        )
    return sortformer_path, titanet_path


def _strip_model_defaults(path: Path) -> None:
    """Rewrite a saved .nemo's model_config.yaml without model_defaults (the older v1 layout)."""
    import tarfile
    import tempfile

    import yaml

    with tempfile.TemporaryDirectory() as tmp:
        with tarfile.open(path) as tar:
            tar.extractall(tmp, filter="data")
        config_path = next(Path(tmp).rglob("model_config.yaml"))
        config = yaml.safe_load(config_path.read_text())
        config.pop("model_defaults", None)
        config_path.write_text(yaml.safe_dump(config))
        with tarfile.open(path, "w") as tar:
            for item in sorted(Path(tmp).iterdir()):
                tar.add(item, arcname=f"./{item.name}")


def config_hash(size: dict[str, int]) -> str:
    """A short digest of both configs and the library versions that serialise them."""
    from importlib.metadata import version

    payload = {
        "sortformer": sortformer_config(size),
        "titanet": titanet_config(size),
        "nemo": version("nemo_toolkit"),
        "torch": version("torch"),
        "seed": 0,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # a test session and a benchmark may build at once
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def cached_models(size: dict[str, int] = FULL, cache_root: Path | None = None) -> tuple[Path, Path]:
    """Both models of this size, built once into a cache folder keyed by config_hash.

    Full size takes a minute or more and about 600 MB of disk, so tests and the benchmark share
    one copy: under build/nemo_models/ (or $SPARK_NEMO_MODEL_CACHE), which `make clean` removes.
    """
    root = cache_root or Path(os.environ.get(CACHE_ENV) or DEFAULT_CACHE)
    final = root / config_hash(size)
    names = ("diar_sortformer.nemo", "titanet.nemo")
    with _locked(root / ".lock"):
        if not all((final / name).is_file() for name in names):
            staging = root / f".staging-{os.getpid()}"
            shutil.rmtree(staging, ignore_errors=True)
            build_models(staging, size)
            shutil.rmtree(final, ignore_errors=True)
            staging.rename(final)
    return final / names[0], final / names[1]


def count_parameters(model: Any) -> int:
    """Every parameter of a torch module (trainable or not)."""
    return int(sum(p.numel() for p in model.parameters()))
