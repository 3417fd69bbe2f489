"""The panel's view of one entry as plain JSON data (docs/panel-api.md §3).

Pure functions of the runtime data: the snapshot command, a subscription's first event and each
delta are built here, so they always have the same shape.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from .api import CatalogModel, DownloadProgress, NodeStatus, SwapProgress
from .const import CONF_ADDON_URL
from .helpers import sanitize
from .switch import controllable_services

if TYPE_CHECKING:
    from .coordinator import SparkConfigEntry


def _text(value: str | None) -> str | None:
    return None if value is None else sanitize(value)


def _node(node: NodeStatus) -> dict[str, Any]:
    return {
        "reachable": node.reachable,
        "problem": None if node.problem is None else node.problem.value,
        "detail": _text(node.detail),
        "gpu": None if node.gpu is None else asdict(node.gpu),
        "memory": None if node.memory is None else asdict(node.memory),
    }


def status_part(entry: SparkConfigEntry) -> dict[str, Any]:
    """§3.1: the last status poll (kept through a failed one, which sets `error`)."""
    runtime = entry.runtime_data
    coordinator = runtime.status
    client = runtime.client
    data = coordinator.data
    status = data.status
    controllable = controllable_services(entry)
    error = None
    if not coordinator.last_update_success:
        error = sanitize(coordinator.last_exception or "status poll failed")
    addon_url = entry.data.get(CONF_ADDON_URL)
    return {
        "available": coordinator.last_update_success,
        "error": error,
        "nodes": {name: _node(node) for name, node in status.nodes.items()},
        "vllm": {**asdict(status.vllm), "failure": _text(status.vllm.failure)}
        | {"base_url": client.vllm_base_url},
        "services": {
            key: {
                "container_state": service.container_state,
                "ready": service.ready,
                "model": service.model,
                "base_url": client.service_base_url(key),  # type: ignore[arg-type]
                "controllable": key in controllable,
            }
            for key, service in status.services.items()
        },
        "addon": None if not addon_url else {"url": addon_url, "ready": data.addon_ready},
        "checkout": None
        if status.checkout is None
        else {"commit": status.checkout.commit, "dialect": status.checkout.dialect},
    }


def swap_part(progress: SwapProgress, running: bool) -> dict[str, Any]:
    """§3.2: the current or latest swap."""
    return {
        "running": running,
        "state": progress.state.value,
        "model": progress.model,
        "last_log_line": _text(progress.last_log_line),
        "shard_percent": progress.shard_percent,
        "stalled": progress.stalled,
        "error": _text(progress.error),
        "failure": None if progress.failure is None else progress.failure.value,
    }


def model_part(model: CatalogModel) -> dict[str, Any]:
    """§3.3: one catalog model with every settings field."""
    return {
        "key": model.key,
        "name": model.name,
        "repo_id": model.repo_id,
        "mode": model.mode,
        "builtin": model.builtin,
        "settings": asdict(model.settings),
    }


def catalog_part(entry: SparkConfigEntry) -> list[dict[str, Any]]:
    """§3.3: bundled then custom models."""
    return [model_part(model) for model in entry.runtime_data.client.catalog.models()]


def download_part(
    progress: DownloadProgress | None, running: bool, in_catalog: bool
) -> dict[str, Any] | None:
    """§3.4: the current or latest download, None before the first."""
    if progress is None:
        return None
    return {
        "running": running,
        "repo_id": progress.repo_id,
        "target": progress.target,
        "state": progress.state.value,
        "percent": progress.percent,
        "bytes_done": progress.bytes_done,
        "bytes_total": progress.bytes_total,
        "rate_bps": progress.rate_bps,
        "eta_s": progress.eta_s,
        "error": _text(progress.error),
        "in_catalog": in_catalog,
    }


def update_part(entry: SparkConfigEntry, check_error: str | None) -> dict[str, Any]:
    """§3.5: the last update check and the current or latest install."""
    runtime = entry.runtime_data
    updates = runtime.updates
    info = updates.data
    error = check_error
    if error is None and not updates.last_update_success and updates.last_exception:
        error = sanitize(updates.last_exception)
    install = runtime.activity.latest.install
    return {
        "installed": None if info is None else info.installed,
        "upstream": None if info is None else info.upstream,
        "behind": None if info is None else info.behind,
        "release_notes": [] if info is None else [sanitize(line) for line in info.changelog],
        "error": error,
        "install": None
        if install is None
        else {
            "running": install.running,
            "error": _text(install.error),
            "log_lines": install.log_lines,
        },
    }


def health_counts(entry: SparkConfigEntry) -> dict[str, Any]:
    """§3.6 without the log: failures counted and the last verdict per reported service."""
    health = entry.runtime_data.activity.latest.health
    return {"failures": dict(health.failures), "verdicts": dict(health.verdicts)}
