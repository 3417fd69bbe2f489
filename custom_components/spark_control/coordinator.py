"""Runtime data and the three coordinators every entity reads.

- status: polled (health, model, metrics, GPU, memory); fails when no Spark answers.
- updates: polled every few hours (spark-vllm-docker installed vs upstream).
- activity: pushed, never polled (swap, download and install progress, catalog, health
  reports); it alone decides whether the status poll runs fast.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import TYPE_CHECKING, Final, NoReturn, TypeAlias

from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed, ConfigEntryError
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed

from .addon import probe_addon
from .api import (
    ClusterStatus,
    HostKeyChangedError,
    HostKeyUnknownError,
    NodeProblem,
    NodeStatus,
    SparkAuthError,
    SparkCluster,
    SparkError,
    UpdateInfo,
    VllmStatus,
)
from .const import (
    CONF_ADDON_TOKEN,
    CONF_ADDON_URL,
    CONF_STATUS_INTERVAL,
    CONF_UPDATE_INTERVAL,
    DEFAULT_STATUS_INTERVAL,
    DEFAULT_UPDATE_INTERVAL,
    DOMAIN,
    EVENT_HEALTH_CHANGE,
    EVENT_HEALTH_REPORT,
    FAST_POLL_INTERVAL,
    ISSUE_HOST_KEY_CHANGED,
    LOGGER,
)
from .health import HealthReport
from .helpers import error_placeholders, sanitize
from .jobs import SparkJobs
from .models import SparkActivity, SparkData

if TYPE_CHECKING:
    from .feed import SparkFeed

# Progress (log lines, percentages) reaches entities at most this often; transitions at once.
ACTIVITY_MIN_INTERVAL: Final = 1.0


@dataclass(slots=True)
class SparkRuntimeData:
    """Everything a loaded entry owns; closed on unload."""

    client: SparkCluster
    status: SparkStatusCoordinator
    updates: SparkUpdateCoordinator
    activity: SparkActivityCoordinator
    jobs: SparkJobs
    feed: SparkFeed


SparkConfigEntry: TypeAlias = ConfigEntry[SparkRuntimeData]


def async_report_host_key_changed(
    hass: HomeAssistant, entry: ConfigEntry, host: str, error: str
) -> None:
    """Raise a repair issue: the user must re-confirm the key (reconfigure)."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        f"{ISSUE_HOST_KEY_CHANGED}_{entry.entry_id}",
        is_fixable=False,
        severity=ir.IssueSeverity.ERROR,
        translation_key=ISSUE_HOST_KEY_CHANGED,
        translation_placeholders={"host": host, "error": sanitize(error)},
    )


def _raise_poll_error(hass: HomeAssistant, entry: SparkConfigEntry, err: SparkError) -> NoReturn:
    """A poll that raised: rejected key → reauth, changed host key → repair, else retry."""
    if isinstance(err, SparkAuthError):
        raise ConfigEntryAuthFailed(
            translation_domain=DOMAIN,
            translation_key="auth_failed",
            translation_placeholders=error_placeholders(err),
        ) from err
    if isinstance(err, HostKeyChangedError | HostKeyUnknownError):
        _stop_for_host_key(hass, entry, f"{err.host}:{err.port}", str(err))
    raise UpdateFailed(
        translation_domain=DOMAIN,
        translation_key="update_failed",
        translation_placeholders=error_placeholders(err),
    ) from err


def _stop_for_host_key(
    hass: HomeAssistant, entry: SparkConfigEntry, host: str, error: str
) -> NoReturn:
    """Repair issue, then stop: setup refuses the key; a running entry reloads into that."""
    async_report_host_key_changed(hass, entry, host, error)
    if entry.state is ConfigEntryState.SETUP_IN_PROGRESS:
        raise ConfigEntryError(
            translation_domain=DOMAIN,
            translation_key="host_key_changed",
            translation_placeholders={"error": sanitize(error)},
        )
    hass.config_entries.async_schedule_reload(entry.entry_id)
    raise UpdateFailed(
        translation_domain=DOMAIN,
        translation_key="host_key_changed",
        translation_placeholders={"error": sanitize(error)},
    )


