"""Long work (model swap, download, update install) driven here, published as activity.

Jobs run as entry background tasks (swap, download) or under the caller (install); every
change reaches entities through the activity coordinator, and bus events mark transitions.
This module does not import the coordinators: it writes to an `ActivitySink`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
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
    EVENT_DOWNLOAD_PROGRESS,
    EVENT_SWAP,
    ISSUE_RESTART_MODEL,
    LOGGER,
)
from .helpers import sanitize
from .intents import DownloadIntent, JobIntents, SwapIntent
from .models import InstallProgress, SparkActivity

Change = Callable[[SparkActivity], SparkActivity]


# How long a new download waits for an ended one to finish its bookkeeping.
SETTLE_SECONDS = 10.0


class ActivitySink(Protocol):
    """Where job progress goes (the activity coordinator)."""

    @property
    def latest(self) -> SparkActivity:
        """The newest activity, published or not."""

    def async_change(self, change: Change, *, now: bool = False) -> None:
        """Apply a change; `now` publishes at once (a transition)."""


class JobFeed(Protocol):
    """Where log lines and progress go as they happen (the panel's feed)."""

    def swap_reset(self) -> None:
        """A swap begins."""

    def swap_line(self, line: str) -> None:
        """One vLLM log line of the running swap."""

    def swap_changed(self) -> None:
        """The swap's progress or running flag changed."""

    def download_changed(self) -> None:
        """A download progress report, or its start or end."""

    def install_reset(self) -> None:
        """An update install begins."""

    def install_line(self, line: str) -> None:
        """One line of the update's build log."""


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
        intents: JobIntents,
        vllm_leaving: Callable[[bool], None],
        feed: JobFeed,
    ) -> None:
        """Bind to the entry (task owner), its client and where progress goes.

        `offer_catalog_entry(repo_id, mode)` is called for a finished download that is not in
        the catalog (the repairs module's "Add to catalog" issue). `intents` keeps what the user
        asked for until a job ends (honoured after a restart); `vllm_leaving(True)` marks vLLM
        not ready and its model gone in the polled status from the moment a swap starts until
        `vllm_leaving(False)` at its end. `feed` receives log lines and progress at once (the
        activity coordinator coalesces them).
        """
        self.hass = hass
        self.entry = entry
        self.client = client
        self.activity = activity
        self.intents = intents
        self.feed = feed
        self._worker_reachable = worker_reachable
        self._offer_catalog_entry = offer_catalog_entry
        self._vllm_leaving = vllm_leaving
        self._install_task: asyncio.Task[None] | None = None
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
                translation_placeholders={"model": sanitize(model, 200), "field": "model"},
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
        self.intents.async_set_swap(SwapIntent(model=key))
        self._vllm_leaving(True)  # no stale readiness: the old model is going away now
        self.feed.swap_reset()
        self.activity.async_change(lambda a: replace(a, swap_running=True), now=True)
        self._swap_task = self.entry.async_create_background_task(
            self.hass, self._run_swap(key), f"{DOMAIN} swap to {key}"
        )
        self.feed.swap_changed()

    async def _run_swap(self, key: str) -> None:
        timeout = self.entry.options.get(CONF_SWAP_TIMEOUT, DEFAULT_SWAP_TIMEOUT)
        try:
            result = await self.client.swap_model(
                key, self._on_swap_progress, timeout=timeout, on_log=self.feed.swap_line
            )
        except SwapInProgressError:
            LOGGER.warning("A model swap was already running on the Sparks")
        except SparkError as err:
            LOGGER.error("Model swap to %s failed: %s", key, sanitize(err))
            self._on_swap_progress(self.client.swap_progress)
        else:
            self._on_swap_progress(result)
            ir.async_delete_issue(self.hass, DOMAIN, f"{ISSUE_RESTART_MODEL}_{self.entry.entry_id}")
        finally:
            self._swap_ended()

    @callback
    def _swap_ended(self) -> None:
        self._swap_task = None
        self._vllm_leaving(False)
        if not _cancelling():  # an unload or a shutdown: the launch runs on, keep the intent
            self.intents.async_set_swap(None)
        self.activity.async_change(lambda a: replace(a, swap_running=False), now=True)
        self.feed.swap_changed()

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
        self.feed.swap_changed()

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
        intent = DownloadIntent(
            repo_id=repo_id,
            target=target,
            revision=revision,
            add_to_catalog=add_to_catalog,
            name=name,
            mode=target,
        )
        self.intents.async_set_download(intent)
        self.activity.async_change(lambda a: replace(a, download_running=True), now=True)
        self._begin_download(
            self.client.download_model(repo_id, target, revision, self._on_download_progress),
            intent,
        )

    @callback
    def _begin_download(
        self, job: Coroutine[Any, Any, DownloadProgress | None], intent: DownloadIntent | None
    ) -> None:
        self._last_download_event = None
        self._download_task = self.entry.async_create_background_task(
            self.hass, self._run_download(job, intent), f"{DOMAIN} download"
        )
        self.feed.download_changed()

    async def _run_download(
        self, job: Coroutine[Any, Any, DownloadProgress | None], intent: DownloadIntent | None
    ) -> None:
        try:
            result = await job
            if result is None:  # re-attach found nothing on the Sparks
                await self._settle_orphan_intent(intent)
                return
            self._on_download_progress(result)
            if intent is not None and intent.repo_id != result.repo_id:
                intent = None  # the Sparks ran another download than the one recorded
            if result.state == DownloadState.COMPLETED:
                await self._download_completed(result.repo_id, result.target, intent)
            self.intents.async_set_download(None)
        except SparkError as err:
            progress = self.client.download_progress
            repo = progress.repo_id if progress is not None else intent.repo_id if intent else "?"
            LOGGER.error("Download of %s failed: %s", repo, sanitize(err))
            if progress is not None:
                self._on_download_progress(progress)
            if progress is None or progress.state is not DownloadState.RUNNING:
                self.intents.async_set_download(None)
        finally:
            self._download_task = None
            if self.activity.latest.download_running:
                self.activity.async_change(lambda a: replace(a, download_running=False), now=True)
            self.feed.download_changed()

    async def _download_completed(
        self, repo_id: str, target: LaunchMode, intent: DownloadIntent | None
    ) -> None:
        """Honour the intent: add the model to the catalog, or offer to."""
        if self.client.catalog.get(repo_id) is not None:
            return
        mode: LaunchMode = target
        if intent is not None and intent.mode in ("solo", "cluster"):
            mode = "cluster" if intent.mode == "cluster" else "solo"
        if intent is not None and intent.add_to_catalog:
            await self.client.catalog.add(repo_id, name=intent.name, mode=mode)
            self.async_catalog_changed()
        else:  # the seed's "Add to catalog" dialog, as a fixable repair issue
            self._offer_catalog_entry(repo_id, mode)

    async def _settle_orphan_intent(self, intent: DownloadIntent | None) -> None:
        """An intent whose job is gone: it completed (honour it) or it is stale (drop it)."""
        if intent is None:
            return
        try:
            present = intent.repo_id in await self.client.list_downloaded()
        except SparkError:
            return  # keep the intent: the Sparks answer again at the next setup
        if present:
            mode: LaunchMode = "cluster" if intent.target == "cluster" else "solo"
            await self._download_completed(intent.repo_id, mode, intent)
        self.intents.async_set_download(None)

    @callback
    def _on_download_progress(self, progress: DownloadProgress) -> None:
        """Events and state: one bus event per transition (the logbook line), one progress
        event per whole percent; the sensor is written per whole percent, at most once a
        second (the activity coordinator coalesces)."""
        self.feed.download_changed()  # every report: bytes, rate and ETA move between percents
        marker = (progress.state, int(progress.percent or 0))
        if marker == self._last_download_event:
            return
        transition = self._last_download_event is None or marker[0] != self._last_download_event[0]
        self._last_download_event = marker
        data = download_event_data(self.entry, progress)
        self.hass.bus.async_fire(EVENT_DOWNLOAD if transition else EVENT_DOWNLOAD_PROGRESS, data)
        running = progress.state is DownloadState.RUNNING
        self.activity.async_change(
            lambda a: replace(a, download=progress, download_running=running or a.download_running),
            now=transition,
        )

    async def async_settle_download(self) -> None:
        """Let a download whose final state is already out finish its bookkeeping.

        The cancelled/completed/failed event reaches the bus (and the user) before the task has
        honoured or cleared its intent; a new download asked for in that moment must wait for
        it, not be refused as "already running".
        """
        task, last = self._download_task, self._last_download_event
        if task is None or task.done() or last is None or last[0] is DownloadState.RUNNING:
            return
        await asyncio.wait({task}, timeout=SETTLE_SECONDS)

    async def async_cancel_download(self) -> None:
        """Cancel the running download; ServiceValidationError when none runs."""
        if not self.download_running:
            raise ServiceValidationError(translation_domain=DOMAIN, translation_key="no_download")
        await self.client.cancel_download()

    # --- re-attach after a restart -----------------------------------------------------

    async def async_resume(self) -> None:
        """Follow what runs on the Sparks since before this setup (a restart, a reload).

        Two quick reads (the job list, the launch record) tell what is there; each download,
        update install or launch found is then followed to its end in a background task, and
        the Store's intents say what to do at the end. A Spark that does not answer now is
        asked again at the next setup.
        """
        await self.intents.async_load()
        try:
            found = await self.client.running_jobs()
            launch = await self.client.open_launch()
        except SparkError as err:
            LOGGER.warning("Could not look for work left running on the Sparks: %s", sanitize(err))
            return
        kinds = {job.kind for job in found}
        if "download" in kinds or self.intents.download is not None:
            if "download" in kinds:
                self.activity.async_change(lambda a: replace(a, download_running=True), now=True)
            self._begin_download(
                self.client.reattach_download(self._on_download_progress), self.intents.download
            )
        if launch is not None:
            self._last_swap_state = None
            self._vllm_leaving(True)
            self.feed.swap_reset()
            self.activity.async_change(lambda a: replace(a, swap_running=True), now=True)
            self._swap_task = self.entry.async_create_background_task(
                self.hass, self._resume_swap(), f"{DOMAIN} swap re-attach"
            )
        elif self.intents.swap is not None:
            LOGGER.info(
                "The model swap to %s ended while Home Assistant was away", self.intents.swap.model
            )
            self.intents.async_set_swap(None)
        if "update" in kinds:
            self.feed.install_reset()
            self.activity.async_change(lambda a: replace(a, install=InstallProgress()), now=True)
            self._install_task = self.entry.async_create_background_task(
                self.hass, self._resume_install(), f"{DOMAIN} install re-attach"
            )

    async def _resume_swap(self) -> None:
        timeout = self.entry.options.get(CONF_SWAP_TIMEOUT, DEFAULT_SWAP_TIMEOUT)
        try:
            result = await self.client.reattach_swap(
                self._on_swap_progress, timeout=timeout, on_log=self.feed.swap_line
            )
        except SparkError as err:
            LOGGER.error("The model launch found on the head failed: %s", sanitize(err))
            self._on_swap_progress(self.client.swap_progress)
        else:
            if result is not None:
                self._on_swap_progress(result)
        finally:
            self._swap_ended()

    async def _resume_install(self) -> None:
        try:
            await self.client.reattach_update(self._on_install_log)
        except SparkError as err:
            self._end_install(sanitize(err))
        else:
            self._end_install(None)
        finally:
            self._install_task = None

    # --- update install ----------------------------------------------------------------

    async def async_install(self) -> UpdateInfo:
        """`git pull` + build under the caller; progress is published as it streams."""
        if self.install_running:
            raise HomeAssistantError(
                translation_domain=DOMAIN, translation_key="install_in_progress"
            )
        self.feed.install_reset()
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
        self.feed.install_line(line)
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
        """Cancel our tasks before the client closes (unload); the jobs run on, on the Sparks."""
        for task in (self._swap_task, self._download_task, self._install_task):
            if task is not None and not task.done():
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)


def _cancelling() -> bool:
    """Whether the running task is being cancelled (unload, shutdown)."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


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
