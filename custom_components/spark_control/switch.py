"""Switches that start and stop the Parakeet and Magpie containers."""

from __future__ import annotations

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
from .entity import SparkEntity

PARALLEL_UPDATES = 1

CONTAINER = SwitchEntityDescription(
    key="container", translation_key="container", device_class=SwitchDeviceClass.SWITCH
)


def controllable_services(entry: SparkConfigEntry) -> list[ServiceKey]:
    """Services whose container lives on one of the Sparks (docker reachable over SSH)."""
    return [
        key for key in SERVICE_KEYS if entry.data.get(f"{key}_node") in (NODE_HEAD, NODE_WORKER)
    ]


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SparkConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """One switch per controllable speech container."""
    async_add_entities(ContainerSwitch(entry, key) for key in controllable_services(entry))


class ContainerSwitch(SparkEntity, SwitchEntity):
    """On while the container runs."""

    entity_description = CONTAINER

    def __init__(self, entry: SparkConfigEntry, key: ServiceKey) -> None:
        """Attach to the service's device."""
        super().__init__(entry, key, CONTAINER.key)
        self.service_key = key

    @property
    def is_on(self) -> bool | None:
        """Docker's container state from the last poll."""
        service = self.coordinator.data.status.services.get(self.service_key)
        if service is None or service.container_state is None:
            return None
        return service.container_state == "running"

    async def async_turn_on(self, **kwargs: Any) -> None:
        """docker start."""
        await self.run_command(self.runtime.client.service_action(self.service_key, "start"))

    async def async_turn_off(self, **kwargs: Any) -> None:
        """docker stop."""
        await self.run_command(self.runtime.client.service_action(self.service_key, "stop"))
