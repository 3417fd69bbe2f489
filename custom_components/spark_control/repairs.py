"""Repair issues the user can act on: "Add to catalog" after a download, Magpie's crash loop.

A finished download of a model that is not in the catalog raises a fixable issue whose fix flow
is the seed's "Add to catalog" dialog, pre-filled (name, repo, mode, default settings); its id
is stable per model, so an issue the user dismissed stays dismissed for that model.

Magpie's NIM runs as uid 1000; when its model-cache volume on the Spark belongs to someone else
the container exits at once and docker keeps restarting it (the seed's known issue). When a
status poll sees it `restarting`, its log is read (on a few polls at most per crash streak); a
recognised permission error raises an issue saying which `chown` to run on which Spark.
"""

from __future__ import annotations

import hashlib
import shlex
from typing import Any, cast

import voluptuous as vol
from homeassistant import data_entry_flow
from homeassistant.components.repairs import ConfirmRepairFlow, RepairsFlow
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.selector import (
    BooleanSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
    TextSelector,
)

from .api import CacheOwnershipProblem, InvalidInputError, LaunchMode, ModelSettings, SparkError
from .const import DOMAIN, ISSUE_ADD_TO_CATALOG, ISSUE_MAGPIE_CACHE_OWNER, LOGGER
from .coordinator import SparkConfigEntry

PREFIX_DEFAULT = "default"
PREFIX_CHOICES = {PREFIX_DEFAULT: None, "on": True, "off": False}

NIM_UID = 1000
CRASH_STATES = frozenset({"restarting"})
DIAGNOSE_ATTEMPTS = 5


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
    """After every status poll: diagnose a restarting Magpie, clear the issue when healthy.

    The log may reach docker a moment after the exit, so a crash streak is read on up to
    DIAGNOSE_ATTEMPTS polls until the cause is found; then not again until Magpie recovers.
    """
    runtime = entry.runtime_data
    coordinator = runtime.status
    attempts = 0
    found = False
    running = False

    async def diagnose() -> None:
        nonlocal running, found
        try:
            problem = await runtime.client.diagnose_crash("magpie")
        except SparkError as err:
            LOGGER.debug("Could not read Magpie's crash log: %s", err)
            problem = None
        finally:
            running = False
        if problem is not None:
            found = True
            async_report_cache_owner(hass, entry, problem)

    @callback
    def after_poll() -> None:
        nonlocal attempts, found, running
        if not coordinator.last_update_success or coordinator.data is None:
            return
        magpie = coordinator.data.status.services.get("magpie")
        if magpie is None:
            return
        if magpie.container_state in CRASH_STATES:
            if not found and not running and attempts < DIAGNOSE_ATTEMPTS:
                attempts += 1
                running = True
                entry.async_create_background_task(
                    hass, diagnose(), f"{DOMAIN} diagnose magpie", eager_start=False
                )
            return
        attempts, found = 0, False
        if magpie.container_state == "running" and magpie.ready:
            ir.async_delete_issue(hass, DOMAIN, issue_id(entry))

    entry.async_on_unload(coordinator.async_add_listener(after_poll))


# --- "Add to catalog" ------------------------------------------------------------------------


def catalog_issue_id(entry_id: str, repo_id: str) -> str:
    """One id per entry and model (repo ids may hold characters issue ids should not)."""
    digest = hashlib.sha256(repo_id.encode()).hexdigest()[:16]
    return f"{ISSUE_ADD_TO_CATALOG}_{entry_id}_{digest}"


@callback
def async_offer_catalog_entry(
    hass: HomeAssistant, entry: SparkConfigEntry, repo_id: str, mode: LaunchMode
) -> None:
    """A download finished and the model is not in the catalog: offer to add it.

    Re-offering keeps an issue the user dismissed dismissed (same id, never deleted here).
    """
    if entry.runtime_data.client.catalog.get(repo_id) is not None:
        return
    ir.async_create_issue(
        hass,
        DOMAIN,
        catalog_issue_id(entry.entry_id, repo_id),
        is_fixable=True,
        is_persistent=True,
        severity=ir.IssueSeverity.WARNING,
        translation_key=ISSUE_ADD_TO_CATALOG,
        translation_placeholders={"repo_id": repo_id},
        data={"entry_id": entry.entry_id, "repo_id": repo_id, "mode": mode},
    )


