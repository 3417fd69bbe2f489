"""Binary sensors: readiness of each service, reachability of each Spark."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

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
from .entity import DEVICE_DIARIZER, DEVICE_VLLM, SparkStatusEntity, service_devices
from .models import SparkData

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class SparkBinarySensorDescription(BinarySensorEntityDescription):
    """A binary sensor over the status poll."""

    is_on_fn: Callable[[SparkData], bool | None]
    follows_node: bool = True


def ready_description(device: str) -> SparkBinarySensorDescription:
    """Readiness of one service device (None: unknown)."""

    def is_on(data: SparkData) -> bool | None:
        if device == DEVICE_VLLM:
            return data.status.vllm.ready
        if device == DEVICE_DIARIZER:
            return data.addon_ready
        service = data.status.services.get(device)
        return None if service is None else service.ready

    return SparkBinarySensorDescription(
        key="ready",
        translation_key="ready",
        device_class=BinarySensorDeviceClass.RUNNING,
        is_on_fn=is_on,
    )


def reachable_description(node: str) -> SparkBinarySensorDescription:
    """Whether a Spark answers over SSH; the one entity that stays available without it."""

    def is_on(data: SparkData) -> bool:
        status = data.status.nodes.get(node)
        return status is not None and status.reachable

    return SparkBinarySensorDescription(
        key="reachable",
        translation_key="reachable",
        device_class=BinarySensorDeviceClass.CONNECTIVITY,
        entity_category=EntityCategory.DIAGNOSTIC,
        is_on_fn=is_on,
        follows_node=False,
    )


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SparkConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Readiness per service device, reachability per Spark."""
    entities = [
        SparkBinarySensor(entry, device, ready_description(device))
        for device in service_devices(entry)
    ]
    entities.extend(
        SparkBinarySensor(entry, node, reachable_description(node))
        for node in (NODE_HEAD, NODE_WORKER)
    )
    async_add_entities(entities)


class SparkBinarySensor(SparkStatusEntity, BinarySensorEntity):
    """A binary sensor of one device, from the last poll."""

    entity_description: SparkBinarySensorDescription

    def __init__(
        self, entry: SparkConfigEntry, device: str, description: SparkBinarySensorDescription
    ) -> None:
        """Attach to `device`."""
        self.follows_node = description.follows_node
        super().__init__(entry, device, description.key)
        self.entity_description = description

    @property
    def is_on(self) -> bool | None:
        """From the last poll."""
        return self.entity_description.is_on_fn(self.coordinator.data)
