"""Spark Control: a pair of NVIDIA DGX Sparks (vLLM, Parakeet, Magpie) in Home Assistant."""

from __future__ import annotations

import asyncio
from functools import partial

from homeassistant.const import Platform
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed, ConfigEntryError, ConfigEntryNotReady
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.typing import ConfigType
from homeassistant.util.hass_dict import HassKey

from .api import (
    Catalog,
    HostKeyChangedError,
    HostKeyUnknownError,
    InvalidInputError,
    SparkAuthError,
    SparkCluster,
    SparkError,
)
from .compat import OPTIONS_FLOW_RELOADS
from .const import (
    DOMAIN,
    ISSUE_CHECKOUT_MISSING,
    ISSUE_HOST_KEY_CHANGED,
    ISSUE_MAGPIE_CACHE_OWNER,
    ISSUE_RESTART_MODEL,
    NODE_HEAD,
    NODE_WORKER,
    SPARK_VLLM_DOCKER_URL,
)
from .coordinator import (
    SparkActivityCoordinator,
    SparkConfigEntry,
    SparkRuntimeData,
    SparkStatusCoordinator,
    SparkUpdateCoordinator,
    async_report_host_key_changed,
)
from .entity import device_info
from .entry_data import async_migrate, cluster_config, credentials
from .feed import SparkFeed
from .helpers import error_placeholders
from .http import async_register_views
from .intent import async_register_sentences
from .intents import JobIntents
from .jobs import SparkJobs
from .models import SparkActivity
from .panel import async_register_panel, async_remove_panel_if_unused
from .repairs import async_offer_catalog_entry, async_watch_magpie
from .services import async_setup_services
from .store import HomeAssistantCatalogStorage
from .webhook import async_setup_webhooks
from .websocket_api import async_setup_websocket_api

PLATFORMS: list[Platform] = [
    Platform.BINARY_SENSOR,
    Platform.BUTTON,
    Platform.CONVERSATION,
    Platform.SELECT,
    Platform.SENSOR,
    Platform.STT,
    Platform.SWITCH,
    Platform.TTS,
    Platform.UPDATE,
]
# The Assist sentences exist once per Home Assistant while any entry is loaded.
DATA_INTENTS: HassKey[dict[str, CALLBACK_TYPE]] = HassKey(f"{DOMAIN}_assist_intents")
CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Actions, HTTP views and the panel's websocket commands exist once, for every entry."""
    async_setup_services(hass)
    async_register_views(hass)
    async_setup_websocket_api(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: SparkConfigEntry) -> bool:
    """Connect (test before setup), poll once, then add the platforms."""
    catalog = Catalog(HomeAssistantCatalogStorage(hass, entry.entry_id))
    await catalog.load()
    client = _build_client(hass, entry, catalog)
    try:
        await _async_connect(hass, entry, client)
        feed = SparkFeed()
        status = SparkStatusCoordinator(hass, entry, client, feed)
        updates = SparkUpdateCoordinator(hass, entry, client)
        activity = SparkActivityCoordinator(
            hass, entry, status, SparkActivity(catalog=tuple(catalog.models())), feed
        )

        def worker_reachable() -> bool:
            node = status.data.status.nodes.get(NODE_WORKER) if status.data else None
            return node is not None and node.reachable

        entry.runtime_data = SparkRuntimeData(
            client=client,
            status=status,
            updates=updates,
            activity=activity,
            jobs=SparkJobs(
                hass,
                entry,
                client,
                activity,
                worker_reachable=worker_reachable,
                offer_catalog_entry=partial(async_offer_catalog_entry, hass, entry),
                intents=JobIntents(hass, entry.entry_id),
                vllm_leaving=status.async_set_vllm_leaving,
                feed=feed,
            ),
            feed=feed,
        )
        feed.attach(entry)
        await status.async_config_entry_first_refresh()
    except BaseException:
        await client.close()
        raise
    # Work left running on the Sparks (a restart, a reload) is found and followed.
    await entry.runtime_data.jobs.async_resume()
    # A failed update check (no checkout, no network to GitHub) must not block setup.
    await updates.async_refresh()
    _async_check_checkout(hass, entry)
    async_setup_webhooks(hass, entry)
    async_watch_magpie(hass, entry)
    if not OPTIONS_FLOW_RELOADS:
        entry.async_on_unload(entry.add_update_listener(_async_options_updated))
    _async_register_sparks(hass, entry)
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    await async_register_panel(hass)
    _async_hold_intents(hass, entry.entry_id)
    return True


@callback
def _async_hold_intents(hass: HomeAssistant, entry_id: str) -> None:
    """Register the Assist sentences with the first loaded entry (conversation is set up)."""
    holders = hass.data.setdefault(DATA_INTENTS, {})
    if not holders:
        holders[entry_id] = async_register_sentences(hass)
    else:
        holders[entry_id] = next(iter(holders.values()))


