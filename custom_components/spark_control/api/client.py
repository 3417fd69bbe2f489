"""SparkCluster: the one object the HA layer uses to talk to a pair of Sparks."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import aiohttp
import asyncssh

from . import commands, download, keys, services, update, validation
from .catalog import Catalog
from .connection import HostConnection, fetch_host_key
from .context import Context
from .exceptions import InvalidInputError, SparkError
from .jobs import JobInfo, NodeJobs
from .models import (
    CacheOwnershipProblem,
    CatalogModel,
    ClusterConfig,
    ClusterStatus,
    Credentials,
    DownloadProgress,
    HostConfig,
    LaunchMode,
    NodeName,
    ServiceAction,
    ServiceConfig,
    ServiceKey,
    ServiceStatus,
    SwapProgress,
    UpdateInfo,
)
from .status import StatusCollector
from .swap import SwapRunner

SwapCallback = Callable[[SwapProgress], None]
DownloadCallback = Callable[[DownloadProgress], None]
LogCallback = Callable[[str], None]


def validate_config(config: ClusterConfig) -> None:
    """Refuse a configuration with any value that could not safely reach a shell."""
    hosts: list[HostConfig] = [config.head] + ([config.worker] if config.worker else [])
    for host in hosts:
        validation.host(host.host)
        validation.port(host.port)
        validation.username(host.username)
    validation.port(config.vllm_port, "vllm_port")
    validation.relative_path(config.checkout_dir)
    for service in (config.parakeet, config.magpie, config.diarizer):
        if service is None:
            continue
        validation.host(service.host)
        validation.port(service.port)
        validation.container(service.container)
        validation.http_path(service.health_path)
        if service.bearer_token is not None:
            validation.bearer_token(service.bearer_token)
        if service.ssh_node == "worker" and config.worker is None:
            raise InvalidInputError("ssh_node", "worker", "no worker Spark is configured")


def pin_key(host: HostConfig) -> str:
    """The `known_hosts` dict key for a host."""
    return f"{host.host}:{host.port}"


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
        status_timeout: float = 10,
        stall_warning_after: float = 300,
        keepalive_interval: float = 15,
    ) -> None:
        validate_config(config)
        self._config = config
        self._credentials = credentials
        self._catalog = catalog or Catalog()
        self._key: asyncssh.SSHKey | None = None
        self._key_lock = asyncio.Lock()
        nodes: dict[NodeName, HostConnection] = {}
        roles: list[tuple[NodeName, HostConfig | None]] = [
            ("head", config.head),
            ("worker", config.worker),
        ]
        for name, host in roles:
            if host is None:
                continue
            nodes[name] = HostConnection(
                name,
                host,
                self._client_key,
                credentials.known_hosts.get(pin_key(host)),
                connect_timeout=connect_timeout,
                keepalive_interval=keepalive_interval,
            )
        self._ctx = Context(
            config=config,
            nodes=nodes,
            session=session,
            command_timeout=command_timeout,
            status_timeout=min(status_timeout, command_timeout),
        )
        self._status = StatusCollector(self._ctx)
        self._swap = SwapRunner(self._ctx, stall_after=stall_warning_after)
        self._download = download.DownloadRunner(self._ctx)
        self._update = update.UpdateRunner(self._ctx)

    async def _client_key(self) -> asyncssh.SSHKey:
        async with self._key_lock:
            if self._key is None:
                loop = asyncio.get_running_loop()
                self._key = await loop.run_in_executor(
                    None,
                    keys.import_client_key,
                    self._credentials.private_key,
                    self._credentials.passphrase,
                )
            return self._key

    @staticmethod
    async def fetch_host_key(host: str, port: int = 22) -> tuple[str, str]:
        """(public key line, SHA256 fingerprint) of a host, for the user to confirm."""
        validation.host(host)
        validation.port(port)
        return await fetch_host_key(host, port)

    @property
    def config(self) -> ClusterConfig:
        """The configuration this client was built with."""
        return self._config

    async def machine_id(self) -> str:
        """The head's /etc/machine-id (stable unique id for the config entry)."""
        result = await self._ctx.head.run(
            commands.machine_id(), name="machine-id", timeout=self._ctx.command_timeout
        )
        value = result.stdout.strip()
        if not value:
            raise SparkError("The head Spark reported an empty /etc/machine-id.")
        return value

    async def test_connection(self) -> None:
        """SSH to every node; raises the typed error of the first failure."""
        results = await asyncio.gather(
            *(conn.connection() for conn in self._ctx.nodes.values()), return_exceptions=True
        )
        for result in results:
            if isinstance(result, BaseException):
                raise result

    async def status(self, *, node_figures: bool = True) -> ClusterStatus:
        """One concurrent snapshot; failing parts are marked unknown, never raised.

        An unreachable Spark is reported, not raised: `NodeStatus.problem` says whether the
        network, the key (`AUTH_REJECTED`) or the host key (`HOST_KEY_CHANGED`) is the cause,
        so the caller decides what stops polling. `node_figures=False` skips GPU and memory
        (a lighter poll: reachability, containers, vLLM and services only).
        """
        return await self._status.collect(node_figures=node_figures)

    def resolve_model(self, model: str) -> CatalogModel:
        """A catalog entry by key or repo id; an uncatalogued valid repo id runs solo."""
        found = self._catalog.get(model) if self._catalog.loaded else None
        if found is not None:
            return found
        repo = validation.repo_id(model, "model")
        return CatalogModel(key=repo.lower(), name=repo, repo_id=repo, mode="solo")

    async def swap_model(
        self,
        model: str,
        on_progress: SwapCallback | None = None,
        *,
        mode: LaunchMode | None = None,
        timeout: float = 1800,  # noqa: ASYNC109 - the swap's overall limit, documented API
        on_log: LogCallback | None = None,
    ) -> SwapProgress:
        """Stop, launch `model` (catalog key or repo id) and follow its log until ready.

        `on_log` receives each vLLM log line as it is read. Returns the READY progress; on
        failure reports FAILED progress, then raises
        ModelLoadError (with its LoadFailure), SwapInProgressError or a connection error.
        """
        target = self.resolve_model(model)
        chosen: LaunchMode = mode or target.mode
        if chosen not in ("solo", "cluster"):
            raise InvalidInputError("mode", chosen, "must be 'solo' or 'cluster'")
        if chosen == "cluster" and self._config.worker is None:
            raise InvalidInputError("mode", chosen, "cluster mode needs a worker Spark")
        return await self._swap.run(target, chosen, on_progress, timeout, on_log)

    async def reattach_swap(
        self,
        on_progress: SwapCallback | None = None,
        *,
        timeout: float = 1800,  # noqa: ASYNC109 - the follow's overall limit
        on_log: LogCallback | None = None,
    ) -> SwapProgress | None:
        """Follow a launch left running on the head (e.g. across a restart) to its end.

        None when no launch is open; else READY progress, or FAILED progress and then the
        same errors as swap_model.
        """
        return await self._swap.reattach(on_progress, timeout, on_log)

    async def open_launch(self) -> str | None:
        """The model of a launch recorded on the head and not yet ended (None: no launch)."""
        record = await self._swap.read_record()
        return None if record is None else record["model"]

    @property
    def swap_progress(self) -> SwapProgress:
        """The latest swap progress (IDLE before the first swap)."""
        return self._swap.progress

    @property
    def swap_log(self) -> list[str]:
        """The last lines of the current or latest swap's log."""
        return list(self._swap.log)

    @property
    def swap_running(self) -> bool:
        """Whether a swap is in progress."""
        return self._swap.running

    async def download_model(
        self,
        repo_id: str,
        target: LaunchMode = "cluster",
        revision: str | None = None,
        on_progress: DownloadCallback | None = None,
    ) -> DownloadProgress:
        """Download a model on the head (and copy it to the worker for "cluster").

        Returns COMPLETED (also when already present) or CANCELLED progress; raises
        DownloadError with an actionable reason (gated repo, full disk, ...).
        """
        if target == "cluster" and self._config.worker is None:
            target = "solo"
        return await self._download.run(repo_id, target, revision, on_progress)

    async def reattach_download(
        self, on_progress: DownloadCallback | None = None
    ) -> DownloadProgress | None:
        """Follow a download found on the Sparks (running, or ended unreported) to its end.

        None when there is none; otherwise as download_model.
        """
        return await self._download.reattach(on_progress)

    async def cancel_download(self) -> None:
        """Stop the running download, also one started before a restart."""
        await self._download.cancel()

    async def running_jobs(self) -> list[JobInfo]:
        """Detached jobs (downloads, update builds) on every node, running or unreported."""
        found: list[JobInfo] = []
        for name, conn in self._ctx.nodes.items():
            found += await NodeJobs(name, conn, self._ctx.command_timeout).list_jobs()
        return found

    @property
    def download_progress(self) -> DownloadProgress | None:
        """The current or latest download's progress."""
        return self._download.progress

    @property
    def download_running(self) -> bool:
        """Whether a download is in progress."""
        return self._download.running

    async def list_downloaded(self) -> list[str]:
        """Repo ids fully present in the head's Hugging Face cache."""
        return await self._download.list_downloaded("head")

    async def check_update(self) -> UpdateInfo:
        """Installed vs upstream spark-vllm-docker commits."""
        return await update.check(self._ctx)

    async def apply_update(self, on_log: LogCallback | None = None) -> UpdateInfo:
        """`git pull && ./build-and-copy.sh -c` detached on the head, its log streamed.

        UpdateError (dirty_tree, git_failed, build_failed) with the cause on failure.
        """
        return await self._update.apply(on_log)

    async def reattach_update(self, on_log: LogCallback | None = None) -> UpdateInfo | None:
        """Follow an update job found on the head to its end; None when there is none."""
        return await self._update.reattach(on_log)

    @property
    def update_running(self) -> bool:
        """Whether this client follows an update job."""
        return self._update.running

    async def service_action(self, key: ServiceKey, action: ServiceAction) -> ServiceStatus:
        """docker start/stop/restart a speech container, then its refreshed state."""
        return await services.action(self._ctx, key, action)

    async def diagnose_crash(self, key: ServiceKey) -> CacheOwnershipProblem | None:
        """The known cache-ownership crash of a restarting speech container, if that is it."""
        return await services.diagnose_crash(self._ctx, key)

    @property
    def catalog(self) -> Catalog:
        """The model catalog used to resolve swap targets."""
        return self._catalog

    @property
    def vllm_base_url(self) -> str:
        """OpenAI-compatible base URL of vLLM (`http://head:8888/v1`)."""
        return f"http://{self._config.head.host}:{self._config.vllm_port}/v1"

    def service_base_url(self, key: ServiceKey) -> str | None:
        """Base URL of a speech service, or None if it is not configured."""
        service: ServiceConfig | None = getattr(self._config, key, None)
        if service is None:
            return None
        return f"http://{service.host}:{service.port}"

    async def close(self) -> None:
        """Close every SSH connection; running swaps/downloads fail with a connection error."""
        await asyncio.gather(*(conn.close() for conn in self._ctx.nodes.values()))
