"""The model select: options are the catalog, state is the model vLLM serves."""

from __future__ import annotations

from homeassistant.components.select import SelectEntity, SelectEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import SparkConfigEntry
from .entity import DEVICE_VLLM, SparkStatusEntity

PARALLEL_UPDATES = 1

MODEL = SelectEntityDescription(key="model", translation_key="model")


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SparkConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """One model select per cluster."""
    async_add_entities([ModelSelect(entry)])


class ModelSelect(SparkStatusEntity, SelectEntity):
    """Choosing an option starts a swap in the background and returns at once.

    The served model comes from the status poll, the options from the catalog in the
    activity data; unavailable while the head is unreachable.
    """

    entity_description = MODEL

    def __init__(self, entry: SparkConfigEntry) -> None:
        """Attach to the vLLM cluster device."""
        super().__init__(entry, DEVICE_VLLM, MODEL.key, also=(entry.runtime_data.activity,))
        self._entry = entry

    @property
    def current_option(self) -> str | None:
        """The served model's repo id (also when it is not in the catalog)."""
        return self.coordinator.data.status.vllm.model

    @property
    def options(self) -> list[str]:
        """Catalog repo ids, plus the served model if it came from elsewhere."""
        catalog = self._entry.runtime_data.activity.data.catalog
        options = [model.repo_id for model in catalog]
        current = self.current_option
        if current is not None and current not in options:
            options.append(current)
        return options

    async def async_select_option(self, option: str) -> None:
        """Start the swap; a running swap or an absent worker raises a translated error."""
        self._entry.runtime_data.jobs.async_start_swap(option)
