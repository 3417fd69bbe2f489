"""Typed configuration and state snapshots exchanged with the HA layer."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

from .exceptions import LoadFailure

ServiceKey = Literal["parakeet", "magpie", "diarizer"]
NodeName = Literal["head", "worker"]
LaunchMode = Literal["solo", "cluster"]
ServiceAction = Literal["start", "stop", "restart"]
TtsFlavour = Literal["nim", "openai"]
Dialect = Literal["jan2026", "aug2026"]


@dataclass(frozen=True, slots=True)
class HostConfig:
    """One Spark reachable over SSH."""

    host: str
    port: int = 22
    username: str = "spark"


@dataclass(frozen=True, slots=True)
class ServiceConfig:
    """A speech container: HTTP on host:port, docker control over the SSH node `ssh_node`."""

    key: ServiceKey
    host: str
    port: int
    container: str
    ssh_node: NodeName | None = None
    health_path: str = "/v1/models"
    bearer_token: str | None = None  # sent as `Authorization: Bearer` on health probes


@dataclass(frozen=True, slots=True)
class ClusterConfig:
    """Everything needed to talk to one cluster (one HA config entry)."""

    head: HostConfig
    worker: HostConfig | None = None
    vllm_port: int = 8888
    checkout_dir: str = "spark-vllm-docker"
    parakeet: ServiceConfig | None = None
    magpie: ServiceConfig | None = None
    diarizer: ServiceConfig | None = None  # the diarizer container, when it runs on a Spark
    tts_flavour: TtsFlavour = "nim"
    addon_url: str | None = None


@dataclass(frozen=True, slots=True)
class Credentials:
    """SSH private key (OpenSSH text) and pinned host keys keyed by "host:port"."""

    private_key: str
    passphrase: str | None = None
    known_hosts: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class KeyPair:
    """A usable key: private text, `authorized_keys` line and SHA256 fingerprint."""

    private_key: str
    public_key_line: str
    fingerprint: str


@dataclass(frozen=True, slots=True)
class GpuStats:
    """nvidia-smi figures; None means the GPU reported no value ([N/A])."""

    name: str
    utilization_pct: float | None = None
    temperature_c: float | None = None
    power_w: float | None = None
    process_memory_mib: float | None = None


@dataclass(frozen=True, slots=True)
class MemoryStats:
    """Unified memory from /proc/meminfo."""

    total_bytes: int
    available_bytes: int
    used_bytes: int


class NodeProblem(StrEnum):
    """Why a Spark is not reachable: the HA layer answers each one differently."""

    UNREACHABLE = "unreachable"  # network, SSH server down, time-out: retry later
    AUTH_REJECTED = "auth_rejected"  # the key is no longer accepted: re-authenticate
    HOST_KEY_CHANGED = "host_key_changed"  # never connect: the user must re-confirm the key
    HOST_KEY_UNKNOWN = "host_key_unknown"  # no pinned key for this address


@dataclass(frozen=True, slots=True)
class NodeStatus:
    """One Spark: reachable over SSH, its GPU and memory (None = unknown).

    An unreachable Spark carries the `problem` and the error message as `detail`.
    """

    name: str
    reachable: bool
    gpu: GpuStats | None = None
    memory: MemoryStats | None = None
    problem: NodeProblem | None = None
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class VllmStatus:
    """vLLM readiness, served model and metrics; None means unknown.

    `failure` is set when the API server answers but its engine died: the root-cause line
    from the container's log (a CUDA error, EngineDeadError).
    """

    ready: bool | None = None
    model: str | None = None
    max_model_len: int | None = None
    tokens_per_second: float | None = None
    requests_running: int | None = None
    requests_waiting: int | None = None
    kv_cache_usage: float | None = None
    failure: str | None = None


@dataclass(frozen=True, slots=True)
class ServiceStatus:
    """A speech container: docker state and HTTP readiness."""

    container_state: str | None = None
    ready: bool | None = None
    model: str | None = None


@dataclass(frozen=True, slots=True)
class CacheOwnershipProblem:
    """A speech container keeps dying because its cache volume is not writable by its user.

    `host_path` is the volume's directory on the Spark (None when docker lists no matching
    mount); `denied_path` the path inside the container the service could not write.
    """

    service: ServiceKey
    node: NodeName
    host: str
    container: str
    host_path: str | None
    denied_path: str


@dataclass(frozen=True, slots=True)
class CheckoutInfo:
    """The spark-vllm-docker checkout on the head: commit and detected dialect."""

    commit: str
    dialect: Dialect
    features: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class ClusterStatus:
    """One snapshot of the whole cluster; a failing part leaves only its fields unknown."""

    nodes: dict[str, NodeStatus]
    vllm: VllmStatus
    services: dict[str, ServiceStatus]
    checkout: CheckoutInfo | None = None


class SwapState(StrEnum):
    """Model swap state machine."""

    IDLE = "idle"
    STOPPING = "stopping"
    LAUNCHING = "launching"
    LOADING = "loading"
    READY = "ready"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class SwapProgress:
    """What a swap is doing now; `stalled` is a warning, not a failure."""

    state: SwapState = SwapState.IDLE
    model: str | None = None
    last_log_line: str | None = None
    shard_percent: float | None = None
    error: str | None = None
    failure: LoadFailure | None = None
    stalled: bool = False


class DownloadState(StrEnum):
    """Download lifecycle."""

    IDLE = "idle"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class DownloadProgress:
    """Download progress; totals may grow while file metadata arrives."""

    repo_id: str
    target: LaunchMode = "cluster"
    state: DownloadState = DownloadState.IDLE
    bytes_done: int | None = None
    bytes_total: int | None = None
    rate_bps: float | None = None
    eta_s: float | None = None
    error: str | None = None

    @property
    def percent(self) -> float | None:
        """Share done in percent, or None while the total is unknown."""
        if self.bytes_done is None or not self.bytes_total:
            return None
        return min(100.0, 100.0 * self.bytes_done / self.bytes_total)


@dataclass(frozen=True, slots=True)
class UpdateInfo:
    """spark-vllm-docker versions: installed and upstream short commits, commits behind."""

    installed: str
    upstream: str
    behind: int
    changelog: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ModelSettings:
    """Per-model vLLM knobs (contract §5); None keeps vLLM's default."""

    max_model_len: int | None = None
    gpu_memory_utilization: float | None = None
    fastsafetensors: bool = False
    prefix_caching: bool | None = None
    fp8_kv_cache: bool = False
    # vLLM's --tool-call-parser; set = launched with --enable-auto-tool-choice (Assist tools work).
    tool_call_parser: str | None = None


@dataclass(frozen=True, slots=True)
class CatalogModel:
    """A model the user can load."""

    key: str
    name: str
    repo_id: str
    mode: LaunchMode = "solo"
    builtin: bool = False
    settings: ModelSettings = field(default_factory=ModelSettings)


__all__ = [
    "CacheOwnershipProblem",
    "CatalogModel",
    "CheckoutInfo",
    "ClusterConfig",
    "ClusterStatus",
    "Credentials",
    "Dialect",
    "DownloadProgress",
    "DownloadState",
    "GpuStats",
    "HostConfig",
    "KeyPair",
    "LaunchMode",
    "LoadFailure",
    "MemoryStats",
    "ModelSettings",
    "NodeName",
    "NodeStatus",
    "ServiceAction",
    "ServiceConfig",
    "ServiceKey",
    "ServiceStatus",
    "SwapProgress",
    "SwapState",
    "TtsFlavour",
    "UpdateInfo",
    "VllmStatus",
]
