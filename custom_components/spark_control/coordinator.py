"""Runtime data and the coordinators, split by change rate (status fast, updates slow)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, TypeAlias

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed

from .addon import probe_addon
from .api import (
    ClusterStatus,
    HostKeyChangedError,
    SparkAuthError,
    SparkCluster,
    SparkError,
    UpdateInfo,
)
from .const import (
    CONF_ADDON_TOKEN,
    CONF_ADDON_URL,
    CONF_STATUS_INTERVAL,
    CONF_UPDATE_INTERVAL,
    DEFAULT_STATUS_INTERVAL,
    DEFAULT_UPDATE_INTERVAL,
    DOMAIN,
    FAST_POLL_INTERVAL,
    ISSUE_HOST_KEY_CHANGED,
    LOGGER,
)

if TYPE_CHECKING:
    from .health import HealthLog
    from .jobs import SparkJobs


@dataclass(frozen=True, slots=True)
class SparkData:
    """One status poll: the cluster snapshot plus the add-on's readiness."""

    status: ClusterStatus
    addon_ready: bool | None


@dataclass(slots=True)
class SparkRuntimeData:
    """Everything a loaded entry owns; closed on unload."""

    client: SparkCluster
    status: SparkStatusCoordinator
    updates: SparkUpdateCoordinator
    jobs: SparkJobs
    health: HealthLog


SparkConfigEntry: TypeAlias = ConfigEntry[SparkRuntimeData]


def raise_for_spark_error(hass: HomeAssistant, entry: SparkConfigEntry, err: SparkError) -> None:
    """Map a client error of a poll to what the coordinator must raise."""
    if isinstance(err, SparkAuthError):
        raise ConfigEntryAuthFailed(
            translation_domain=DOMAIN,
            translation_key="auth_failed",
            translation_placeholders={"error": str(err)},
        ) from err
    if isinstance(err, HostKeyChangedError):
        async_report_host_key_changed(hass, entry, err)
        raise UpdateFailed(
            translation_domain=DOMAIN,
            translation_key="host_key_changed",
            translation_placeholders={"error": str(err)},
        ) from err
    raise UpdateFailed(
        translation_domain=DOMAIN,
        translation_key="update_failed",
        translation_placeholders={"error": str(err)},
    ) from err


def async_report_host_key_changed(
    hass: HomeAssistant, entry: ConfigEntry, err: HostKeyChangedError
) -> None:
    """Raise a repair issue: the user must re-confirm the key (reconfigure)."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        f"{ISSUE_HOST_KEY_CHANGED}_{entry.entry_id}",
        is_fixable=False,
        severity=ir.IssueSeverity.ERROR,
        translation_key=ISSUE_HOST_KEY_CHANGED,
        translation_placeholders={"host": f"{err.host}:{err.port}", "error": str(err)},
    )


class SparkStatusCoordinator(DataUpdateCoordinator[SparkData]):
    """Health, model, metrics, GPU and memory: polled every few seconds, faster during jobs."""

    config_entry: SparkConfigEntry

    def __init__(self, hass: HomeAssistant, entry: SparkConfigEntry, client: SparkCluster) -> None:
        """Poll at the configured interval."""
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

    def set_fast_poll(self, fast: bool) -> None:
        """Poll every FAST_POLL_INTERVAL while a swap, download or update runs."""
        self.update_interval = FAST_POLL_INTERVAL if fast else self.normal_interval

    async def _async_update_data(self) -> SparkData:
        try:
            status = await self.client.status()
        except SparkError as err:
            raise_for_spark_error(self.hass, self.config_entry, err)
            raise  # pragma: no cover - raise_for_spark_error always raises
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
        return SparkData(status=status, addon_ready=addon_ready)


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
            raise_for_spark_error(self.hass, self.config_entry, err)
            raise  # pragma: no cover - raise_for_spark_error always raises