@callback
def _async_release_intents(hass: HomeAssistant, entry_id: str) -> None:
    """Remove the Assist sentences when the last entry unloads."""
    holders = hass.data.get(DATA_INTENTS, {})
    remove = holders.pop(entry_id, None)
    if remove is not None and not holders:
        remove()


async def async_migrate_entry(hass: HomeAssistant, entry: SparkConfigEntry) -> bool:
    """Entries stored by older versions get today's data shape."""
    return await async_migrate(hass, entry)


def _build_client(hass: HomeAssistant, entry: SparkConfigEntry, catalog: Catalog) -> SparkCluster:
    """The client for the stored data; data that no longer validates is a setup error."""
    try:
        return SparkCluster(
            cluster_config(entry.data),
            credentials(entry.data),
            session=async_get_clientsession(hass),
            catalog=catalog,
        )
    except InvalidInputError as err:
        raise ConfigEntryError(
            translation_domain=DOMAIN,
            translation_key="invalid_config",
            translation_placeholders=error_placeholders(err),
        ) from err


async def _async_connect(
    hass: HomeAssistant, entry: SparkConfigEntry, client: SparkCluster
) -> None:
    """Map a failed connection test to the setup outcome HA expects."""
    issue_id = f"{ISSUE_HOST_KEY_CHANGED}_{entry.entry_id}"
    try:
        await client.test_connection()
    except SparkAuthError as err:
        raise ConfigEntryAuthFailed(
            translation_domain=DOMAIN,
            translation_key="auth_failed",
            translation_placeholders=error_placeholders(err),
        ) from err
    except HostKeyChangedError as err:
        async_report_host_key_changed(hass, entry, f"{err.host}:{err.port}", str(err))
        raise ConfigEntryError(
            translation_domain=DOMAIN,
            translation_key="host_key_changed",
            translation_placeholders=error_placeholders(err),
        ) from err
    except HostKeyUnknownError as err:
        raise ConfigEntryError(
            translation_domain=DOMAIN,
            translation_key="host_key_changed",
            translation_placeholders=error_placeholders(err),
        ) from err
    except SparkError as err:
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key="setup_failed",
            translation_placeholders=error_placeholders(err),
        ) from err
    ir.async_delete_issue(hass, DOMAIN, issue_id)


def _async_register_sparks(hass: HomeAssistant, entry: SparkConfigEntry) -> None:
    """Create both Spark devices first, so service devices can point at them (via_device)."""
    registry = dr.async_get(hass)
    for node in (NODE_HEAD, NODE_WORKER):
        registry.async_get_or_create(config_entry_id=entry.entry_id, **device_info(entry, node))


def _async_check_checkout(hass: HomeAssistant, entry: SparkConfigEntry) -> None:
    """Repair issue when the head has no spark-vllm-docker checkout."""
    issue_id = f"{ISSUE_CHECKOUT_MISSING}_{entry.entry_id}"
    if entry.runtime_data.status.data.status.checkout is None:
        ir.async_create_issue(
            hass,
            DOMAIN,
            issue_id,
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key=ISSUE_CHECKOUT_MISSING,
            translation_placeholders={"repository_url": SPARK_VLLM_DOCKER_URL},
        )
    else:
        ir.async_delete_issue(hass, DOMAIN, issue_id)


async def _async_options_updated(hass: HomeAssistant, entry: SparkConfigEntry) -> None:
    """New intervals take effect through a reload (where the options flow cannot reload)."""
    hass.config_entries.async_schedule_reload(entry.entry_id)


async def async_unload_entry(hass: HomeAssistant, entry: SparkConfigEntry) -> bool:
    """Unload platforms, cancel jobs, close every SSH connection."""
    unloaded = await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
    if unloaded:
        async_remove_panel_if_unused(hass, entry.entry_id)
        _async_release_intents(hass, entry.entry_id)
        runtime = entry.runtime_data
        await runtime.jobs.async_shutdown()
        await runtime.activity.async_shutdown()
        await runtime.status.async_shutdown()
        await asyncio.shield(runtime.client.close())
    return unloaded


async def async_remove_entry(hass: HomeAssistant, entry: SparkConfigEntry) -> None:
    """Forget the entry's catalog file and its repair issues."""
    await HomeAssistantCatalogStorage(hass, entry.entry_id).remove()
    await JobIntents(hass, entry.entry_id).async_remove()
    for issue in (
        ISSUE_CHECKOUT_MISSING,
        ISSUE_HOST_KEY_CHANGED,
        ISSUE_RESTART_MODEL,
        ISSUE_MAGPIE_CACHE_OWNER,
    ):
        ir.async_delete_issue(hass, DOMAIN, f"{issue}_{entry.entry_id}")
