"""Repair issues against the simulator: Magpie's cache-ownership crash loop."""

from __future__ import annotations

import asyncio
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir

from custom_components.spark_control.api import CacheOwnershipProblem
from custom_components.spark_control.const import DOMAIN
from custom_components.spark_control.repairs import chown_command


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
