"""Service settings: defaults < add-on options.json < SPARK_DIARIZER_* env < command line."""

from __future__ import annotations

import argparse
import json
import os
import re
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

BACKENDS = ("auto", "cpu", "nemo")
LOG_LEVELS = ("debug", "info", "warning", "error")
ENV_PREFIX = "SPARK_DIARIZER_"
DEFAULT_OPTIONS_PATH = "/data/options.json"  # where Home Assistant writes an add-on's options
TOKEN_CHARS = re.compile(r"[\x21-\x7e]{16,512}")  # printable ASCII: it travels in a header


@dataclass(frozen=True)
class Settings:
    """Everything the front and the worker need; frozen so it pickles to the worker unchanged."""

    host: str = "0.0.0.0"  # noqa: S104 - a container service listens on every interface
    port: int = 8010
    backend: str = "auto"
    sortformer_model_path: str = "/share/spark_diarizer/diar_sortformer_4spk-v1.nemo"
    titanet_model_path: str = "/share/spark_diarizer/titanet-l.nemo"
    device: str = "auto"
    max_upload_mb: float = 200.0
    max_duration_s: float = 600.0  # Sortformer memory grows with T^2: see DOCS.md
    max_queue: int = 4
    max_speakers_limit: int = 8
    inference_timeout_s: float = 300.0
    worker_start_timeout_s: float = 600.0
    torch_threads: int = 2
    log_level: str = "info"
    api_token: str = field(default="", repr=False)  # empty: no token needed
    test_faults: bool = False

    def validate(self) -> Settings:
        """Reject impossible values at start-up rather than at the first request."""
        if self.backend not in BACKENDS:
            raise ValueError(f"backend must be one of {BACKENDS}, not {self.backend!r}")
        if self.log_level not in LOG_LEVELS:
            raise ValueError(f"log_level must be one of {LOG_LEVELS}")
        if self.device not in ("auto", "cpu") and not self.device.startswith("cuda"):
            raise ValueError("device must be auto, cpu or cuda[:N]")
        for name in ("max_upload_mb", "max_duration_s", "inference_timeout_s"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")
        if self.max_queue < 1 or self.max_speakers_limit < 1 or self.torch_threads < 1:
            raise ValueError("max_queue, max_speakers_limit and torch_threads must be >= 1")
        if not 0 < self.port < 65536:
            raise ValueError("port must be 1..65535")
        if self.api_token and not TOKEN_CHARS.fullmatch(self.api_token):
            raise ValueError("api_token must be 16 to 512 printable ASCII characters, no spaces")
        return self


def _coerce(value: Any, kind: type) -> Any:
    if kind is bool:
        if isinstance(value, bool):
            return value
        return str(value).strip().lower() in ("1", "true", "yes", "on")
    return kind(value)


_TYPES: dict[str, type] = {
    item.name: {"str": str, "int": int, "float": float, "bool": bool}[str(item.type)]
    for item in fields(Settings)
}


def _from_mapping(base: Settings, values: dict[str, Any]) -> Settings:
    known = {k: _coerce(v, _TYPES[k]) for k, v in values.items() if k in _TYPES and v is not None}
    return replace(base, **known)


def load_settings(argv: list[str] | None = None, environ: dict[str, str] | None = None) -> Settings:
    """Merge every source; the test-fault hook is only ever enabled from the environment."""
    env = dict(os.environ if environ is None else environ)
    settings = Settings()
    options_path = Path(env.get(ENV_PREFIX + "OPTIONS", DEFAULT_OPTIONS_PATH))
    if options_path.is_file():
        options = json.loads(options_path.read_text(encoding="utf-8"))
        options.pop("test_faults", None)
        settings = _from_mapping(settings, options)
    from_env = {
        name: env[ENV_PREFIX + name.upper()] for name in _TYPES if ENV_PREFIX + name.upper() in env
    }
    from_env.pop("test_faults", None)
    settings = _from_mapping(settings, from_env)
    parser = argparse.ArgumentParser(prog="spark_diarizer", description="diarize-chunk service")
    for name, kind in _TYPES.items():
        if name == "test_faults":
            continue
        parser.add_argument("--" + name.replace("_", "-"), dest=name, type=kind, default=None)
    settings = _from_mapping(settings, vars(parser.parse_args(argv)))
    faults = env.get(ENV_PREFIX + "TEST_FAULTS", "") == "1"
    return replace(settings, test_faults=faults).validate()
