"""What the user asked for with a long job, kept in the entry's Store until the job ends.

A download runs for hours on the Spark; Home Assistant may restart meanwhile. The job itself
is found again on the Spark (api re-attach), but what should happen when it ends (add the model
to the catalog under a name, in a mode, with settings) lives only here: saved when the job
starts, read on setup, removed when the job's end has been handled.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.storage import Store

from .const import DOMAIN

STORAGE_VERSION = 1


@dataclass(frozen=True, slots=True)
class DownloadIntent:
    """A download and what to do with the model once it is complete."""

    repo_id: str
    target: str = "cluster"
    revision: str | None = None
    add_to_catalog: bool = False
    name: str | None = None
    mode: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SwapIntent:
    """A model swap: which model (catalog key) was chosen."""

    model: str


def _download(data: object) -> DownloadIntent | None:
    if not isinstance(data, dict) or not isinstance(data.get("repo_id"), str):
        return None
    known = set(DownloadIntent.__dataclass_fields__)
    return DownloadIntent(**{k: v for k, v in data.items() if k in known})


def _swap(data: object) -> SwapIntent | None:
    if not isinstance(data, dict) or not isinstance(data.get("model"), str):
        return None
    return SwapIntent(model=data["model"])


class JobIntents:
    """`.storage/spark_control.jobs.<entry_id>`: the open download and swap intents."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """One store per config entry."""
        self._store: Store[dict[str, Any]] = Store(
            hass, STORAGE_VERSION, f"{DOMAIN}.jobs.{entry_id}"
        )
        self._hass = hass
        self.download: DownloadIntent | None = None
        self.swap: SwapIntent | None = None

    async def async_load(self) -> None:
        """Read what was open when Home Assistant stopped (a damaged file reads as empty)."""
        data = await self._store.async_load() or {}
        self.download = _download(data.get("download"))
        self.swap = _swap(data.get("swap"))

    def _data(self) -> dict[str, Any]:
        return {
            "download": None if self.download is None else asdict(self.download),
            "swap": None if self.swap is None else asdict(self.swap),
        }

    @callback
    def _save(self) -> None:
        """Write now in a task of its own (saves are serialised by the Store)."""
        self._hass.async_create_task(self._store.async_save(self._data()), eager_start=True)

    @callback
    def async_set_download(self, intent: DownloadIntent | None) -> None:
        """Record (or, with None, close) the download intent; written without blocking."""
        self.download = intent
        self._save()

    @callback
    def async_set_swap(self, intent: SwapIntent | None) -> None:
        """Record (or, with None, close) the swap intent; written without blocking."""
        self.swap = intent
        self._save()

    async def async_remove(self) -> None:
        """Delete the file when the entry is removed."""
        await self._store.async_remove()
