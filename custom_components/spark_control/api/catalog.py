"""Model catalog: bundled models.yaml plus custom models and per-model settings.

Persistence goes through `CatalogStorage` so the HA layer can plug in its `Store`; the bundled
file is read in an executor so loading never blocks the event loop.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any, Protocol

import yaml

from . import validation
from .exceptions import InvalidInputError
from .models import CatalogModel, LaunchMode, ModelSettings

BUNDLED_PATH = Path(__file__).with_name("models.yaml")
STORAGE_VERSION = 1


class CatalogStorage(Protocol):
    """Where custom models and settings persist (HA: a `Store`)."""

    async def load(self) -> dict[str, Any] | None:
        """The saved data, or None if nothing was saved yet."""

    async def save(self, data: dict[str, Any]) -> None:
        """Persist `data` (JSON-compatible)."""


class MemoryCatalogStorage:
    """In-memory storage for tests and command-line use."""

    def __init__(self, data: dict[str, Any] | None = None) -> None:
        self.data = data

    async def load(self) -> dict[str, Any] | None:
        """Return the held data."""
        return self.data

    async def save(self, data: dict[str, Any]) -> None:
        """Keep a copy of `data`."""
        self.data = data


def _mode(value: object) -> LaunchMode:
    if value == "solo":
        return "solo"
    if value == "cluster":
        return "cluster"
    raise InvalidInputError("mode", value, "must be 'solo' or 'cluster'")


def settings_from_dict(data: dict[str, Any] | None) -> ModelSettings:
    """Validated ModelSettings from plain data."""
    data = data or {}
    unknown = set(data) - {
        "max_model_len",
        "gpu_memory_utilization",
        "fastsafetensors",
        "prefix_caching",
        "fp8_kv_cache",
        "tool_call_parser",
    }
    if unknown:
        raise InvalidInputError("settings", sorted(unknown), "unknown setting")
    return validate_settings(
        ModelSettings(
            max_model_len=data.get("max_model_len"),
            gpu_memory_utilization=data.get("gpu_memory_utilization"),
            fastsafetensors=bool(data.get("fastsafetensors", False)),
            prefix_caching=data.get("prefix_caching"),
            fp8_kv_cache=bool(data.get("fp8_kv_cache", False)),
            tool_call_parser=data.get("tool_call_parser"),
        )
    )


def validate_settings(settings: ModelSettings) -> ModelSettings:
    """Check every knob; returns the settings unchanged."""
    if settings.max_model_len is not None:
        validation.max_model_len(settings.max_model_len)
    if settings.gpu_memory_utilization is not None:
        validation.gpu_memory_utilization(settings.gpu_memory_utilization)
    if settings.prefix_caching is not None and not isinstance(settings.prefix_caching, bool):
        raise InvalidInputError("prefix_caching", settings.prefix_caching, "must be true or false")
    if settings.tool_call_parser is not None:
        validation.tool_call_parser(settings.tool_call_parser)
    return settings


def _model_from_dict(data: dict[str, Any], builtin: bool) -> CatalogModel:
    return CatalogModel(
        key=validation.model_key(data.get("key")),
        name=validation.display_name(data.get("name") or data.get("repo_id")),
        repo_id=validation.repo_id(data.get("repo_id")),
        mode=_mode(data.get("mode", "solo")),
        builtin=builtin,
        settings=settings_from_dict(data.get("settings")),
    )


def load_bundled(path: Path = BUNDLED_PATH) -> list[CatalogModel]:
    """Parse the bundled YAML (blocking: call in an executor)."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [_model_from_dict(item, builtin=True) for item in raw["models"]]


def key_for_repo(repo_id: str) -> str:
    """A catalog key derived from a repo id (`Org/Name-X` → `name-x`)."""
    name = repo_id.split("/", 1)[-1].lower()
    key = re.sub(r"[^a-z0-9._-]+", "-", name).strip("-._")[:64]
    return key or "model"


