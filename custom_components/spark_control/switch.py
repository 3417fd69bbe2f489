"""Switches that start and stop the Parakeet, Magpie and diarizer containers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from homeassistant.components.switch import (
    SwitchDeviceClass,
    SwitchEntity,
    SwitchEntityDescription,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api import ServiceKey
from .const import NODE_HEAD, NODE_WORKER, SERVICE_KEYS
from .coordinator import SparkConfigEntry
from .entity import SparkStatusEntity
from .helpers import spark_exception_handler
from .models import SparkData

PARALLEL_UPDATES = 1


@dataclass(frozen=True, kw_only=True)
class ContainerSwitchDescription(SwitchEntityDescription):
    """A speech container's switch: on while docker says `running`."""

    is_on_fn: Callable[[SparkData], bool | None]


def container_description(key: ServiceKey) -> ContainerSwitchDescription:
    """The switch of one service's container; unknown when docker could not be asked."""

    def is_on(data: SparkData) -> bool | None:
        service = data.status.services.get(key)
        if service is None or service.container_state is None:
            return None
        return service.container_state == "running"

    return ContainerSwitchDescription(
        key="container",
        translation_key="container",
        device_class=SwitchDeviceClass.SWITCH,
        is_on_fn=is_on,
    )


CONTAINER_KEYS: tuple[ServiceKey, ...] = (*SERVICE_KEYS, "diarizer")


def controllable_services(entry: SparkConfigEntry) -> list[ServiceKey]:
    """Containers that live on one of the Sparks (docker reachable over SSH): Parakeet,
    Magpie, and the diarizer when it runs there rather than as the HA add-on."""
    return [
        key for key in CONTAINER_KEYS if entry.data.get(f"{key}_node") in (NODE_HEAD, NODE_WORKER)
    ]


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SparkConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """One switch per controllable speech container."""
    async_add_entities(ContainerSwitch(entry, key) for key in controllable_services(entry))


class ContainerSwitch(SparkStatusEntity, SwitchEntity):
    """docker start/stop; the state comes from the next poll, never assumed."""

    entity_description: ContainerSwitchDescription

    def __init__(self, entry: SparkConfigEntry, key: ServiceKey) -> None:
        """Attach to the service's device."""
        description = container_description(key)
        super().__init__(entry, key, description.key)
        self.entity_description = description
        self.service_key = key

    @property
    def is_on(self) -> bool | None:
        """Docker's container state from the last poll."""
        return self.entity_description.is_on_fn(self.coordinator.data)

    @spark_exception_handler
    async def async_turn_on(self, **kwargs: Any) -> None:
        """docker start, then poll."""
        try:
            await self.coordinator.client.service_action(self.service_key, "start")
        finally:
            await self.coordinator.async_refresh()

    @spark_exception_handler
    async def async_turn_off(self, **kwargs: Any) -> None:
        """docker stop, then poll."""
        try:
            await self.coordinator.client.service_action(self.service_key, "stop")
        finally:
            await self.coordinator.async_refresh()
