"""The panel's websocket commands (docs/panel-api.md): admin-only, one config entry each.

Registered once per Home Assistant. Each command validates its fields with the actions' rules
(`actions.FIELDS`) inside the handler, so a bad value comes back as a translated error naming
its field; the operations themselves are the actions' own.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from functools import wraps
from typing import Any, Final, cast

import voluptuous as vol
from homeassistant.components.websocket_api import async_register_command
from homeassistant.components.websocket_api.connection import ActiveConnection
from homeassistant.components.websocket_api.const import WebSocketCommandHandler
from homeassistant.components.websocket_api.decorators import (
    async_response,
    require_admin,
    websocket_command,
)
from homeassistant.components.websocket_api.messages import event_message
from homeassistant.core import HomeAssistant, callback

from . import actions
from .api import ServiceAction, ServiceKey
from .const import DOMAIN, LOGGER
from .coordinator import SparkConfigEntry
from .helpers import sanitize
from .snapshot import model_part, update_part

PREFIX: Final = f"{DOMAIN}/"
ENTRY_ID: Final = "entry_id"

Message = dict[str, Any]
AsyncHandler = Callable[
    [HomeAssistant, ActiveConnection, SparkConfigEntry, dict[str, Any]],
    Awaitable[Any],
]


def _command(name: str) -> vol.All:
    """The message schema: the command type and an entry id; fields are checked later."""
    return vol.All(
        vol.Schema(
            {vol.Required("type"): PREFIX + name, vol.Required(ENTRY_ID): str},
            extra=vol.ALLOW_EXTRA,
        )
    )


def _fields(msg: Message, schema: Mapping[vol.Marker, Any]) -> dict[str, Any]:
    """The command's fields checked by `schema`; a bad one raises a translated field error."""
    data = {key: value for key, value in msg.items() if key not in ("id", "type", ENTRY_ID)}
    try:
        return cast(dict[str, Any], vol.Schema(dict(schema))(data))
    except vol.Invalid as err:
        raise actions.field_error(err) from err


def _entry_command(
    name: str, fields: Mapping[vol.Marker, Any]
) -> Callable[[AsyncHandler], WebSocketCommandHandler]:
    """Admin-only command on one loaded entry; its result is what the handler returns."""

    def decorate(handler: AsyncHandler) -> WebSocketCommandHandler:
        @require_admin
        @websocket_command(_command(name))
        @async_response
        @wraps(handler)
        async def command(hass: HomeAssistant, connection: ActiveConnection, msg: Message) -> None:
            entry = actions.async_get_entry(hass, msg[ENTRY_ID])
            data = _fields(msg, fields)
            connection.send_result(msg["id"], await handler(hass, connection, entry, data))

        return command

    return decorate


# --- reading ---------------------------------------------------------------------------------


@require_admin
@websocket_command({vol.Required("type"): PREFIX + "entries"})
@callback
def ws_entries(hass: HomeAssistant, connection: ActiveConnection, msg: Message) -> None:
    """Every Spark Control entry, for the panel's entry picker."""
    connection.send_result(
        msg["id"],
        {
            "entries": [
                {"entry_id": entry.entry_id, "title": entry.title, "state": entry.state.value}
                for entry in hass.config_entries.async_entries(DOMAIN)
            ]
        },
    )


@_entry_command("snapshot", {})
async def ws_snapshot(
    hass: HomeAssistant,
    connection: ActiveConnection,
    entry: SparkConfigEntry,
    data: dict[str, Any],
) -> Any:
    """Everything the panel shows, once."""
    return entry.runtime_data.feed.snapshot()


@require_admin
@websocket_command(_command("subscribe"))
@callback
def ws_subscribe(hass: HomeAssistant, connection: ActiveConnection, msg: Message) -> None:
    """The snapshot, then every change as it happens, until unsubscribed or unloaded."""
    entry = actions.async_get_entry(hass, msg[ENTRY_ID])
    _fields(msg, {})
    msg_id: int = msg["id"]
    feed = entry.runtime_data.feed

    @callback
    def send(event: dict[str, Any]) -> None:
        connection.send_message(event_message(msg_id, event))

    @callback
    def closed() -> None:
        connection.subscriptions.pop(msg_id, None)

    connection.subscriptions[msg_id] = feed.async_subscribe(send, closed)
    connection.send_result(msg_id)
    send({"kind": "snapshot", "snapshot": feed.snapshot()})


# --- models ----------------------------------------------------------------------------------


@_entry_command("swap", actions.FIELDS[actions.SWAP_MODEL])
async def ws_swap(
    hass: HomeAssistant,
    connection: ActiveConnection,
    entry: SparkConfigEntry,
    data: dict[str, Any],
) -> None:
    """Start a swap; its log and states follow on the subscription."""
    await actions.async_swap_model(entry, data)


