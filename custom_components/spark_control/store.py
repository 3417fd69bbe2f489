"""The catalog's persistence through Home Assistant's Store (custom models, settings)."""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import Store

from .const import DOMAIN

STORAGE_VERSION = 1


class HomeAssistantCatalogStorage:
    """CatalogStorage backed by `.storage/spark_control.catalog.<entry_id>`."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """One store per config entry."""
        self._store: Store[dict[str, Any]] = Store(
            hass, STORAGE_VERSION, f"{DOMAIN}.catalog.{entry_id}"
        )

    async def load(self) -> dict[str, Any] | None:
        """The saved catalog data, or None."""
        return await self._store.async_load()

    async def save(self, data: dict[str, Any]) -> None:
        """Persist the catalog data."""
        await self._store.async_save(data)

    async def remove(self) -> None:
        """Delete the file when the entry is removed."""
        await self._store.async_remove()
