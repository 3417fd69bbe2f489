"""Binary sensors: readiness of each service, reachability of each Spark."""

from __future__ import annotations

from homeassistant.components.binary_sensor import (
    BinarySensorDeviceClass,
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import NODE_HEAD, NODE_WORKER
from .coordinator import SparkConfigEntry
from .entity import DEVICE_DIARIZER, DEVICE_VLLM, SparkEntity, service_devices

PARALLEL_UPDATES = 0

READY = BinarySensorEntityDescription(
    key="ready", translation_key="ready", device_class=BinarySensorDeviceClass.RUNNING
)
REACHABLE = BinarySensorEntityDescription(
    key="reachable",
    translation_key="reachable",
    device_class=BinarySensorDeviceClass.CONNECTIVITY,
    entity_category=EntityCategory.DIAGNOSTIC,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SparkConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Readiness per service device, reachability per Spark."""
    entities: list[BinarySensorEntity] = [
        ReadySensor(entry, device) for device in service_devices(entry)
    ]
    entities.extend(ReachableSensor(entry, node) for node in (NODE_HEAD, NODE_WORKER))
    async_add_entities(entities)


class ReadySensor(SparkEntity, BinarySensorEntity):
    """Whether a service answers its HTTP readiness probe (None: unknown)."""

    entity_description = READY

    def __init__(self, entry: SparkConfigEntry, device: str) -> None:
        """Attach to the service's device."""
        super().__init__(entry, device, READY.key)

    @property
    def is_on(self) -> bool | None:
        """From the last poll."""
        data = self.coordinator.data
        if self.device == DEVICE_VLLM:
            return data.status.vllm.ready
        if self.device == DEVICE_DIARIZER:
            return data.addon_ready
        service = data.status.services.get(self.device)
        return None if service is None else service.ready


class ReachableSensor(SparkEntity, BinarySensorEntity):
    """Whether a Spark answers over SSH."""

    entity_description = REACHABLE

    def __init__(self, entry: SparkConfigEntry, node: str) -> None:
        """Attach to the Spark's device."""
        super().__init__(entry, node, REACHABLE.key)

    @property
    def is_on(self) -> bool:
        """From the last poll."""
        node = self.coordinator.data.status.nodes.get(self.device)
        return node is not None and node.reachable