@_entry_command("download", actions.FIELDS[actions.DOWNLOAD_MODEL])
async def ws_download(
    hass: HomeAssistant,
    connection: ActiveConnection,
    entry: SparkConfigEntry,
    data: dict[str, Any],
) -> None:
    """Start a download; its progress follows on the subscription."""
    await actions.async_download_model(entry, data)


@_entry_command("cancel_download", actions.FIELDS[actions.CANCEL_DOWNLOAD])
async def ws_cancel_download(
    hass: HomeAssistant,
    connection: ActiveConnection,
    entry: SparkConfigEntry,
    data: dict[str, Any],
) -> None:
    """Cancel the running download."""
    await actions.async_cancel_download(entry, data)


@_entry_command(
    "validate_repo",
    {vol.Required("repo_id"): actions.TEXT, vol.Optional("revision"): actions.TEXT},
)
async def ws_validate_repo(
    hass: HomeAssistant,
    connection: ActiveConnection,
    entry: SparkConfigEntry,
    data: dict[str, Any],
) -> Any:
    """The download's rules per field, locally (for validation as you type)."""
    return actions.validate_repo(entry, data["repo_id"], data.get("revision"))


@_entry_command("add_model", actions.FIELDS[actions.ADD_MODEL])
async def ws_add_model(
    hass: HomeAssistant,
    connection: ActiveConnection,
    entry: SparkConfigEntry,
    data: dict[str, Any],
) -> Any:
    """Add a custom model (the "Add to catalog" dialog)."""
    return {"model": model_part(await actions.async_add_model(entry, data))}


@_entry_command("remove_model", actions.FIELDS[actions.REMOVE_MODEL])
async def ws_remove_model(
    hass: HomeAssistant,
    connection: ActiveConnection,
    entry: SparkConfigEntry,
    data: dict[str, Any],
) -> None:
    """Remove a custom model."""
    await actions.async_remove_model(entry, data)


@_entry_command("model_settings", actions.FIELDS[actions.SET_MODEL_SETTINGS])
async def ws_model_settings(
    hass: HomeAssistant,
    connection: ActiveConnection,
    entry: SparkConfigEntry,
    data: dict[str, Any],
) -> Any:
    """Change a model's knobs (the Advanced settings form)."""
    return {"model": model_part(await actions.async_set_model_settings(entry, data))}


# --- services and updates --------------------------------------------------------------------


@_entry_command(
    "service",
    {
        vol.Required("service"): vol.All(str, vol.Length(min=1, max=actions.MAX_TEXT)),
        vol.Required("action"): vol.In(["start", "stop", "restart"]),
    },
)
async def ws_service(
    hass: HomeAssistant,
    connection: ActiveConnection,
    entry: SparkConfigEntry,
    data: dict[str, Any],
) -> Any:
    """docker start/stop/restart of a speech container; a status poll follows."""
    status = await actions.async_service_action(
        entry, data["service"], cast(ServiceAction, data["action"])
    )
    client = entry.runtime_data.client
    return {
        "service": {
            "container_state": status.container_state,
            "ready": status.ready,
            "model": status.model,
            "base_url": client.service_base_url(cast(ServiceKey, data["service"])),
            "controllable": True,
        }
    }


@_entry_command("update_check", {})
async def ws_update_check(
    hass: HomeAssistant,
    connection: ActiveConnection,
    entry: SparkConfigEntry,
    data: dict[str, Any],
) -> Any:
    """Check spark-vllm-docker against upstream now."""
    await actions.async_check_update(entry)
    return {"update": update_part(entry, None)}


@_entry_command("update_apply", {})
async def ws_update_apply(
    hass: HomeAssistant,
    connection: ActiveConnection,
    entry: SparkConfigEntry,
    data: dict[str, Any],
) -> None:
    """Start the install in the background; its build log follows on the subscription."""
    actions.async_refuse_second_install(entry)

    async def install() -> None:
        try:
            await actions.async_install_update(entry)
        except Exception as err:  # the outcome is in the update state and its log
            LOGGER.error("Updating spark-vllm-docker failed: %s", sanitize(err))

    entry.async_create_background_task(hass, install(), f"{DOMAIN} update install")


COMMANDS: Final = (
    ws_entries,
    ws_snapshot,
    ws_subscribe,
    ws_swap,
    ws_download,
    ws_cancel_download,
    ws_validate_repo,
    ws_add_model,
    ws_remove_model,
    ws_model_settings,
    ws_service,
    ws_update_check,
    ws_update_apply,
)


@callback
def async_setup_websocket_api(hass: HomeAssistant) -> None:
    """Register every command (once, in async_setup)."""
    for command in COMMANDS:
        async_register_command(hass, command)
