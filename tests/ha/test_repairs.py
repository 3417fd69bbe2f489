"""Repair issues against the simulator: Magpie's cache-ownership crash loop."""

from __future__ import annotations

import asyncio
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component

from custom_components.spark_control.api import CacheOwnershipProblem
from custom_components.spark_control.const import DOMAIN
from custom_components.spark_control.repairs import (
    async_offer_catalog_entry,
    catalog_issue_id,
    chown_command,
)


async def _poll_until(hass: HomeAssistant, entry: Any, check: Any, timeout: float) -> None:
    coordinator = entry.runtime_data.status
    async with asyncio.timeout(timeout):
        while True:
            await coordinator.async_refresh()
            await hass.async_block_till_done(wait_background_tasks=True)
            if check():
                return
            await asyncio.sleep(0.3)


async def test_magpie_cache_owner_issue_raised_and_cleared(
    hass: HomeAssistant, sim_pair: Any, sim_integration: Any
) -> None:
    """A restarting Magpie whose log shows the permission error raises an issue naming the
    Spark and the chown; once fixed and ready again, the issue goes away by itself."""
    registry = ir.async_get(hass)
    issue_id = f"magpie_cache_owner_{sim_integration.entry_id}"
    sim_pair.faults.set("magpie_cache_owner")
    code, _, err = await sim_pair.run("worker", "docker restart magpie >/dev/null")
    assert code == 0, err

    await _poll_until(hass, sim_integration, lambda: registry.async_get_issue(DOMAIN, issue_id), 60)
    issue = registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.severity is ir.IssueSeverity.ERROR
    placeholders = issue.translation_placeholders or {}
    cache = sim_pair.worker.home / ".cache" / "nim"
    assert placeholders["command"] == f"sudo chown -R 1000:1000 {cache}"
    assert placeholders["spark"] == f"worker Spark ({sim_pair.worker.host})"
    assert placeholders["denied_path"] == "/opt/nim/.cache/ngc/hub"
    assert placeholders["restart"] == "docker restart magpie"

    sim_pair.faults.clear("magpie_cache_owner")  # the chown

    def cleared() -> bool:
        return registry.async_get_issue(DOMAIN, issue_id) is None

    await _poll_until(hass, sim_integration, cleared, 90)


def test_chown_command_quotes_the_path() -> None:
    """A path with shell metacharacters is shown quoted, ready to paste."""
    problem = CacheOwnershipProblem(
        service="magpie",
        node="head",
        host="192.168.1.11",
        container="magpie",
        host_path="/srv/nim cache/$(x)",
        denied_path="/opt/nim/.cache/x",
    )
    assert chown_command(problem) == "sudo chown -R 1000:1000 '/srv/nim cache/$(x)'"
    unmounted = CacheOwnershipProblem("magpie", "worker", "h", "magpie", None, "/opt/nim/.cache")
    assert chown_command(unmounted) == "sudo chown -R 1000:1000 /opt/nim/.cache"


# --- "Add to catalog" after a download ----------------------------------------------------------

NEW_REPO = "acme-labs/Tiny-Chat-7B-FP8"


async def _start_fix(client: Any, issue_id: str) -> dict[str, Any]:
    response = await client.post(
        "/api/repairs/issues/fix", json={"handler": DOMAIN, "issue_id": issue_id}
    )
    assert response.status == 200, await response.text()
    result: dict[str, Any] = await response.json()
    return result


