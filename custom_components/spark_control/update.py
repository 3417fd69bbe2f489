"""The spark-vllm-docker update entity: commits behind upstream, changelog, install."""

from __future__ import annotations

from typing import Any

from homeassistant.components.update import (
    UpdateEntity,
    UpdateEntityDescription,
    UpdateEntityFeature,
)
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .api import SparkError, UpdateInfo
from .const import DOMAIN, ISSUE_RESTART_MODEL, LOGGER, NODE_HEAD
from .coordinator import SparkConfigEntry, SparkUpdateCoordinator
from .entity import device_info

PARALLEL_UPDATES = 1

SPARK_VLLM_DOCKER = UpdateEntityDescription(
    key="spark_vllm_docker", translation_key="spark_vllm_docker"
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SparkConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """One update entity on the head Spark."""
    async_add_entities([SparkVllmDockerUpdate(entry)])


class SparkVllmDockerUpdate(CoordinatorEntity[SparkUpdateCoordinator], UpdateEntity):
    """Installed vs upstream commit; installing pulls and rebuilds the vLLM image."""

    _attr_has_entity_name = True
    _attr_supported_features = (
        UpdateEntityFeature.INSTALL
        | UpdateEntityFeature.PROGRESS
        | UpdateEntityFeature.RELEASE_NOTES
    )
    entity_description = SPARK_VLLM_DOCKER

    def __init__(self, entry: SparkConfigEntry) -> None:
        """Attach to the head Spark, where the checkout lives."""
        super().__init__(entry.runtime_data.updates)
        self._attr_unique_id = f"{entry.unique_id}_{NODE_HEAD}_{SPARK_VLLM_DOCKER.key}"
        self._attr_device_info = device_info(entry, NODE_HEAD)
        self._log_lines = 0

    @property
    def _info(self) -> UpdateInfo | None:
        return self.coordinator.data

    @property
    def installed_version(self) -> str | None:
        """The checkout's short commit."""
        return None if self._info is None else self._info.installed

    @property
    def latest_version(self) -> str | None:
        """Upstream's short commit (the installed one when up to date)."""
        info = self._info
        if info is None:
            return None
        return info.installed if info.behind == 0 else info.upstream

    @property
    def release_summary(self) -> str | None:
        """'N commits behind'."""
        info = self._info
        if info is None or info.behind == 0:
            return None
        return f"{info.behind} commits behind upstream"

    async def async_release_notes(self) -> str | None:
        """The one-line changelog of the commits not yet installed."""
        info = self._info
        if info is None or not info.changelog:
            return None
        return "\n".join(f"- {line}" for line in info.changelog)

    async def async_install(self, version: str | None, backup: bool, **kwargs: Any) -> None:
        """git pull && build-and-copy.sh -c; then suggest restarting the model."""
        entry = self.coordinator.config_entry
        runtime = entry.runtime_data
        self._attr_in_progress = True
        self._attr_update_percentage = None
        self._log_lines = 0
        self.async_write_ha_state()
        runtime.status.set_fast_poll(True)
        try:
            info = await runtime.client.apply_update(self._on_log)
        except SparkError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="install_failed",
                translation_placeholders={"error": str(err)},
            ) from err
        finally:
            self._attr_in_progress = False
            runtime.status.set_fast_poll(runtime.jobs.swap_running or runtime.jobs.download_running)
            self.async_write_ha_state()
        LOGGER.info("spark-vllm-docker updated to %s; restart the model to use it", info.installed)
        self.coordinator.async_set_updated_data(info)
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            f"{ISSUE_RESTART_MODEL}_{entry.entry_id}",
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key=ISSUE_RESTART_MODEL,
        )

    def _on_log(self, line: str) -> None:
        self._log_lines += 1
        self._attr_extra_state_attributes = {"last_log_line": line, "log_lines": self._log_lines}
        self.async_write_ha_state()