def _catalog_schema(repo_id: str, mode: str) -> vol.Schema:
    return vol.Schema(
        {
            vol.Required("name", default=repo_id.rsplit("/", 1)[-1]): TextSelector(),
            vol.Required("target", default=mode): SelectSelector(
                SelectSelectorConfig(options=["solo", "cluster"], translation_key="target")
            ),
            vol.Optional("max_model_len"): vol.All(
                NumberSelector(
                    NumberSelectorConfig(min=256, max=1_048_576, mode=NumberSelectorMode.BOX)
                ),
                vol.Coerce(int),
            ),
            vol.Optional("gpu_memory_utilization"): NumberSelector(
                NumberSelectorConfig(min=0.05, max=0.99, step=0.01, mode=NumberSelectorMode.BOX)
            ),
            vol.Required("fastsafetensors", default=False): BooleanSelector(),
            vol.Required("prefix_caching", default=PREFIX_DEFAULT): SelectSelector(
                SelectSelectorConfig(options=list(PREFIX_CHOICES), translation_key="prefix_caching")
            ),
            vol.Required("fp8_kv_cache", default=False): BooleanSelector(),
        }
    )


class AddToCatalogFlow(RepairsFlow):
    """The seed's "Add to catalog" dialog: pre-filled, submitting adds the model."""

    def __init__(self, entry_id: str, repo_id: str, mode: str) -> None:
        """Remember which entry and model the issue is about."""
        self._entry_id = entry_id
        self._repo_id = repo_id
        self._mode = mode if mode in ("solo", "cluster") else "solo"

    async def async_step_init(
        self, user_input: dict[str, str] | None = None
    ) -> data_entry_flow.FlowResult:
        """Straight to the form."""
        return await self.async_step_confirm()

    async def async_step_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> data_entry_flow.FlowResult:
        """Name, mode and settings; submitting adds the model to the entry's catalog."""
        entry = self.hass.config_entries.async_get_entry(self._entry_id)
        if entry is None or entry.state is not ConfigEntryState.LOADED:
            return self.async_abort(reason="not_loaded")
        runtime = cast(SparkConfigEntry, entry).runtime_data
        catalog = runtime.client.catalog
        if catalog.get(self._repo_id) is not None:
            return self.async_abort(reason="already_in_catalog")
        errors: dict[str, str] = {}
        placeholders = {"repo_id": self._repo_id, "error": ""}
        if user_input is not None:
            settings = ModelSettings(
                max_model_len=user_input.get("max_model_len"),
                gpu_memory_utilization=user_input.get("gpu_memory_utilization"),
                fastsafetensors=user_input["fastsafetensors"],
                prefix_caching=PREFIX_CHOICES[user_input["prefix_caching"]],
                fp8_kv_cache=user_input["fp8_kv_cache"],
            )
            try:
                await catalog.add(
                    self._repo_id,
                    name=user_input["name"],
                    mode=cast(LaunchMode, user_input["target"]),
                    settings=settings,
                )
            except InvalidInputError as err:
                errors["base"] = "invalid_model"
                placeholders["error"] = str(err)
            else:
                runtime.jobs.async_catalog_changed()
                return self.async_create_entry(data={})
        schema = _catalog_schema(self._repo_id, self._mode)
        if user_input is not None:
            schema = self.add_suggested_values_to_schema(schema, user_input)
        return self.async_show_form(
            step_id="confirm",
            data_schema=schema,
            errors=errors,
            description_placeholders=placeholders,
        )


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, str | int | float | None] | None
) -> RepairsFlow:
    """The fix flow of one of our fixable issues."""
    if issue_id.startswith(ISSUE_ADD_TO_CATALOG) and data is not None:
        return AddToCatalogFlow(str(data["entry_id"]), str(data["repo_id"]), str(data["mode"]))
    return ConfirmRepairFlow()