class Catalog:
    """Bundled and custom models with per-model settings overrides."""

    def __init__(self, storage: CatalogStorage | None = None) -> None:
        self._storage: CatalogStorage = storage or MemoryCatalogStorage()
        self._builtin: list[CatalogModel] = []
        self._custom: list[CatalogModel] = []
        self._overrides: dict[str, ModelSettings] = {}
        self._loaded = False

    @property
    def loaded(self) -> bool:
        """Whether load() has run."""
        return self._loaded

    async def load(self) -> None:
        """Read the bundled file (off-loop) and the stored custom data."""
        loop = asyncio.get_running_loop()
        self._builtin = await loop.run_in_executor(None, load_bundled)
        data = await self._storage.load() or {}
        self._custom = [_model_from_dict(item, builtin=False) for item in data.get("custom", [])]
        bundled = {model.key: model.settings for model in self._builtin}
        self._overrides = {}
        for key, value in data.get("settings", {}).items():
            settings = settings_from_dict(value)
            if "tool_call_parser" not in (value or {}) and key in bundled:
                # Saved before the setting existed: keep the bundled model's parser.
                settings = replace(settings, tool_call_parser=bundled[key].tool_call_parser)
            self._overrides[validation.model_key(key)] = settings
        self._loaded = True

    def models(self) -> list[CatalogModel]:
        """All models, bundled first, with settings overrides applied."""
        return [
            replace(model, settings=self._overrides.get(model.key, model.settings))
            for model in [*self._builtin, *self._custom]
        ]

    def get(self, key_or_repo: str) -> CatalogModel | None:
        """A model by catalog key or by repo id."""
        for model in self.models():
            if key_or_repo in (model.key, model.repo_id):
                return model
        return None

    async def add(
        self,
        repo_id: str,
        name: str | None = None,
        mode: LaunchMode = "solo",
        key: str | None = None,
        settings: ModelSettings | None = None,
    ) -> CatalogModel:
        """Add a custom model; refuses duplicates of a key or a repo id."""
        validation.repo_id(repo_id)
        chosen_key = validation.model_key(key) if key is not None else key_for_repo(repo_id)
        if any(m.key == chosen_key or m.repo_id == repo_id for m in self.models()):
            raise InvalidInputError("repo_id", repo_id, "is already in the catalog")
        model = CatalogModel(
            key=chosen_key,
            name=validation.display_name(name or repo_id),
            repo_id=repo_id,
            mode=_mode(mode),
            builtin=False,
            settings=validate_settings(settings or ModelSettings()),
        )
        self._custom.append(model)
        await self._save()
        return model

    async def remove(self, key: str) -> None:
        """Remove a custom model; bundled models cannot be removed."""
        model = self.get(key)
        if model is None:
            raise InvalidInputError("key", key, "no such model in the catalog")
        if model.builtin:
            raise InvalidInputError("key", key, "bundled models cannot be removed")
        self._custom = [m for m in self._custom if m.key != model.key]
        self._overrides.pop(model.key, None)
        await self._save()

    async def set_settings(self, key: str, settings: ModelSettings) -> CatalogModel:
        """Store per-model settings (bundled or custom)."""
        model = self.get(key)
        if model is None:
            raise InvalidInputError("key", key, "no such model in the catalog")
        self._overrides[model.key] = validate_settings(settings)
        await self._save()
        return replace(model, settings=settings)

    def to_dict(self) -> dict[str, Any]:
        """The persisted form: custom models and settings overrides."""
        return {
            "version": STORAGE_VERSION,
            "custom": [
                {
                    "key": m.key,
                    "name": m.name,
                    "repo_id": m.repo_id,
                    "mode": m.mode,
                    "settings": asdict(m.settings),
                }
                for m in self._custom
            ],
            "settings": {key: asdict(value) for key, value in self._overrides.items()},
        }

    async def _save(self) -> None:
        await self._storage.save(self.to_dict())
