"""Configuration of a simulated DGX Spark pair (what tests and the demo may vary)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

Dialect = Literal["jan2026", "aug2026"]
DIALECTS: tuple[Dialect, ...] = ("jan2026", "aug2026")
NODE_NAMES = ("head", "worker")
# The fake ConnectX-7 addresses the spark-vllm-docker scripts see (contract §1).
CX7_IPS = {"head": "192.168.177.11", "worker": "192.168.177.12"}
KV_METRICS = ("vllm:kv_cache_usage_perc", "vllm:gpu_cache_usage_perc")
MAGPIE_APIS = ("nim", "openai")


@dataclass
class PairConfig:
    """Knobs of one simulated pair; defaults are tuned for fast tests."""

    dialect: Dialect = "aug2026"
    user: str = "spark"
    vllm_load_seconds: float = 2.0
    service_load_seconds: float = 0.5
    vllm_log_interval: float = 10.0
    behind_count: int = 3
    parakeet_node: str = "worker"
    magpie_node: str = "worker"
    parakeet_container: str = "parakeet"
    magpie_container: str = "magpie"
    kv_metric: str = "vllm:kv_cache_usage_perc"
    initial_model: str | None = None
    # Extra `vllm serve` arguments for initial_model, e.g. ("--enable-auto-tool-choice",
    # "--tool-call-parser", "hermes") for a model that serves tool calls.
    initial_vllm_args: tuple[str, ...] = ()
    downloaded_models: tuple[str, ...] = ("RedHatAI/Qwen3.6-35B-A3B-NVFP4",)
    download_seconds: float = 2.0
    # Extra knobs (not in the published interface, safe to leave alone):
    services_running: bool = True  # Parakeet/Magpie containers running at start
    launcher_settle_seconds: float = 0.3  # the launcher's post-start sleep (real: 2-5 s)
    build_seconds: float = 1.0  # duration of build-and-copy.sh
    tokens_per_second: float = 150.0  # fake vLLM generation rate
    default_max_model_len: int = 40960  # when --max-model-len is not given
    # Magpie's API: "nim" (NVIDIA's TTS NIM) or "openai" (Spark's /v1/audio/speech server).
    magpie_api: str = "nim"
    first_token_seconds: float = 0.05  # fake vLLM time to first token (streamed or not)

    def __post_init__(self) -> None:
        if self.dialect not in DIALECTS:
            raise ValueError(f"unknown dialect {self.dialect!r}")
        if self.magpie_api not in MAGPIE_APIS:
            raise ValueError(f"unknown Magpie API {self.magpie_api!r}")
        if self.kv_metric not in KV_METRICS:
            raise ValueError(f"unknown KV metric {self.kv_metric!r}")
        for node in (self.parakeet_node, self.magpie_node):
            if node not in NODE_NAMES:
                raise ValueError(f"unknown node {node!r}")
        if not self.user.isidentifier():
            raise ValueError(f"bad user name {self.user!r}")
        self.downloaded_models = tuple(self.downloaded_models)
        self.initial_vllm_args = tuple(self.initial_vllm_args)

    def to_json(self) -> dict[str, Any]:
        """JSON-able copy (written to the state dir for the shims)."""
        return asdict(self)
