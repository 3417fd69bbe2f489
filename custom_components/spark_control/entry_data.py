"""Turn config entry data into the Spark client's typed configuration."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from yarl import URL

from .api import ClusterConfig, Credentials, HostConfig, ServiceConfig
from .api.models import TtsFlavour
from .const import (
    CONF_ADDON_TOKEN,
    CONF_ADDON_URL,
    CONF_DIARIZER_CONTAINER,
    CONF_DIARIZER_NODE,
    CONF_HEAD_HOST,
    CONF_KNOWN_HOSTS,
    CONF_PASSPHRASE,
    CONF_PRIVATE_KEY,
    CONF_SSH_PORT,
    CONF_TTS_FLAVOUR,
    CONF_USERNAME,
    CONF_VLLM_PORT,
    CONF_WEBHOOK_DISCOVERY_ID,
    CONF_WORKER_HOST,
    CONF_WORKER_SSH_PORT,
    CONF_WORKER_USERNAME,
    DEFAULT_DIARIZER_CONTAINER,
    DEFAULT_SSH_PORT,
    DEFAULT_VLLM_PORT,
    LOGGER,
    NODE_HEAD,
    NODE_OTHER,
    NODE_WORKER,
    TTS_OPENAI,
)
from .webhook import new_webhook_options

# 1.1: one SSH user for both Sparks, no diarizer container, no webhooks.
# 1.2: a user per Spark, the diarizer's placement and container, the add-on token, webhook ids.
ENTRY_VERSION = 1
ENTRY_MINOR_VERSION = 2

NIM_HEALTH_PATH = "/v1/health/ready"
OPENAI_TTS_HEALTH_PATH = "/health"
PARAKEET_HEALTH_PATH = "/v1/models"


def host_config(data: Mapping[str, Any], node: str) -> HostConfig:
    """The SSH target of one Spark."""
    if node == NODE_HEAD:
        return HostConfig(data[CONF_HEAD_HOST], data[CONF_SSH_PORT], data[CONF_USERNAME])
    port = data.get(CONF_WORKER_SSH_PORT) or data[CONF_SSH_PORT]
    username = data.get(CONF_WORKER_USERNAME) or data[CONF_USERNAME]
    return HostConfig(data[CONF_WORKER_HOST], port, username)


def _service(
    data: Mapping[str, Any], key: Literal["parakeet", "magpie"], health_path: str
) -> ServiceConfig | None:
    node = data.get(f"{key}_node")
    if node is None:
        return None
    host = data.get(f"{key}_host") or (
        data[CONF_HEAD_HOST] if node == NODE_HEAD else data[CONF_WORKER_HOST]
    )
    return ServiceConfig(
        key=key,
        host=host,
        port=data[f"{key}_port"],
        container=data[f"{key}_container"],
        ssh_node=node if node in (NODE_HEAD, NODE_WORKER) else None,
        health_path=health_path,
    )


ADDON_PORT = 8010
ADDON_HEALTH_PATH = "/health"


def _diarizer(data: Mapping[str, Any]) -> ServiceConfig | None:
    """The diarizer container, when it runs on a Spark (then it can be started and stopped).

    Its health is probed at the add-on URL's host and port (with the bearer token), or at the
    Spark's address on the add-on's default port when no URL is set.
    """
    node = data.get(CONF_DIARIZER_NODE)
    if node not in (NODE_HEAD, NODE_WORKER):
        return None
    url = URL(data[CONF_ADDON_URL]) if data.get(CONF_ADDON_URL) else None
    spark = data[CONF_HEAD_HOST] if node == NODE_HEAD else data[CONF_WORKER_HOST]
    return ServiceConfig(
        key="diarizer",
        host=(url.host if url is not None and url.host else spark),
        port=(url.port if url is not None and url.port else ADDON_PORT),
        container=data.get(CONF_DIARIZER_CONTAINER) or DEFAULT_DIARIZER_CONTAINER,
        ssh_node=node,
        health_path=ADDON_HEALTH_PATH,
        bearer_token=data.get(CONF_ADDON_TOKEN) or None,
    )


def cluster_config(data: Mapping[str, Any]) -> ClusterConfig:
    """ClusterConfig for the addresses and services in `data`."""
    flavour: TtsFlavour = "openai" if data.get(CONF_TTS_FLAVOUR) == TTS_OPENAI else "nim"
    return ClusterConfig(
        head=host_config(data, NODE_HEAD),
        worker=host_config(data, NODE_WORKER),
        vllm_port=data.get(CONF_VLLM_PORT, DEFAULT_VLLM_PORT),
        parakeet=_service(data, "parakeet", PARAKEET_HEALTH_PATH),
        magpie=_service(
            data, "magpie", OPENAI_TTS_HEALTH_PATH if flavour == "openai" else NIM_HEALTH_PATH
        ),
        diarizer=_diarizer(data),
        tts_flavour=flavour,
        addon_url=data.get(CONF_ADDON_URL) or None,
    )


def credentials(data: Mapping[str, Any]) -> Credentials:
    """Private key and pinned host keys."""
    return Credentials(
        private_key=data[CONF_PRIVATE_KEY],
        passphrase=data.get(CONF_PASSPHRASE) or None,
        known_hosts=dict(data.get(CONF_KNOWN_HOSTS, {})),
    )


def host_key_id(host: str, port: int = DEFAULT_SSH_PORT) -> str:
    """The `known_hosts` key the client expects ("host:port")."""
    return f"{host}:{port}"


def migrate_data(data: Mapping[str, Any]) -> dict[str, Any]:
    """Entry data of version 1.1 in the 1.2 shape: every per-Spark and diarizer field explicit."""
    migrated = dict(data)
    migrated[CONF_WORKER_USERNAME] = data.get(CONF_WORKER_USERNAME) or data[CONF_USERNAME]
    migrated[CONF_WORKER_SSH_PORT] = data.get(CONF_WORKER_SSH_PORT) or data[CONF_SSH_PORT]
    migrated.setdefault(CONF_DIARIZER_NODE, NODE_OTHER)
    migrated.setdefault(CONF_DIARIZER_CONTAINER, DEFAULT_DIARIZER_CONTAINER)
    migrated.setdefault(CONF_ADDON_TOKEN, None)
    return migrated


async def async_migrate(hass: HomeAssistant, entry: ConfigEntry) -> bool:
    """Bring an entry stored by an older version to today's shape; refuse a newer one."""
    if entry.version > ENTRY_VERSION:
        return False  # written by a newer spark_control: a downgrade cannot read it
    if entry.version == ENTRY_VERSION and entry.minor_version < 2:
        options = dict(entry.options)
        if not options.get(CONF_WEBHOOK_DISCOVERY_ID):
            options.update(new_webhook_options())
        hass.config_entries.async_update_entry(
            entry, data=migrate_data(entry.data), options=options, minor_version=2
        )
        LOGGER.debug("Migrated %s to version %s.%s", entry.title, ENTRY_VERSION, 2)
    return True
