"""Fixtures for the HA-layer tests: custom integrations on, snapshots, mocked client for flows."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any
from unittest.mock import AsyncMock, MagicMock, patch

import pytest
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion

from custom_components.spark_control.const import (
    CONF_ADDON_URL,
    CONF_HEAD_HOST,
    CONF_KNOWN_HOSTS,
    CONF_MAGPIE_CONTAINER,
    CONF_MAGPIE_HOST,
    CONF_MAGPIE_NODE,
    CONF_MAGPIE_PORT,
    CONF_PARAKEET_CONTAINER,
    CONF_PARAKEET_HOST,
    CONF_PARAKEET_NODE,
    CONF_PARAKEET_PORT,
    CONF_PASSPHRASE,
    CONF_PRIVATE_KEY,
    CONF_SSH_PORT,
    CONF_TTS_FLAVOUR,
    CONF_USERNAME,
    CONF_VLLM_PORT,
    CONF_WORKER_HOST,
    CONF_WORKER_SSH_PORT,
)

MACHINE_ID = "0123456789abcdef0123456789abcdef"


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let HA load custom_components/spark_control."""


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Snapshots with HA's serializer, stored in tests/ha/snapshots/."""
    return snapshot.use_extension(HomeAssistantSnapshotExtension)


@pytest.fixture
def entity_registry_enabled_by_default() -> Generator[None]:
    """Enable entities that are disabled by default (phacc does not ship this fixture)."""
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
        return_value=True,
    ):
        yield


@pytest.fixture
def mock_setup_entry() -> Generator[AsyncMock]:
    """Config-flow tests stop at entry creation."""
    with patch(
        "custom_components.spark_control.async_setup_entry", return_value=True
    ) as setup_entry:
        yield setup_entry


def host_key_line(port: int) -> str:
    """A deterministic fake host key line per SSH port."""
    return f"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI{port:08d}"


@pytest.fixture
def mock_flow_cluster() -> Generator[MagicMock]:
    """SparkCluster as the config flow sees it (unit level: errors are forced through it)."""
    with patch(
        "custom_components.spark_control.config_flow.SparkCluster", autospec=True
    ) as cluster_cls:
        cluster_cls.fetch_host_key = AsyncMock(
            side_effect=lambda host, port: (host_key_line(port), f"SHA256:fp-{port}")
        )
        client = cluster_cls.return_value
        client.machine_id.return_value = MACHINE_ID
        yield cluster_cls


def flow_entry_data(private_key: str = "KEY") -> dict[str, Any]:
    """Entry data as the config flow writes it (hosts and ports of a fake pair)."""
    return {
        CONF_HEAD_HOST: "127.0.0.1",
        CONF_WORKER_HOST: "127.0.0.1",
        CONF_SSH_PORT: 2201,
        CONF_WORKER_SSH_PORT: 2202,
        CONF_USERNAME: "spark",
        CONF_VLLM_PORT: 8888,
        CONF_PRIVATE_KEY: private_key,
        CONF_PASSPHRASE: None,
        CONF_KNOWN_HOSTS: {
            "127.0.0.1:2201": host_key_line(2201),
            "127.0.0.1:2202": host_key_line(2202),
        },
        CONF_PARAKEET_NODE: "worker",
        CONF_PARAKEET_HOST: "127.0.0.1",
        CONF_PARAKEET_PORT: 8000,
        CONF_PARAKEET_CONTAINER: "parakeet",
        CONF_MAGPIE_NODE: "worker",
        CONF_MAGPIE_HOST: "127.0.0.1",
        CONF_MAGPIE_PORT: 9000,
        CONF_MAGPIE_CONTAINER: "magpie",
        CONF_TTS_FLAVOUR: "nim",
        CONF_ADDON_URL: "http://127.0.0.1:8010",
    }
