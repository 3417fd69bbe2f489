"""Long work (model swap, download, update) as entry background tasks, with bus events."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import issue_registry as ir

from .api import (
    DownloadProgress,
    DownloadState,
    LaunchMode,
    SparkCluster,
    SparkError,
    SwapInProgressError,
    SwapProgress,
    SwapState,
)
from .const import (
    CONF_SWAP_TIMEOUT,
    DEFAULT_SWAP_TIMEOUT,
    DOMAIN,
    EVENT_DOWNLOAD,
    EVENT_SWAP,
    ISSUE_RESTART_MODEL,
    LOGGER,
)
from .repairs import async_offer_catalog_entry

if TYPE_CHECKING:
    from .coordinator import SparkConfigEntry, SparkStatusCoordinator


class SparkJobs:
    """Starts swaps and downloads without holding the caller, and reports their progress."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: SparkConfigEntry,
        client: SparkCluster,
        status: SparkStatusCoordinator,
    ) -> None:
        """Bind to the entry (task owner), its client and its status coordinator."""
        self.hass = hass
        self.entry = entry
        self.client = client
        self.status = status
        self._swap_task: asyncio.Task[None] | None = None
        self._download_task: asyncio.Task[None] | None = None
        self._last_swap_state: SwapState | None = None
        self._last_download_event: tuple[DownloadState, int] | None = None

    @property
    def swap_running(self) -> bool:
        """Whether a swap task is alive (ours or the client's)."""
        task_alive = self._swap_task is not None and not self._swap_task.done()
        return task_alive or self.client.swap_running

    @property
    def download_running(self) -> bool:
        """Whether a download task is alive."""
        return self._download_task is not None and not self._download_task.done()

    def _update_poll_rate(self) -> None:
        self.status.set_fast_poll(self.swap_running or self.download_running)

    # --- swap ------------------------------------------------------------------------------

    def resolve_model(self, model: str) -> str:
        """The catalog key of `model` (key or repo id); ServiceValidationError if unknown."""
        found = self.client.catalog.get(model)
        if found is None:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="unknown_model",
                translation_placeholders={"model": model},
            )
        return found.key

    @callback
    def async_start_swap(self, model: str) -> None:
        """Validate, then swap in the background; a second swap is refused."""
        key = self.resolve_model(model)
        if self.swap_running:
            raise HomeAssistantError(translation_domain=DOMAIN, translation_key="swap_in_progress")
        self._last_swap_state = None
        self._swap_task = self.entry.async_create_background_task(
            self.hass, self._run_swap(key), f"{DOMAIN} swap to {key}"
        )
        self._update_poll_rate()

    async def _run_swap(self, key: str) -> None:
        timeout = self.entry.options.get(CONF_SWAP_TIMEOUT, DEFAULT_SWAP_TIMEOUT)
        try:
            await self.client.swap_model(key, self._on_swap_progress, timeout=timeout)
        except SwapInProgressError:
            LOGGER.warning("A model swap was already running on the Sparks")
        except SparkError as err:
            LOGGER.error("Model swap to %s failed: %s", key, err)
            self._on_swap_progress(self.client.swap_progress)
        else:
            ir.async_delete_issue(self.hass, DOMAIN, f"{ISSUE_RESTART_MODEL}_{self.entry.entry_id}")
        finally:
            self._swap_task = None
            self._update_poll_rate()
            await self.status.async_request_refresh()

    @callback
    def _on_swap_progress(self, progress: SwapProgress) -> None:
        if progress.state != self._last_swap_state:
            self._last_swap_state = progress.state
            self.hass.bus.async_fire(
                EVENT_SWAP,
                {
                    "config_entry_id": self.entry.entry_id,
                    "state": progress.state.value,
                    "model": progress.model,
                    "error": progress.error,
                },
            )
        self.status.async_update_listeners()

    # --- download --------------------------------------------------------------------------

    @callback
    def async_start_download(
        self,
        repo_id: str,
        target: LaunchMode,
        revision: str | None,
        add_to_catalog: bool,
        name: str | None,
    ) -> None:
        """Download in the background; optionally add the model to the catalog when done."""
        if self.download_running:
            raise HomeAssistantError(
                translation_domain=DOMAIN, translation_key="download_in_progress"
            )
        self._last_download_event = None
        self._download_task = self.entry.async_create_background_task(
            self.hass,
            self._run_download(repo_id, target, revision, add_to_catalog, name),
            f"{DOMAIN} download {repo_id}",
        )
        self._update_poll_rate()

    async def _run_download(
        self,
        repo_id: str,
        target: LaunchMode,
        revision: str | None,
        add_to_catalog: bool,
        name: str | None,
    ) -> None:
        try:
            result = await self.client.download_model(
                repo_id, target, revision, self._on_download_progress
            )
            self._on_download_progress(result)
            if result.state == DownloadState.COMPLETED and self.client.catalog.get(repo_id) is None:
                if add_to_catalog:
                    await self.client.catalog.add(repo_id, name=name, mode=target)
                else:  # the seed's "Add to catalog" dialog, as a fixable repair issue
                    async_offer_catalog_entry(self.hass, self.entry, repo_id, target)
        except SparkError as err:
            LOGGER.error("Download of %s failed: %s", repo_id, err)
            progress = self.client.download_progress
            if progress is not None:
                self._on_download_progress(progress)
        finally:
            self._download_task = None
            self._update_poll_rate()
            self.status.async_update_listeners()

    @callback
    def _on_download_progress(self, progress: DownloadProgress) -> None:
        marker = (progress.state, int(progress.percent or 0))
        if marker != self._last_download_event:
            self._last_download_event = marker
            self.hass.bus.async_fire(EVENT_DOWNLOAD, download_event_data(self.entry, progress))
        self.status.async_update_listeners()

    async def async_cancel_download(self) -> None:
        """Cancel the running download; ServiceValidationError when none runs."""
        if not self.download_running:
            raise ServiceValidationError(translation_domain=DOMAIN, translation_key="no_download")
        await self.client.cancel_download()

    async def async_shutdown(self) -> None:
        """Cancel our tasks before the client closes (unload)."""
        for task in (self._swap_task, self._download_task):
            if task is not None and not task.done():
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)


def download_event_data(entry: SparkConfigEntry, progress: DownloadProgress) -> dict[str, Any]:
    """Bus event payload for download progress."""
    return {
        "config_entry_id": entry.entry_id,
        "repo_id": progress.repo_id,
        "target": progress.target,
        "state": progress.state.value,
        "percent": progress.percent,
        "bytes_done": progress.bytes_done,
        "bytes_total": progress.bytes_total,
        "rate_bps": progress.rate_bps,
        "eta_s": progress.eta_s,
        "error": progress.error,
    }
