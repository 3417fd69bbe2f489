"""Sensors: swap and download progress, vLLM metrics, GPU and memory per Spark, health reports."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import (
    PERCENTAGE,
    EntityCategory,
    UnitOfInformation,
    UnitOfPower,
    UnitOfTemperature,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api import NodeStatus, SwapState
from .const import NODE_HEAD, NODE_WORKER
from .coordinator import SparkConfigEntry, SparkRuntimeData
from .entity import DEVICE_VLLM, SparkEntity, service_devices
from .health import HEALTH_SERVICES

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class SparkSensorDescription(SensorEntityDescription):
    """A cluster-level sensor reading the runtime data (status, swap, download, health)."""

    value_fn: Callable[[SparkRuntimeData], Any]
    attributes_fn: Callable[[SparkRuntimeData], Mapping[str, Any] | None] = lambda _: None


@dataclass(frozen=True, kw_only=True)
class NodeSensorDescription(SensorEntityDescription):
    """A per-Spark sensor reading that node's status."""

    value_fn: Callable[[NodeStatus], float | int | None]


def _swap_progress(runtime: SparkRuntimeData) -> float | None:
    progress = runtime.client.swap_progress
    if progress.state == SwapState.READY:
        return 100.0
    return progress.shard_percent


def _download_percent(runtime: SparkRuntimeData) -> float | None:
    progress = runtime.client.download_progress
    return None if progress is None else progress.percent


def _download_attributes(runtime: SparkRuntimeData) -> Mapping[str, Any] | None:
    progress = runtime.client.download_progress
    if progress is None:
        return None
    return {
        "repo_id": progress.repo_id,
        "target": progress.target,
        "state": progress.state.value,
        "bytes_done": progress.bytes_done,
        "bytes_total": progress.bytes_total,
        "rate_bps": progress.rate_bps,
        "eta_s": progress.eta_s,
        "error": progress.error,
    }


def _last_report(runtime: SparkRuntimeData) -> datetime | None:
    report = runtime.health.last
    return None if report is None else report.received


def _last_report_attributes(runtime: SparkRuntimeData) -> Mapping[str, Any] | None:
    report = runtime.health.last
    if report is None:
        return None
    return {
        "service": report.service,
        "ok": report.ok,
        "source": report.source,
        "error": report.error,
        "ms": report.ms,
    }


def _kv_cache(runtime: SparkRuntimeData) -> float | None:
    usage = runtime.status.data.status.vllm.kv_cache_usage
    return None if usage is None else round(usage * 100, 1)


CLUSTER_SENSORS: tuple[SparkSensorDescription, ...] = (
    SparkSensorDescription(
        key="swap_state",
        translation_key="swap_state",
        device_class=SensorDeviceClass.ENUM,
        options=[state.value for state in SwapState],
        value_fn=lambda runtime: runtime.client.swap_progress.state.value,
        attributes_fn=lambda runtime: {
            "model": runtime.client.swap_progress.model,
            "last_log_line": runtime.client.swap_progress.last_log_line,
            "error": runtime.client.swap_progress.error,
            "stalled": runtime.client.swap_progress.stalled,
        },
    ),
    SparkSensorDescription(
        key="swap_progress",
        translation_key="swap_progress",
        native_unit_of_measurement=PERCENTAGE,
        suggested_display_precision=0,
        value_fn=_swap_progress,
    ),
    SparkSensorDescription(
        key="context_length",
        translation_key="context_length",
        native_unit_of_measurement="tokens",
        value_fn=lambda runtime: runtime.status.data.status.vllm.max_model_len,
    ),
    SparkSensorDescription(
        key="tokens_per_second",
        translation_key="tokens_per_second",
        native_unit_of_measurement="tokens/s",
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=1,
        value_fn=lambda runtime: runtime.status.data.status.vllm.tokens_per_second,
    ),
    SparkSensorDescription(
        key="requests_running",
        translation_key="requests_running",
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda runtime: runtime.status.data.status.vllm.requests_running,
    ),
    SparkSensorDescription(
        key="requests_waiting",
        translation_key="requests_waiting",
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda runtime: runtime.status.data.status.vllm.requests_waiting,
    ),
    SparkSensorDescription(
        key="kv_cache_usage",
        translation_key="kv_cache_usage",
        native_unit_of_measurement=PERCENTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=_kv_cache,
    ),
    SparkSensorDescription(
        key="download_progress",
        translation_key="download_progress",
        native_unit_of_measurement=PERCENTAGE,
        suggested_display_precision=0,
        value_fn=_download_percent,
        attributes_fn=_download_attributes,
    ),
    SparkSensorDescription(
        key="last_health_report",
        translation_key="last_health_report",
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=_last_report,
        attributes_fn=_last_report_attributes,
    ),
)

