"""Sensors: swap and download progress, vLLM state and metrics, GPU and memory per Spark,
health reports. Each reads one coordinator through its description."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
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
from .coordinator import SparkConfigEntry
from .entity import DEVICE_VLLM, SparkActivityEntity, SparkStatusEntity, service_devices
from .health import HEALTH_SERVICES
from .models import SparkActivity, SparkData

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class StatusSensorDescription(SensorEntityDescription):
    """A vLLM sensor over the status poll."""

    value_fn: Callable[[SparkData], Any]
    available_fn: Callable[[SparkData], bool] = lambda _: True
    attributes_fn: Callable[[SparkData], Mapping[str, Any] | None] = lambda _: None


@dataclass(frozen=True, kw_only=True)
class NodeSensorDescription(SensorEntityDescription):
    """A per-Spark sensor over that Spark's status."""

    value_fn: Callable[[NodeStatus], float | int | None]


@dataclass(frozen=True, kw_only=True)
class ActivitySensorDescription(SensorEntityDescription):
    """A sensor over the integration's activity (swap, download, health reports)."""

    value_fn: Callable[[SparkActivity], Any]
    attributes_fn: Callable[[SparkActivity], Mapping[str, Any] | None] = lambda _: None


def _swap_progress(activity: SparkActivity) -> float | None:
    if activity.swap.state == SwapState.READY:
        return 100.0
    return activity.swap.shard_percent


def _download_attributes(activity: SparkActivity) -> Mapping[str, Any] | None:
    progress = activity.download
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


def _last_report_attributes(activity: SparkActivity) -> Mapping[str, Any] | None:
    report = activity.health.last
    if report is None:
        return None
    return {
        "service": report.service,
        "ok": report.ok,
        "source": report.source,
        "error": report.error,
        "ms": report.ms,
        "received": report.received.isoformat(),
    }


def _kv_cache(data: SparkData) -> float | None:
    usage = data.status.vllm.kv_cache_usage
    return None if usage is None else round(usage * 100, 1)


def _vllm_state(data: SparkData) -> str | None:
    """`ready`, `failed` (the engine died), `down` (vLLM does not serve), or unknown."""
    vllm = data.status.vllm
    if vllm.ready is None:
        return None
    if vllm.ready:
        return "ready"
    return "failed" if vllm.failure else "down"


def _vllm_serving(data: SparkData) -> bool:
    """Metrics mean something only while vLLM serves; otherwise unavailable, never 0."""
    return data.status.vllm.ready is True


ACTIVITY_SENSORS: tuple[ActivitySensorDescription, ...] = (
    ActivitySensorDescription(
        key="swap_state",
        translation_key="swap_state",
        device_class=SensorDeviceClass.ENUM,
        options=[state.value for state in SwapState],
        value_fn=lambda activity: activity.swap.state.value,
        # Changes only with the swap's state, so it writes on transitions alone.
        attributes_fn=lambda activity: {
            "model": activity.swap.model,
            "error": activity.swap.error,
            "stalled": activity.swap.stalled,
        },
    ),
    ActivitySensorDescription(
        key="swap_progress",
        translation_key="swap_progress",
        native_unit_of_measurement=PERCENTAGE,
        suggested_display_precision=0,
        value_fn=_swap_progress,
        # The log moves with the progress: one write per published change (not recorded).
        attributes_fn=lambda activity: {"last_log_line": activity.swap.last_log_line},
    ),
    ActivitySensorDescription(
        key="download_progress",
        translation_key="download_progress",
        native_unit_of_measurement=PERCENTAGE,
        suggested_display_precision=0,
        value_fn=lambda activity: None if activity.download is None else activity.download.percent,
        attributes_fn=_download_attributes,
    ),
    ActivitySensorDescription(
        key="last_health_report",
        translation_key="last_health_report",
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_category=EntityCategory.DIAGNOSTIC,
        # The state moves only when a service flips between ok and failed (the logbook shows
        # each state change); the attributes describe the latest report, whatever it said.
        value_fn=lambda activity: activity.health.changed,
        attributes_fn=_last_report_attributes,
    ),
)

