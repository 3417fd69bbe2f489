"""SparkCluster: the one object the HA layer uses to talk to a pair of Sparks."""

from __future__ import annotations

from collections.abc import Callable

import aiohttp

from .catalog import Catalog
from .models import (
    ClusterConfig,
    ClusterStatus,
    Credentials,
    DownloadProgress,
    LaunchMode,
    ServiceAction,
    ServiceKey,
    ServiceStatus,
    SwapProgress,
    UpdateInfo,
)

SwapCallback = Callable[[SwapProgress], None]
DownloadCallback = Callable[[DownloadProgress], None]
LogCallback = Callable[[str], None]


class SparkCluster:
    """A cluster of one or two Sparks: SSH per host (reused), HTTP via the given session."""

    def __init__(
        self,
        config: ClusterConfig,
        credentials: Credentials,
        *,
        session: aiohttp.ClientSession,
        catalog: Catalog | None = None,
        connect_timeout: float = 10,
        command_timeout: float = 30,
    ) -> None:
        raise NotImplementedError

    @staticmethod
    async def fetch_host_key(host: str, port: int = 22) -> tuple[str, str]:
        """(public key line, SHA256 fingerprint) of a host, for the user to confirm."""
        raise NotImplementedError

    async def machine_id(self) -> str:
        """The head's /etc/machine-id (stable unique id for the config entry)."""
        raise NotImplementedError

    async def test_connection(self) -> None:
        """SSH to every node; raises the typed error of the first failure."""
        raise NotImplementedError

    async def status(self) -> ClusterStatus:
        """One concurrent snapshot; failing parts are marked unknown, never raised."""
        raise NotImplementedError

    async def swap_model(
        self,
        model: str,
        on_progress: SwapCallback | None = None,
        *,
        mode: LaunchMode | None = None,
        timeout: float = 1800,  # noqa: ASYNC109 - the swap's overall limit, documented API
    ) -> SwapProgress:
        """Stop, launch `model` (catalog key or repo id) and follow its log until ready."""
        raise NotImplementedError

    @property
    def swap_progress(self) -> SwapProgress:
        """The latest swap progress (IDLE before the first swap)."""
        raise NotImplementedError

    @property
    def swap_log(self) -> list[str]:
        """The last lines of the current or latest swap's log."""
        raise NotImplementedError

    @property
    def swap_running(self) -> bool:
        """Whether a swap is in progress."""
        raise NotImplementedError

    async def download_model(
        self,
        repo_id: str,
        target: LaunchMode = "cluster",
        revision: str | None = None,
        on_progress: DownloadCallback | None = None,
    ) -> DownloadProgress:
        """Download a model on the head (and copy it to the worker for "cluster")."""
        raise NotImplementedError

    async def cancel_download(self) -> None:
        """Stop the running download, if any."""
        raise NotImplementedError

    @property
    def download_progress(self) -> DownloadProgress | None:
        """The current or latest download's progress."""
        raise NotImplementedError

    async def list_downloaded(self) -> list[str]:
        """Repo ids fully present in the head's Hugging Face cache."""
        raise NotImplementedError

    async def check_update(self) -> UpdateInfo:
        """Installed vs upstream spark-vllm-docker commits."""
        raise NotImplementedError

    async def apply_update(self, on_log: LogCallback | None = None) -> UpdateInfo:
        """`git pull && ./build-and-copy.sh -c`, streaming the log."""
        raise NotImplementedError

    async def service_action(self, key: ServiceKey, action: ServiceAction) -> ServiceStatus:
        """docker start/stop/restart a speech container, then its refreshed state."""
        raise NotImplementedError

    @property
    def catalog(self) -> Catalog:
        """The model catalog used to resolve swap targets."""
        raise NotImplementedError

    @property
    def vllm_base_url(self) -> str:
        """OpenAI-compatible base URL of vLLM (`http://head:8888/v1`)."""
        raise NotImplementedError

    def service_base_url(self, key: ServiceKey) -> str | None:
        """Base URL of a speech service, or None if it is not configured."""
        raise NotImplementedError

    async def close(self) -> None:
        """Close every SSH connection and cancel background work."""
        raise NotImplementedError
