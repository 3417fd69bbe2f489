"""Buttons: restart a speech container, check for spark-vllm-docker updates now."""

from __future__ import annotations

from homeassistant.components.button import (
    ButtonDeviceClass,
    ButtonEntity,
    ButtonEntityDescription,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .actions import async_check_update
from .api import ServiceKey
from .const import NODE_HEAD
from .coordinator import SparkConfigEntry, SparkUpdateCoordinator
from .entity import SparkEntity, SparkStatusEntity
from .helpers import spark_exception_handler
from .switch import controllable_services

PARALLEL_UPDATES = 1

RESTART = ButtonEntityDescription(key="restart", device_class=ButtonDeviceClass.RESTART)
CHECK_UPDATE = ButtonEntityDescription(
    key="check_update", translation_key="check_update", entity_category=EntityCategory.CONFIG
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SparkConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Restart buttons per controllable container, one update check button on the head."""
    entities: list[ButtonEntity] = [
        RestartButton(entry, key) for key in controllable_services(entry)
    ]
    entities.append(CheckUpdateButton(entry))
    async_add_entities(entities)


class RestartButton(SparkStatusEntity, ButtonEntity):
    """docker restart of a speech container."""

    entity_description = RESTART

    def __init__(self, entry: SparkConfigEntry, key: ServiceKey) -> None:
        """Attach to the service's device."""
        super().__init__(entry, key, RESTART.key)
        self.service_key = key

    @spark_exception_handler
    async def async_press(self) -> None:
        """Restart, then poll."""
        try:
            await self.coordinator.client.service_action(self.service_key, "restart")
        finally:
            await self.coordinator.async_refresh()


class CheckUpdateButton(SparkEntity[SparkUpdateCoordinator], ButtonEntity):
    """Runs the update check now instead of waiting hours for the next one."""

    entity_description = CHECK_UPDATE

    def __init__(self, entry: SparkConfigEntry) -> None:
        """Attach to the head Spark (where the checkout lives)."""
        super().__init__(entry.runtime_data.updates, entry, NODE_HEAD, CHECK_UPDATE.key)
        self._entry = entry

    @property
    def available(self) -> bool:
        """Pressable also after a failed check: pressing is how the user retries."""
        return True

    async def async_press(self) -> None:
        """Check now; a failure is raised to the caller, a result reaches the update entity."""
        await async_check_update(self._entry)
