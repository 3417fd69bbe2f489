"""Turn config entry data into the Spark client's typed configuration."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from .api import ClusterConfig, Credentials, HostConfig, ServiceConfig
from .api.models import TtsFlavour
from .const import (
    CONF_ADDON_URL,
    CONF_HEAD_HOST,
    CONF_KNOWN_HOSTS,
    CONF_PASSPHRASE,
    CONF_PRIVATE_KEY,
    CONF_SSH_PORT,
    CONF_TTS_FLAVOUR,
    CONF_USERNAME,
    CONF_VLLM_PORT,
    CONF_WORKER_HOST,
    CONF_WORKER_SSH_PORT,
    DEFAULT_SSH_PORT,
    DEFAULT_VLLM_PORT,
    NODE_HEAD,
    NODE_WORKER,
    TTS_OPENAI,
)

NIM_HEALTH_PATH = "/v1/health/ready"
OPENAI_TTS_HEALTH_PATH = "/health"
PARAKEET_HEALTH_PATH = "/v1/models"


def host_config(data: Mapping[str, Any], node: str) -> HostConfig:
    """The SSH target of one Spark."""
    if node == NODE_HEAD:
        return HostConfig(data[CONF_HEAD_HOST], data[CONF_SSH_PORT], data[CONF_USERNAME])
    port = data.get(CONF_WORKER_SSH_PORT) or data[CONF_SSH_PORT]
    return HostConfig(data[CONF_WORKER_HOST], port, data[CONF_USERNAME])


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
