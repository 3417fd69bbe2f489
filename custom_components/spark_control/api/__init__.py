"""Pure asyncio client for a pair of DGX Sparks (no Home Assistant imports).

Public surface (stable; new names are only ever added):

- `SparkCluster(config, credentials, *, session, catalog=None, connect_timeout=10,
  command_timeout=30)` — `fetch_host_key(host, port)` (static), `machine_id()`,
  `test_connection()`, `status(*, node_figures)`, `swap_model(model, on_progress, *, mode,
  timeout, on_log)` with `swap_progress` / `swap_log` / `swap_running`, `download_model(repo_id,
  target, revision,
  on_progress)` / `cancel_download()` / `download_progress` / `list_downloaded()`,
  `check_update()` / `apply_update(on_log)`; re-attach after a restart: `reattach_swap()`,
  `reattach_download()`, `reattach_update()`, `running_jobs()` (`JobInfo`/`JobState`),
  `service_action(key, action)`, `catalog`,
  `vllm_base_url`, `service_base_url(key)`, `close()`.
- Configuration: `ClusterConfig`, `HostConfig`, `ServiceConfig`, `Credentials`.
- Snapshots: `ClusterStatus`, `NodeStatus` (with `NodeProblem`), `GpuStats`, `MemoryStats`,
  `VllmStatus`, `ServiceStatus`, `CheckoutInfo`, `SwapProgress`/`SwapState`,
  `DownloadProgress`/`DownloadState`, `UpdateInfo`.
- Catalog: `Catalog(storage)`, `CatalogStorage` (protocol: async load/save of a JSON dict),
  `MemoryCatalogStorage`, `CatalogModel`, `ModelSettings`.
- Keys: `generate_key_pair(comment)`, `load_private_key(text, passphrase)` → `KeyPair`
  (CPU work: call from an executor).
- Errors (all `SparkError`): `SparkConnectionError`, `SparkAuthError`, `HostKeyUnknownError`,
  `HostKeyChangedError`, `CommandError`, `InvalidInputError`, `SwapInProgressError`,
  `SparkTimeoutError`, `ModelLoadError` (with `LoadFailure`), `DownloadError`, `UpdateError`.
"""

from .catalog import Catalog, CatalogStorage, MemoryCatalogStorage
from .client import SparkCluster
from .exceptions import (
    CommandError,
    DownloadError,
    HostKeyChangedError,
    HostKeyUnknownError,
    InvalidInputError,
    LoadFailure,
    ModelLoadError,
    SparkAuthError,
    SparkConnectionError,
    SparkError,
    SparkTimeoutError,
    SwapInProgressError,
    UpdateError,
)
from .jobs import JobInfo, JobState
from .keys import generate_key_pair, load_private_key
from .models import (
    CacheOwnershipProblem,
    CatalogModel,
    CheckoutInfo,
    ClusterConfig,
    ClusterStatus,
    Credentials,
    DownloadProgress,
    DownloadState,
    GpuStats,
    HostConfig,
    KeyPair,
    LaunchMode,
    MemoryStats,
    ModelSettings,
    NodeProblem,
    NodeStatus,
    ServiceAction,
    ServiceConfig,
    ServiceKey,
    ServiceStatus,
    SwapProgress,
    SwapState,
    UpdateInfo,
    VllmStatus,
)

__all__ = [
    "CacheOwnershipProblem",
    "Catalog",
    "CatalogModel",
    "CatalogStorage",
    "CheckoutInfo",
    "ClusterConfig",
    "ClusterStatus",
    "CommandError",
    "Credentials",
    "DownloadError",
    "DownloadProgress",
    "DownloadState",
    "GpuStats",
    "HostConfig",
    "HostKeyChangedError",
    "HostKeyUnknownError",
    "InvalidInputError",
    "JobInfo",
    "JobState",
    "KeyPair",
    "LaunchMode",
    "LoadFailure",
    "MemoryCatalogStorage",
    "MemoryStats",
    "ModelLoadError",
    "ModelSettings",
    "NodeProblem",
    "NodeStatus",
    "ServiceAction",
    "ServiceConfig",
    "ServiceKey",
    "ServiceStatus",
    "SparkAuthError",
    "SparkCluster",
    "SparkConnectionError",
    "SparkError",
    "SparkTimeoutError",
    "SwapInProgressError",
    "SwapProgress",
    "SwapState",
    "UpdateError",
    "UpdateInfo",
    "VllmStatus",
    "generate_key_pair",
    "load_private_key",
]
