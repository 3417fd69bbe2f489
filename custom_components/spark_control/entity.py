"""Base entities and devices: one device per Spark, one per service linked to its Spark."""

from __future__ import annotations

from typing import Any, Final, TypeVar

from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.update_coordinator import CoordinatorEntity, DataUpdateCoordinator

from .const import CONF_ADDON_URL, CONF_DIARIZER_NODE, DOMAIN, NODE_HEAD, NODE_WORKER, SERVICE_KEYS
from .coordinator import SparkActivityCoordinator, SparkConfigEntry, SparkStatusCoordinator

CoordinatorT = TypeVar("CoordinatorT", bound=DataUpdateCoordinator[Any])

DEVICE_VLLM: Final = "vllm"
DEVICE_DIARIZER: Final = "diarizer"

_NAMES: Final = {
    NODE_HEAD: "Spark head",
    NODE_WORKER: "Spark worker",
    DEVICE_VLLM: "vLLM cluster",
    "parakeet": "Parakeet",
    "magpie": "Magpie",
    DEVICE_DIARIZER: "Diarizer add-on",
}
_MODELS: Final = {
    NODE_HEAD: "DGX Spark",
    NODE_WORKER: "DGX Spark",
    DEVICE_VLLM: "vLLM (spark-vllm-docker)",
    "parakeet": "Parakeet speech-to-text",
    "magpie": "Magpie text-to-speech",
    DEVICE_DIARIZER: "GPU diarization add-on",
}


def service_devices(entry: SparkConfigEntry) -> list[str]:
    """The entry's service devices: vLLM, Parakeet, Magpie, and the diarizer if one is set
    (by its URL, or as a container on a Spark)."""
    devices = [DEVICE_VLLM, *SERVICE_KEYS]
    on_spark = entry.data.get(CONF_DIARIZER_NODE) in (NODE_HEAD, NODE_WORKER)
    if entry.data.get(CONF_ADDON_URL) or on_spark:
        devices.append(DEVICE_DIARIZER)
    return devices


def device_identifier(entry: SparkConfigEntry, device: str) -> tuple[str, str]:
    """Registry identifier from the head's machine identity and a fixed device key."""
    return (DOMAIN, f"{entry.unique_id}_{device}")


def device_parent(entry: SparkConfigEntry, device: str) -> str:
    """Which Spark a service device hangs off."""
    node = entry.data.get(f"{device}_node")
    return NODE_WORKER if node == NODE_WORKER else NODE_HEAD


def device_info(entry: SparkConfigEntry, device: str) -> DeviceInfo:
    """DeviceInfo for a Spark (`head`/`worker`) or a service device."""
    info = DeviceInfo(
        identifiers={device_identifier(entry, device)},
        name=_NAMES[device],
        model=_MODELS[device],
    )
    if device in (NODE_HEAD, NODE_WORKER):
        info["manufacturer"] = "NVIDIA"
        return info
    info["entry_type"] = DeviceEntryType.SERVICE
    info["via_device"] = device_identifier(entry, device_parent(entry, device))
    info["manufacturer"] = "vLLM project" if device == DEVICE_VLLM else "NVIDIA"
    if device == DEVICE_DIARIZER and entry.data.get(CONF_ADDON_URL):
        info["configuration_url"] = entry.data[CONF_ADDON_URL]
    return info


def device_node(entry: SparkConfigEntry, device: str) -> str | None:
    """The Spark a device needs reachable: itself, its host Spark, or none (add-on, other host)."""
    if device in (NODE_HEAD, NODE_WORKER):
        return device
    if device == DEVICE_VLLM:
        return NODE_HEAD
    node = entry.data.get(f"{device}_node")
    return node if node in (NODE_HEAD, NODE_WORKER) else None


class SparkEntity(CoordinatorEntity[CoordinatorT]):
    """An entity of one device of the cluster, reading only its coordinators' data.

    `also` names further coordinators the entity reads (the select reads the catalog from the
    activity coordinator); the entity follows their updates and their availability too.
    """

    _attr_has_entity_name = True

    def __init__(
        self,
        coordinator: CoordinatorT,
        entry: SparkConfigEntry,
        device: str,
        key: str,
        *,
        also: tuple[DataUpdateCoordinator[Any], ...] = (),
    ) -> None:
        """Unique id `<machine id>_<device>_<key>`: stable across address changes."""
        super().__init__(coordinator)
        self.device = device
        self._also = also
        self._attr_unique_id = f"{entry.unique_id}_{device}_{key}"
        self._attr_device_info = device_info(entry, device)

    async def async_added_to_hass(self) -> None:
        """Follow the further coordinators as well."""
        await super().async_added_to_hass()
        for other in self._also:
            self.async_on_remove(other.async_add_listener(self._handle_coordinator_update))

    @property
    def available(self) -> bool:
        """Every coordinator read has data, and the entity's own check passes."""
        return (
            super().available
            and all(other.last_update_success for other in self._also)
            and self.dependencies_available()
        )

    def dependencies_available(self) -> bool:
        """What else this entity needs (a reachable Spark, a serving vLLM); True by default."""
        return True


class SparkStatusEntity(SparkEntity[SparkStatusCoordinator]):
    """An entity of the status poll: unavailable while the Spark its device needs is away."""

    follows_node = True

    def __init__(
        self,
        entry: SparkConfigEntry,
        device: str,
        key: str,
        *,
        also: tuple[DataUpdateCoordinator[Any], ...] = (),
    ) -> None:
        """Attach to `device`; depend on the Spark that hosts it."""
        super().__init__(entry.runtime_data.status, entry, device, key, also=also)
        self.node = device_node(entry, device) if self.follows_node else None

    def dependencies_available(self) -> bool:
        """The hosting Spark is reachable (a Spark's own reachability sensor never depends)."""
        if self.node is None:
            return True
        node = self.coordinator.data.status.nodes.get(self.node)
        return node is not None and node.reachable


class SparkActivityEntity(SparkEntity[SparkActivityCoordinator]):
    """An entity of the integration's own activity (jobs, health reports): always available."""

    def __init__(self, entry: SparkConfigEntry, device: str, key: str) -> None:
        """Attach to `device`."""
        super().__init__(entry.runtime_data.activity, entry, device, key)
