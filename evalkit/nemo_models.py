"""Random-weight Sortformer and TitaNet models built from hand-written configs and saved as .nemo.

Used by the nemo backend tests (tiny) and by benchmarks/bench_addon.py (full size, for speed
only). Random weights say nothing about speakers: these exercise loading, plumbing and shapes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

TRANSFORMER_ENCODER = (
    "nemo.collections.asr.modules.transformer.transformer_encoders.TransformerEncoder"
)
FULL = {
    "feat": 128, "enc_layers": 18, "d_model": 512, "heads": 8, "tf_layers": 18, "tf_hidden": 192,
    "tf_heads": 8, "sub_channels": 256, "titanet_filters": 1024, "titanet_final": 3072,
    "titanet_repeat": 3,
}  # fmt: skip
TINY = {
    "feat": 80, "enc_layers": 1, "d_model": 32, "heads": 2, "tf_layers": 1, "tf_hidden": 16,
    "tf_heads": 2, "sub_channels": 16, "titanet_filters": 32, "titanet_final": 64,
    "titanet_repeat": 1,
}  # fmt: skip


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
            "inner_size": tf_hidden * 4,
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
            "dropout": 0.1,
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
            "num_classes": 16,
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
