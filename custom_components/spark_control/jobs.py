"""Long work (model swap, download, update install) driven here, published as activity.

Jobs run as entry background tasks (swap, download) or under the caller (install); every
change reaches entities through the activity coordinator, and bus events mark transitions.
This module does not import the coordinators: it writes to an `ActivitySink`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from typing import Any, Protocol

from homeassistant.config_entries import ConfigEntry
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
    UpdateInfo,
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
from .helpers import sanitize
from .models import InstallProgress, SparkActivity

Change = Callable[[SparkActivity], SparkActivity]


class ActivitySink(Protocol):
    """Where job progress goes (the activity coordinator)."""

    @property
    def latest(self) -> SparkActivity:
        """The newest activity, published or not."""

    def async_change(self, change: Change, *, now: bool = False) -> None:
        """Apply a change; `now` publishes at once (a transition)."""


class SparkJobs:
    """Starts swaps and downloads without holding the caller, runs installs, reports progress."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry,
        client: SparkCluster,
        activity: ActivitySink,
        *,
        worker_reachable: Callable[[], bool],
        offer_catalog_entry: Callable[[str, LaunchMode], None],
    ) -> None:
        """Bind to the entry (task owner), its client and where progress goes.

        `offer_catalog_entry(repo_id, mode)` is called for a finished download that is not in
        the catalog (the repairs module's "Add to catalog" issue).
        """
        self.hass = hass
        self.entry = entry
        self.client = client
        self.activity = activity
        self._worker_reachable = worker_reachable
        self._offer_catalog_entry = offer_catalog_entry
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

    @property
    def install_running(self) -> bool:
        """Whether an update install runs."""
        return self.activity.latest.install_running

    # --- swap ------------------------------------------------------------------------------

    def resolve_model(self, model: str) -> str:
        """The catalog key of `model` (key or repo id); ServiceValidationError if unknown."""
        found = self.client.catalog.get(model)
        if found is None:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="unknown_model",
                translation_placeholders={"model": sanitize(model, 200)},
            )
        return found.key

    @callback
    def async_start_swap(self, model: str) -> None:
        """Validate, then swap in the background; a second swap is refused."""
        key = self.resolve_model(model)
        if self.swap_running:
            raise HomeAssistantError(translation_domain=DOMAIN, translation_key="swap_in_progress")
        found = self.client.catalog.get(key)
        if found is not None and found.mode == "cluster" and not self._worker_reachable():
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="worker_unreachable",
                translation_placeholders={"model": found.repo_id},
            )
        self._last_swap_state = None
        self.activity.async_change(lambda a: replace(a, swap_running=True), now=True)
        self._swap_task = self.entry.async_create_background_task(
            self.hass, self._run_swap(key), f"{DOMAIN} swap to {key}"
        )

    async def _run_swap(self, key: str) -> None:
        timeout = self.entry.options.get(CONF_SWAP_TIMEOUT, DEFAULT_SWAP_TIMEOUT)
        try:
            result = await self.client.swap_model(key, self._on_swap_progress, timeout=timeout)
        except SwapInProgressError:
            LOGGER.warning("A model swap was already running on the Sparks")
        except SparkError as err:
            LOGGER.error("Model swap to %s failed: %s", key, sanitize(err))
            self._on_swap_progress(self.client.swap_progress)
        else:
            self._on_swap_progress(result)
            ir.async_delete_issue(self.hass, DOMAIN, f"{ISSUE_RESTART_MODEL}_{self.entry.entry_id}")
        finally:
            self._swap_task = None
            self.activity.async_change(lambda a: replace(a, swap_running=False), now=True)

    @callback
    def _on_swap_progress(self, progress: SwapProgress) -> None:
        transition = progress.state != self._last_swap_state
        if transition:
            self._last_swap_state = progress.state
            self.hass.bus.async_fire(
                EVENT_SWAP,
                {
                    "config_entry_id": self.entry.entry_id,
                    "state": progress.state.value,
                    "model": progress.model,
                    "error": None if progress.error is None else sanitize(progress.error),
                },
            )
        self.activity.async_change(lambda a: replace(a, swap=progress), now=transition)

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
        self.activity.async_change(lambda a: replace(a, download_running=True), now=True)
        self._download_task = self.entry.async_create_background_task(
            self.hass,
            self._run_download(repo_id, target, revision, add_to_catalog, name),
            f"{DOMAIN} download {repo_id}",
        )

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
                    self.async_catalog_changed()
                else:  # the seed's "Add to catalog" dialog, as a fixable repair issue
                    self._offer_catalog_entry(repo_id, target)
        except SparkError as err:
            LOGGER.error("Download of %s failed: %s", repo_id, sanitize(err))
            progress = self.client.download_progress
            if progress is not None:
                self._on_download_progress(progress)
        finally:
            self._download_task = None
            self.activity.async_change(lambda a: replace(a, download_running=False), now=True)

    @callback
    def _on_download_progress(self, progress: DownloadProgress) -> None:
        marker = (progress.state, int(progress.percent or 0))
        if marker != self._last_download_event:
            transition = (
                self._last_download_event is None or marker[0] != self._last_download_event[0]
            )
            self._last_download_event = marker
            self.hass.bus.async_fire(EVENT_DOWNLOAD, download_event_data(self.entry, progress))
        else:
            transition = False
        self.activity.async_change(lambda a: replace(a, download=progress), now=transition)

    async def async_cancel_download(self) -> None:
        """Cancel the running download; ServiceValidationError when none runs."""
        if not self.download_running:
            raise ServiceValidationError(translation_domain=DOMAIN, translation_key="no_download")
        await self.client.cancel_download()

    # --- update install ----------------------------------------------------------------

    async def async_install(self) -> UpdateInfo:
        """`git pull` + build under the caller; progress is published as it streams."""
        if self.install_running:
            raise HomeAssistantError(
                translation_domain=DOMAIN, translation_key="install_in_progress"
            )
        self.activity.async_change(lambda a: replace(a, install=InstallProgress()), now=True)
        try:
            info = await self.client.apply_update(self._on_install_log)
        except SparkError as err:
            self._end_install(sanitize(err))
            raise
        except BaseException:
            self._end_install("cancelled")
            raise
        self._end_install(None)
        return info

    @callback
    def _on_install_log(self, line: str) -> None:
        text = sanitize(line)

        def change(activity: SparkActivity) -> SparkActivity:
            install = activity.install or InstallProgress()
            return replace(
                activity,
                install=replace(install, log_lines=install.log_lines + 1, last_log_line=text),
            )

        self.activity.async_change(change)

    @callback
    def _end_install(self, error: str | None) -> None:
        def change(activity: SparkActivity) -> SparkActivity:
            install = activity.install or InstallProgress()
            return replace(activity, install=replace(install, running=False, error=error))

        self.activity.async_change(change, now=True)

    # --- catalog -----------------------------------------------------------------------

    @callback
    def async_catalog_changed(self) -> None:
        """Publish the catalog after an edit (select options, diagnostics)."""
        models = tuple(self.client.catalog.models())
        self.activity.async_change(lambda a: replace(a, catalog=models), now=True)

    async def async_shutdown(self) -> None:
        """Cancel our tasks before the client closes (unload)."""
        for task in (self._swap_task, self._download_task):
            if task is not None and not task.done():
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)


def download_event_data(entry: ConfigEntry, progress: DownloadProgress) -> dict[str, Any]:
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
        "error": None if progress.error is None else sanitize(progress.error),
    }