NODE_SENSORS: tuple[NodeSensorDescription, ...] = (
    NodeSensorDescription(
        key="gpu_utilization",
        translation_key="gpu_utilization",
        native_unit_of_measurement=PERCENTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda node: node.gpu.utilization_pct if node.gpu else None,
    ),
    NodeSensorDescription(
        key="gpu_temperature",
        translation_key="gpu_temperature",
        device_class=SensorDeviceClass.TEMPERATURE,
        native_unit_of_measurement=UnitOfTemperature.CELSIUS,
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda node: node.gpu.temperature_c if node.gpu else None,
    ),
    NodeSensorDescription(
        key="gpu_power",
        translation_key="gpu_power",
        device_class=SensorDeviceClass.POWER,
        native_unit_of_measurement=UnitOfPower.WATT,
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=lambda node: node.gpu.power_w if node.gpu else None,
    ),
    NodeSensorDescription(
        key="memory_used",
        translation_key="memory_used",
        device_class=SensorDeviceClass.DATA_SIZE,
        native_unit_of_measurement=UnitOfInformation.BYTES,
        suggested_unit_of_measurement=UnitOfInformation.GIBIBYTES,
        suggested_display_precision=1,
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda node: node.memory.used_bytes if node.memory else None,
    ),
    NodeSensorDescription(
        key="memory_available",
        translation_key="memory_available",
        device_class=SensorDeviceClass.DATA_SIZE,
        native_unit_of_measurement=UnitOfInformation.BYTES,
        suggested_unit_of_measurement=UnitOfInformation.GIBIBYTES,
        suggested_display_precision=1,
        state_class=SensorStateClass.MEASUREMENT,
        entity_registry_enabled_default=False,
        value_fn=lambda node: node.memory.available_bytes if node.memory else None,
    ),
)

FAILURES_SENSOR = SensorEntityDescription(
    key="reported_failures",
    translation_key="reported_failures",
    state_class=SensorStateClass.TOTAL_INCREASING,
    entity_category=EntityCategory.DIAGNOSTIC,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SparkConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Cluster sensors on the vLLM device, GPU/memory sensors on each Spark."""
    entities: list[SensorEntity] = [
        ClusterSensor(entry, description) for description in CLUSTER_SENSORS
    ]
    entities.extend(
        NodeSensor(entry, node, description)
        for node in (NODE_HEAD, NODE_WORKER)
        for description in NODE_SENSORS
    )
    entities.extend(FailuresSensor(entry, device) for device in service_devices(entry))
    async_add_entities(entities)


class ClusterSensor(SparkEntity, SensorEntity):
    """A sensor of the vLLM cluster device."""

    entity_description: SparkSensorDescription

    def __init__(self, entry: SparkConfigEntry, description: SparkSensorDescription) -> None:
        """Attach to the vLLM cluster device."""
        super().__init__(entry, DEVICE_VLLM, description.key)
        self.entity_description = description

    @property
    def native_value(self) -> Any:
        """From the runtime data."""
        return self.entity_description.value_fn(self.runtime)

    @property
    def extra_state_attributes(self) -> Mapping[str, Any] | None:
        """Details (repo, bytes, rate, ETA; last log line; report fields)."""
        return self.entity_description.attributes_fn(self.runtime)


class NodeSensor(SparkEntity, SensorEntity):
    """A GPU or memory sensor of one Spark; unavailable while that Spark is unreachable."""

    entity_description: NodeSensorDescription

    def __init__(
        self, entry: SparkConfigEntry, node: str, description: NodeSensorDescription
    ) -> None:
        """Attach to the Spark's device."""
        super().__init__(entry, node, description.key)
        self.entity_description = description

    @property
    def _node(self) -> NodeStatus | None:
        return self.coordinator.data.status.nodes.get(self.device)

    @property
    def available(self) -> bool:
        """Only with fresh data from a reachable Spark."""
        node = self._node
        return super().available and node is not None and node.reachable

    @property
    def native_value(self) -> float | int | None:
        """The node's figure; None ([N/A]) is unknown, never 0."""
        node = self._node
        return None if node is None else self.entity_description.value_fn(node)


class FailuresSensor(SparkEntity, SensorEntity):
    """Failures reported through the health_event endpoint for one service."""

    entity_description = FAILURES_SENSOR

    def __init__(self, entry: SparkConfigEntry, device: str) -> None:
        """Attach to the service's device."""
        super().__init__(entry, device, FAILURES_SENSOR.key)
        self._service = device if device in HEALTH_SERVICES else DEVICE_VLLM

    @property
    def native_value(self) -> int:
        """Failures counted since Home Assistant started."""
        return self.runtime.health.failures[self._service]