async def _fix_step(client: Any, flow_id: str, data: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(f"/api/repairs/issues/fix/{flow_id}", json=data)
    assert response.status == 200, await response.text()
    result: dict[str, Any] = await response.json()
    return result


async def test_add_to_catalog_fix_flow(
    hass: HomeAssistant, init_integration: Any, hass_client: Any
) -> None:
    """The offer is pre-filled; a bad value is named on the form; submitting adds the model."""
    assert await async_setup_component(hass, "repairs", {})
    entry = init_integration
    catalog = entry.runtime_data.client.catalog
    async_offer_catalog_entry(hass, entry, NEW_REPO, "cluster")
    issue_id = catalog_issue_id(entry.entry_id, NEW_REPO)
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None and issue.is_fixable
    assert issue.translation_placeholders == {"repo_id": NEW_REPO}

    client = await hass_client()
    result = await _start_fix(client, issue_id)
    assert result["step_id"] == "confirm"
    defaults = {field["name"]: field.get("default") for field in result["data_schema"]}
    assert defaults["name"] == "Tiny-Chat-7B-FP8"
    assert defaults["target"] == "cluster"
    assert defaults["fastsafetensors"] is False
    assert defaults["prefix_caching"] == "default"
    assert result["description_placeholders"]["repo_id"] == NEW_REPO

    form = {
        "name": "Tiny Chat 7B",
        "target": "cluster",
        "fastsafetensors": True,
        "prefix_caching": "off",
        "fp8_kv_cache": False,
        "max_model_len": 32768,
    }
    result = await _fix_step(client, result["flow_id"], {**form, "name": "bad\nname"})
    assert result["type"] == "form"
    assert result["errors"] == {"base": "invalid_model"}
    assert catalog.get(NEW_REPO) is None

    result = await _fix_step(client, result["flow_id"], form)
    assert result["type"] == "create_entry"
    model = catalog.get(NEW_REPO)
    assert model is not None
    assert (model.name, model.mode) == ("Tiny Chat 7B", "cluster")
    assert model.settings.fastsafetensors is True
    assert model.settings.prefix_caching is False
    assert model.settings.max_model_len == 32768
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
    # Already in the catalog: no new offer.
    async_offer_catalog_entry(hass, entry, NEW_REPO, "solo")
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None


async def test_dismissed_offer_stays_dismissed(hass: HomeAssistant, init_integration: Any) -> None:
    """Ignoring the offer for a model keeps it ignored when the model is downloaded again."""
    entry = init_integration
    registry = ir.async_get(hass)
    async_offer_catalog_entry(hass, entry, NEW_REPO, "solo")
    issue_id = catalog_issue_id(entry.entry_id, NEW_REPO)
    ir.async_ignore_issue(hass, DOMAIN, issue_id, True)
    async_offer_catalog_entry(hass, entry, NEW_REPO, "solo")
    issue = registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None and issue.dismissed_version is not None
    # Another model gets its own offer.
    async_offer_catalog_entry(hass, entry, "org/other-model", "solo")
    other = registry.async_get_issue(DOMAIN, catalog_issue_id(entry.entry_id, "org/other-model"))
    assert other is not None and other.dismissed_version is None


async def test_fix_flow_aborts_when_not_loaded_or_already_added(
    hass: HomeAssistant, init_integration: Any, hass_client: Any
) -> None:
    """An unloaded entry or a model added meanwhile ends the flow with a reason."""
    assert await async_setup_component(hass, "repairs", {})
    entry = init_integration
    client = await hass_client()
    async_offer_catalog_entry(hass, entry, NEW_REPO, "solo")
    issue_id = catalog_issue_id(entry.entry_id, NEW_REPO)
    await entry.runtime_data.client.catalog.add(NEW_REPO)
    result = await _start_fix(client, issue_id)
    assert (result["type"], result["reason"]) == ("abort", "already_in_catalog")

    async_offer_catalog_entry(hass, entry, "org/late-model", "solo")
    late_id = catalog_issue_id(entry.entry_id, "org/late-model")
    await hass.config_entries.async_unload(entry.entry_id)
    result = await _start_fix(client, late_id)
    assert (result["type"], result["reason"]) == ("abort", "not_loaded")


async def test_simulated_download_offers_the_catalog_entry(
    hass: HomeAssistant, sim_integration: Any
) -> None:
    """A real download (simulated Spark, real SSH) of an uncatalogued model raises the offer;
    with add_to_catalog it is added directly and no offer appears."""
    entry = sim_integration
    registry = ir.async_get(hass)
    for repo, add in ((NEW_REPO, False), ("acme-labs/Direct-Add-3B", True)):
        await hass.services.async_call(
            DOMAIN,
            "download_model",
            {
                "config_entry_id": entry.entry_id,
                "repo_id": repo,
                "target": "solo",
                "add_to_catalog": add,
            },
            blocking=True,
        )
        async with asyncio.timeout(120):
            while entry.runtime_data.jobs.download_running:
                await asyncio.sleep(0.2)
        await hass.async_block_till_done()
        issue = registry.async_get_issue(DOMAIN, catalog_issue_id(entry.entry_id, repo))
        in_catalog = entry.runtime_data.client.catalog.get(repo) is not None
        assert (issue is not None, in_catalog) == ((False, True) if add else (True, False))
    issue = registry.async_get_issue(DOMAIN, catalog_issue_id(entry.entry_id, NEW_REPO))
    assert issue is not None and issue.data == {
        "entry_id": entry.entry_id,
        "repo_id": NEW_REPO,
        "mode": "solo",
    }


async def test_magpie_diagnosis_retries_and_gives_up(
    hass: HomeAssistant, init_integration: Any, mock_cluster: Any
) -> None:
    """Unit level: a failed or empty log read is retried on the next polls, at most five times
    per crash streak; a Magpie that disappears from the poll is left alone."""
    from dataclasses import replace

    from custom_components.spark_control.api import ServiceStatus, SparkConnectionError

    from .conftest import cluster_status

    entry = init_integration
    coordinator = entry.runtime_data.status
    status = cluster_status()
    crashing = replace(
        status, services={**status.services, "magpie": ServiceStatus("restarting", False, None)}
    )
    mock_cluster.status.return_value = crashing
    mock_cluster.diagnose_crash.side_effect = SparkConnectionError("127.0.0.1", 2202, "reset")
    for _ in range(7):
        await coordinator.async_refresh()
        await hass.async_block_till_done(wait_background_tasks=True)
    assert mock_cluster.diagnose_crash.await_count == 5
    assert (
        ir.async_get(hass).async_get_issue(DOMAIN, f"magpie_cache_owner_{entry.entry_id}") is None
    )

    # Magpie gone from the poll: nothing happens; back to exited: a new streak may diagnose.
    mock_cluster.status.return_value = replace(
        status, services={"parakeet": status.services["parakeet"]}
    )
    await coordinator.async_refresh()
    mock_cluster.status.return_value = status  # magpie exited, not ready
    await coordinator.async_refresh()
    mock_cluster.diagnose_crash.side_effect = None
    mock_cluster.diagnose_crash.return_value = CacheOwnershipProblem(
        "magpie", "worker", "192.168.1.12", "magpie", None, "/opt/nim/.cache"
    )
    mock_cluster.status.return_value = crashing
    await coordinator.async_refresh()
    await hass.async_block_till_done(wait_background_tasks=True)
    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"magpie_cache_owner_{entry.entry_id}")
    assert issue is not None
    assert issue.translation_placeholders["command"] == "sudo chown -R 1000:1000 /opt/nim/.cache"


async def test_unknown_fixable_issue_gets_a_confirm_flow(hass: HomeAssistant) -> None:
    """Any other id (none today) falls back to HA's confirm flow."""
    from homeassistant.components.repairs import ConfirmRepairFlow

    from custom_components.spark_control.repairs import async_create_fix_flow

    assert isinstance(await async_create_fix_flow(hass, "something_else", None), ConfirmRepairFlow)
