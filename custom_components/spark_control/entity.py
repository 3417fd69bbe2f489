"""Base entity and devices: one per Spark, one per service linked to its Spark."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, Final

from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .api import (
    HostKeyChangedError,
    InvalidInputError,
    SparkAuthError,
    SparkError,
    SwapInProgressError,
)
from .const import CONF_ADDON_URL, DOMAIN, NODE_HEAD, NODE_WORKER, SERVICE_KEYS
from .coordinator import SparkConfigEntry, SparkRuntimeData, SparkStatusCoordinator

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
    """The entry's service devices: vLLM, Parakeet, Magpie, and the diarizer if one is set."""
    devices = [DEVICE_VLLM, *SERVICE_KEYS]
    if entry.data.get(CONF_ADDON_URL):
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
    if device == DEVICE_DIARIZER:
        info["configuration_url"] = entry.data[CONF_ADDON_URL]
    return info


class SparkEntity(CoordinatorEntity[SparkStatusCoordinator]):
    """An entity of one device of the cluster, fed by the status coordinator."""

    _attr_has_entity_name = True

    def __init__(self, entry: SparkConfigEntry, device: str, key: str) -> None:
        """Unique id `<machine id>_<device>_<key>`: stable across address changes."""
        super().__init__(entry.runtime_data.status)
        self.device = device
        self._attr_unique_id = f"{entry.unique_id}_{device}_{key}"
        self._attr_device_info = device_info(entry, device)

    @property
    def runtime(self) -> SparkRuntimeData:
        """The entry's runtime data."""
        return self.coordinator.config_entry.runtime_data

    async def run_command(self, command: Awaitable[Any]) -> None:
        """Await a client command, translate its errors, then refresh now (never optimistic).

        A direct refresh, not the debounced request: two commands in a row must both show.
        """
        try:
            await command
        except SparkError as err:
            raise translate_spark_error(err) from err
        finally:
            await self.coordinator.async_refresh()


def translate_spark_error(err: SparkError) -> HomeAssistantError:
    """The translated HA error for a client error raised by a command."""
    placeholders = {"error": str(err)}
    if isinstance(err, InvalidInputError):
        return ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="invalid_input",
            translation_placeholders=placeholders,
        )
    if isinstance(err, SwapInProgressError):
        return HomeAssistantError(translation_domain=DOMAIN, translation_key="swap_in_progress")
    key = "command_failed"
    if isinstance(err, SparkAuthError):
        key = "auth_failed"
    elif isinstance(err, HostKeyChangedError):
        key = "host_key_changed"
    return HomeAssistantError(
        translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders
    )