class SparkStatusCoordinator(DataUpdateCoordinator[SparkData]):
    """Health, model, metrics, GPU and memory: polled every few seconds, faster during jobs."""

    config_entry: SparkConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: SparkConfigEntry,
        client: SparkCluster,
        feed: SparkFeed | None = None,
    ) -> None:
        """Poll at the configured interval; transitions also go to `feed` (the panel)."""
        self.feed = feed
        self.normal_interval = timedelta(
            seconds=entry.options.get(CONF_STATUS_INTERVAL, DEFAULT_STATUS_INTERVAL)
        )
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} status",
            update_interval=self.normal_interval,
        )
        self.client = client
        self._lost: set[str] = set()
        self._figures_at: float | None = None
        self._vllm_leaving = False

    @callback
    def async_set_vllm_leaving(self, leaving: bool) -> None:
        """While a swap runs, report vLLM not ready and its old model gone (discovery too).

        Set when a model is chosen, so no client is sent to a vLLM that is being stopped (it
        still answers for seconds); cleared when the swap ends, and the next poll shows the
        truth again.
        """
        self._vllm_leaving = leaving
        if leaving and self.data is not None:
            self.async_set_updated_data(self._masked(self.data))

    def _masked(self, data: SparkData) -> SparkData:
        if not self._vllm_leaving:
            return data
        return replace(data, status=replace(data.status, vllm=VllmStatus(ready=False)))

    def set_fast_poll(self, fast: bool) -> None:
        """Poll every FAST_POLL_INTERVAL while a job runs (decided by the activity coordinator)."""
        self.update_interval = FAST_POLL_INTERVAL if fast else self.normal_interval

    async def _async_update_data(self) -> SparkData:
        # GPU and memory figures refresh at the normal interval; the fast polls in between
        # (during jobs) check reachability, vLLM and the services and keep the last figures.
        now = time.monotonic()
        figures = (
            self.update_interval == self.normal_interval
            or self.data is None
            or not self.last_update_success
            or self._figures_at is None
            or now - self._figures_at >= self.normal_interval.total_seconds()
            or not all(node.reachable for node in self.data.status.nodes.values())
        )
        try:
            status = await self.client.status(node_figures=figures)
        except SparkError as err:
            _raise_poll_error(self.hass, self.config_entry, err)
        if figures:
            self._figures_at = now
        else:
            status = _keep_figures(status, self.data.status)
        self._check_nodes(status)
        addon_url = self.config_entry.data.get(CONF_ADDON_URL)
        addon_ready = (
            await probe_addon(
                async_get_clientsession(self.hass),
                addon_url,
                self.config_entry.data.get(CONF_ADDON_TOKEN),
            )
            if addon_url
            else None
        )
        self._log_changes(status, addon_ready)
        return self._masked(SparkData(status=status, addon_ready=addon_ready))

    def _check_nodes(self, status: ClusterStatus) -> None:
        """Credentials first (they stop polling), then fail when no Spark answers at all."""
        nodes = list(status.nodes.values())
        for node in nodes:
            if node.problem is NodeProblem.AUTH_REJECTED:
                raise ConfigEntryAuthFailed(
                    translation_domain=DOMAIN,
                    translation_key="auth_failed",
                    translation_placeholders={"error": sanitize(node.detail or "")},
                )
            if node.problem in (NodeProblem.HOST_KEY_CHANGED, NodeProblem.HOST_KEY_UNKNOWN):
                config = self.client.config
                host = config.worker if node.name == "worker" else config.head
                where = node.name if host is None else f"{host.host}:{host.port}"
                _stop_for_host_key(self.hass, self.config_entry, where, node.detail or "")
        if nodes and not any(node.reachable for node in nodes):
            self._log_changes(status, None)
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="cluster_unreachable",
                translation_placeholders={
                    "error": " / ".join(sanitize(node.detail or "") for node in nodes)
                },
            )

    def _log_changes(self, status: ClusterStatus, addon_ready: bool | None) -> None:
        """One warning when a Spark or service is lost, one info line when it is back.

        A check whose answer is unknown (None) changes nothing; with no Spark reachable only
        the Sparks themselves are judged.
        """
        # key (the connectivity log's service name) -> (subject in the log, up?, reason)
        checks: dict[str, tuple[str, bool | None, str]] = {
            node.name: (f"Spark {node.name}", node.reachable, _node_reason(node))
            for node in status.nodes.values()
        }
        if any(node.reachable for node in status.nodes.values()):
            head = status.nodes.get("head")
            vllm_up = status.vllm.ready if head is not None and head.reachable else None
            failure = status.vllm.failure
            checks["vllm"] = (
                "vLLM",
                vllm_up,
                f"its engine failed: {sanitize(failure)}" if failure else "not serving",
            )
            for key, service in status.services.items():
                checks[key] = (key.capitalize(), service.ready, "not answering its readiness check")
            checks["addon"] = ("Diarizer add-on", addon_ready, "not answering /health")
        for key, (subject, up, reason) in checks.items():
            if up is False and subject not in self._lost:
                self._lost.add(subject)
                LOGGER.warning("%s is unavailable: %s", subject, reason)
                self._transition(key, False, reason)
            elif up is True and subject in self._lost:
                self._lost.discard(subject)
                LOGGER.info("%s is available again", subject)
                self._transition(key, True, None)

    def _transition(self, key: str, up: bool, reason: str | None) -> None:
        if self.feed is not None:
            self.feed.transition("diarizer" if key == "addon" else key, up, reason)


