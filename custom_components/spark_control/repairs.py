"""Repair issues the user can act on: Magpie's cache-ownership crash loop.

Magpie's NIM runs as uid 1000; when its model-cache volume on the Spark belongs to someone else
the container exits at once and docker keeps restarting it (the seed's known issue). After a
status poll sees it `restarting`, its log is read once per crash streak; a recognised
permission error raises an issue that says which `chown` to run on which Spark.
"""

from __future__ import annotations

import shlex

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from .api import CacheOwnershipProblem, SparkError
from .const import DOMAIN, ISSUE_MAGPIE_CACHE_OWNER, LOGGER
from .coordinator import SparkConfigEntry

NIM_UID = 1000
CRASH_STATES = frozenset({"restarting"})


def issue_id(entry: SparkConfigEntry) -> str:
    """The entry's Magpie cache issue id."""
    return f"{ISSUE_MAGPIE_CACHE_OWNER}_{entry.entry_id}"


def chown_command(problem: CacheOwnershipProblem) -> str:
    """The command to run on the Spark (the path quoted as a shell would need it)."""
    path = problem.host_path or problem.denied_path
    return f"sudo chown -R {NIM_UID}:{NIM_UID} {shlex.quote(path)}"


@callback
def async_report_cache_owner(
    hass: HomeAssistant, entry: SparkConfigEntry, problem: CacheOwnershipProblem
) -> None:
    """Raise (or refresh) the issue with the command and where to run it."""
    node = "head" if problem.node == "head" else "worker"
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id(entry),
        is_fixable=False,
        severity=ir.IssueSeverity.ERROR,
        translation_key=ISSUE_MAGPIE_CACHE_OWNER,
        translation_placeholders={
            "spark": f"{node} Spark ({problem.host})",
            "container": problem.container,
            "denied_path": problem.denied_path,
            "command": chown_command(problem),
            "restart": f"docker restart {shlex.quote(problem.container)}",
        },
    )


@callback
def async_watch_magpie(hass: HomeAssistant, entry: SparkConfigEntry) -> None:
    """After every status poll: diagnose a restarting Magpie once, clear the issue when healthy."""
    runtime = entry.runtime_data
    coordinator = runtime.status
    diagnosed = False  # once per crash streak
    running = False

    async def diagnose() -> None:
        nonlocal running
        try:
            problem = await runtime.client.diagnose_crash("magpie")
        except SparkError as err:
            LOGGER.debug("Could not read Magpie's crash log: %s", err)
            problem = None
        finally:
            running = False
        if problem is not None:
            async_report_cache_owner(hass, entry, problem)

    @callback
    def after_poll() -> None:
        nonlocal diagnosed, running
        if not coordinator.last_update_success or coordinator.data is None:
            return
        magpie = coordinator.data.status.services.get("magpie")
        if magpie is None:
            return
        if magpie.container_state in CRASH_STATES:
            if not diagnosed and not running:
                diagnosed = running = True
                entry.async_create_background_task(
                    hass, diagnose(), f"{DOMAIN} diagnose magpie", eager_start=False
                )
            return
        diagnosed = False
        if magpie.container_state == "running" and magpie.ready:
            ir.async_delete_issue(hass, DOMAIN, issue_id(entry))

    entry.async_on_unload(coordinator.async_add_listener(after_poll))
