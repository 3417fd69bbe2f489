"""The spark-vllm-docker update entity: commits behind upstream, changelog, install."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.components.update import (
    UpdateEntity,
    UpdateEntityDescription,
    UpdateEntityFeature,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .actions import async_install_update
from .api import UpdateInfo
from .const import NODE_HEAD
from .coordinator import SparkConfigEntry, SparkUpdateCoordinator
from .entity import SparkEntity
from .models import InstallProgress

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


class SparkVllmDockerUpdate(SparkEntity[SparkUpdateCoordinator], UpdateEntity):
    """Installed vs upstream commit; installing pulls and rebuilds the vLLM image.

    Versions come from the update coordinator, install progress from the activity data.
    """

    _attr_supported_features = (
        UpdateEntityFeature.INSTALL
        | UpdateEntityFeature.PROGRESS
        | UpdateEntityFeature.RELEASE_NOTES
    )
    _unrecorded_attributes = frozenset({"last_log_line", "log_lines"})
    entity_description = SPARK_VLLM_DOCKER

    def __init__(self, entry: SparkConfigEntry) -> None:
        """Attach to the head Spark, where the checkout lives."""
        runtime = entry.runtime_data
        super().__init__(
            runtime.updates, entry, NODE_HEAD, SPARK_VLLM_DOCKER.key, also=(runtime.activity,)
        )
        self._entry = entry

    @property
    def _info(self) -> UpdateInfo | None:
        return self.coordinator.data

    @property
    def _install(self) -> InstallProgress | None:
        return self._entry.runtime_data.activity.data.install

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

    @property
    def in_progress(self) -> bool:
        """While the install streams its log."""
        install = self._install
        return install is not None and install.running

    @property
    def extra_state_attributes(self) -> Mapping[str, Any] | None:
        """The install's last log line and line count (not recorded)."""
        install = self._install
        if install is None:
            return None
        return {"last_log_line": install.last_log_line, "log_lines": install.log_lines}

    async def async_release_notes(self) -> str | None:
        """The one-line changelog of the commits not yet installed."""
        info = self._info
        if info is None or not info.changelog:
            return None
        return "\n".join(f"- {line}" for line in info.changelog)

    async def async_install(self, version: str | None, backup: bool, **kwargs: Any) -> None:
        """git pull && build-and-copy.sh -c; then suggest restarting the model."""
        await async_install_update(self._entry)