def _keep_figures(status: ClusterStatus, previous: ClusterStatus) -> ClusterStatus:
    """A light poll's snapshot with the last GPU and memory figures of each reachable Spark."""
    nodes = dict(status.nodes)
    for name, node in status.nodes.items():
        before = previous.nodes.get(name)
        if node.reachable and before is not None and before.reachable:
            nodes[name] = replace(node, gpu=before.gpu, memory=before.memory)
    return replace(status, nodes=nodes)


def _node_reason(node: NodeStatus) -> str:
    return sanitize(node.detail or (node.problem or NodeProblem.UNREACHABLE).value)


class SparkUpdateCoordinator(DataUpdateCoordinator[UpdateInfo]):
    """spark-vllm-docker installed vs upstream: checked every few hours (git fetch)."""

    config_entry: SparkConfigEntry

    def __init__(self, hass: HomeAssistant, entry: SparkConfigEntry, client: SparkCluster) -> None:
        """Check at the configured interval."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} updates",
            update_interval=timedelta(
                minutes=entry.options.get(CONF_UPDATE_INTERVAL, DEFAULT_UPDATE_INTERVAL)
            ),
        )
        self.client = client

    async def _async_update_data(self) -> UpdateInfo:
        try:
            return await self.client.check_update()
        except SparkError as err:
            _raise_poll_error(self.hass, self.config_entry, err)


class SparkActivityCoordinator(DataUpdateCoordinator[SparkActivity]):
    """Jobs, catalog and health reports, pushed by the integration (never polled).

    Changes are coalesced: transitions are published at once, progress at most once per
    ACTIVITY_MIN_INTERVAL, so a chatty log does not write state per line. Each publish also
    sets the status poll rate: fast while any job runs.
    """

    config_entry: SparkConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: SparkConfigEntry,
        status: SparkStatusCoordinator,
        initial: SparkActivity,
        feed: SparkFeed | None = None,
    ) -> None:
        """Start from `initial` (the loaded catalog); health reports also go to `feed`."""
        super().__init__(
            hass, LOGGER, config_entry=entry, name=f"{DOMAIN} activity", update_interval=None
        )
        self.data = initial
        self.feed = feed
        self._status = status
        self._pending: SparkActivity | None = None
        self._published_at = 0.0
        self._flush: asyncio.TimerHandle | None = None
        self._poll_now: asyncio.Task[None] | None = None

    @property
    def latest(self) -> SparkActivity:
        """The newest activity, including a change not yet published."""
        return self._pending if self._pending is not None else self.data

    @callback
    def async_change(
        self, change: Callable[[SparkActivity], SparkActivity], *, now: bool = False
    ) -> None:
        """Apply `change` to the newest activity; publish now or within the interval."""
        new = change(self.latest)
        wait = ACTIVITY_MIN_INTERVAL - (time.monotonic() - self._published_at)
        if now or wait <= 0:
            self._publish(new)
            return
        self._pending = new
        if self._flush is None:
            self._flush = self.hass.loop.call_later(wait, self._publish_pending)

    @callback
    def _publish_pending(self) -> None:
        self._flush = None
        if self._pending is not None:
            self._publish(self._pending)

    @callback
    def _publish(self, activity: SparkActivity) -> None:
        if self._flush is not None:
            self._flush.cancel()
            self._flush = None
        self._pending = None
        self._published_at = time.monotonic()
        self._status.set_fast_poll(activity.busy)
        if activity.busy != self.data.busy and self.config_entry.state is ConfigEntryState.LOADED:
            # A job started or the last one ended: poll at the new rate, starting now.
            self._poll_now = self.config_entry.async_create_background_task(
                self.hass, self._status.async_request_refresh(), f"{DOMAIN} poll after job change"
            )
        self.async_set_updated_data(activity)

    @callback
    def async_record_health(self, report: HealthReport) -> None:
        """A health report (HTTP view or webhook): count it, show it, put it on the bus.

        Every report fires EVENT_HEALTH_REPORT and counts; only one that flips its service
        between ok and failed also fires EVENT_HEALTH_CHANGE (the logbook's line) and is shown
        at once; the others reach the sensors coalesced, at most once a second.
        """
        changed = self.latest.health.changes(report)
        self.async_change(
            lambda activity: replace(activity, health=activity.health.with_report(report)),
            now=changed,
        )
        if self.feed is not None:
            self.feed.health_report(report, changed)
        data = report.as_event_data(self.config_entry.entry_id)
        self.hass.bus.async_fire(EVENT_HEALTH_REPORT, data)
        if changed:
            self.hass.bus.async_fire(EVENT_HEALTH_CHANGE, data)

    async def async_shutdown(self) -> None:
        """Drop a pending publish and a poll it started (unload, before the client closes)."""
        if self._flush is not None:
            self._flush.cancel()
            self._flush = None
        if self._poll_now is not None and not self._poll_now.done():
            self._poll_now.cancel()
            await asyncio.gather(self._poll_now, return_exceptions=True)
        await super().async_shutdown()