VLLM_SENSORS: tuple[StatusSensorDescription, ...] = (
    StatusSensorDescription(
        key="vllm_state",
        translation_key="vllm_state",
        device_class=SensorDeviceClass.ENUM,
        options=["ready", "down", "failed"],
        value_fn=_vllm_state,
        attributes_fn=lambda data: {"reason": data.status.vllm.failure},
    ),
    StatusSensorDescription(
        key="context_length",
        translation_key="context_length",
        native_unit_of_measurement="tokens",
        value_fn=lambda data: data.status.vllm.max_model_len,
        available_fn=_vllm_serving,
    ),
    StatusSensorDescription(
        key="tokens_per_second",
        translation_key="tokens_per_second",
        native_unit_of_measurement="tokens/s",
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=1,
        value_fn=lambda data: data.status.vllm.tokens_per_second,
        available_fn=_vllm_serving,
    ),
    StatusSensorDescription(
        key="requests_running",
        translation_key="requests_running",
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda data: data.status.vllm.requests_running,
        available_fn=_vllm_serving,
    ),
    StatusSensorDescription(
        key="requests_waiting",
        translation_key="requests_waiting",
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda data: data.status.vllm.requests_waiting,
        available_fn=_vllm_serving,
    ),
    StatusSensorDescription(
        key="kv_cache_usage",
        translation_key="kv_cache_usage",
        native_unit_of_measurement=PERCENTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=_kv_cache,
        available_fn=_vllm_serving,
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


def _failures(service: str, activity: SparkActivity) -> int:
    return activity.health.failures[service]


def failures_description(device: str) -> ActivitySensorDescription:
    """Failures reported for the service of `device` (the vLLM cluster counts `vllm`)."""
    service = device if device in HEALTH_SERVICES else DEVICE_VLLM
    return ActivitySensorDescription(
        key="reported_failures",
        translation_key="reported_failures",
        state_class=SensorStateClass.TOTAL_INCREASING,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=partial(_failures, service),
    )


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SparkConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Activity and vLLM sensors on the vLLM device, GPU/memory sensors on each Spark."""
    entities: list[SensorEntity] = [
        ActivitySensor(entry, DEVICE_VLLM, description) for description in ACTIVITY_SENSORS
    ]
    entities.extend(VllmSensor(entry, description) for description in VLLM_SENSORS)
    entities.extend(
        NodeSensor(entry, node, description)
        for node in (NODE_HEAD, NODE_WORKER)
        for description in NODE_SENSORS
    )
    entities.extend(
        ActivitySensor(entry, device, failures_description(device))
        for device in service_devices(entry)
    )
    async_add_entities(entities)


class ActivitySensor(SparkActivityEntity, SensorEntity):
    """A sensor over the activity data; log lines and rates stay out of the recorder."""

    _unrecorded_attributes = frozenset(
        {"last_log_line", "stalled", "bytes_done", "rate_bps", "eta_s"}
    )
    entity_description: ActivitySensorDescription

    def __init__(
        self, entry: SparkConfigEntry, device: str, description: ActivitySensorDescription
    ) -> None:
        """Attach to `device`."""
        super().__init__(entry, device, description.key)
        self.entity_description = description

    @property
    def native_value(self) -> Any:
        """From the activity data."""
        return self.entity_description.value_fn(self.coordinator.data)

    @property
    def extra_state_attributes(self) -> Mapping[str, Any] | None:
        """Details (repo, bytes, rate, ETA; last log line; report fields)."""
        return self.entity_description.attributes_fn(self.coordinator.data)


class VllmSensor(SparkStatusEntity, SensorEntity):
    """A sensor of the vLLM cluster: unavailable with the head, metrics only while serving."""

    entity_description: StatusSensorDescription

    def __init__(self, entry: SparkConfigEntry, description: StatusSensorDescription) -> None:
        """Attach to the vLLM cluster device."""
        super().__init__(entry, DEVICE_VLLM, description.key)
        self.entity_description = description

    def dependencies_available(self) -> bool:
        """The head is reachable and the description's own check passes."""
        return super().dependencies_available() and self.entity_description.available_fn(
            self.coordinator.data
        )

    @property
    def native_value(self) -> Any:
        """From the status poll."""
        return self.entity_description.value_fn(self.coordinator.data)

    @property
    def extra_state_attributes(self) -> Mapping[str, Any] | None:
        """Why the engine failed, when it did."""
        return self.entity_description.attributes_fn(self.coordinator.data)


class NodeSensor(SparkStatusEntity, SensorEntity):
    """A GPU or memory sensor of one Spark; unavailable while that Spark is unreachable."""

    entity_description: NodeSensorDescription

    def __init__(
        self, entry: SparkConfigEntry, node: str, description: NodeSensorDescription
    ) -> None:
        """Attach to the Spark's device."""
        super().__init__(entry, node, description.key)
        self.entity_description = description

    @property
    def native_value(self) -> float | int | None:
        """The node's figure; None ([N/A]) is unknown, never 0."""
        node = self.coordinator.data.status.nodes.get(self.device)
        return None if node is None else self.entity_description.value_fn(node)
