"""Fixtures for the HA-layer tests: custom integrations on, snapshots, mocked client for flows."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any
from unittest.mock import AsyncMock, MagicMock, patch

import pytest
from homeassistant.const import MAJOR_VERSION, MINOR_VERSION
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion
from syrupy.location import PyTestLocation

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


@pytest.fixture(autouse=True)
async def core_integration(hass: Any) -> None:
    """Home Assistant's own `homeassistant` integration, as in every real instance.

    The conversation agent depends on `conversation`, which reads the exposed-entities
    settings that this integration sets up.
    """
    from homeassistant.setup import async_setup_component

    assert await async_setup_component(hass, "homeassistant", {})


HA_SERIES = f"{MAJOR_VERSION}.{MINOR_VERSION}"


class PerVersionSnapshotExtension(HomeAssistantSnapshotExtension):
    """HA's serializer, one snapshot folder per Home Assistant version: tests/ha/snapshots-<x.y>/.

    Registry serialisation differs between releases (2026 device entries lost `is_new`, ...);
    each version's snapshots hold what that version really produces. test_versions.py checks
    that they differ only in those known fields. The folders are siblings, not children, of
    HA's default `snapshots/`: syrupy scans that one recursively and would call (and with
    --snapshot-update, delete) the other version's snapshots unused.
    """

    @classmethod
    def dirname(cls, *, test_location: PyTestLocation) -> str:
        """tests/ha/snapshots-<major.minor>/."""
        return f"{super().dirname(test_location=test_location)}-{HA_SERIES}"


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Snapshots with HA's serializer, per Home Assistant version (see above)."""
    return snapshot.use_extension(PerVersionSnapshotExtension)


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


GIB = 1024**3
ENTRY_ID = "01JSPARKCONTROLTESTENTRY00"
LOADED_MODEL = "RedHatAI/Qwen3.6-35B-A3B-NVFP4"


def cluster_status(model: str | None = LOADED_MODEL, *, worker_reachable: bool = True) -> Any:
    """A deterministic ClusterStatus as the client would report it."""
    from custom_components.spark_control.api import (
        CheckoutInfo,
        ClusterStatus,
        GpuStats,
        MemoryStats,
        NodeStatus,
        ServiceStatus,
        VllmStatus,
    )

    return ClusterStatus(
        nodes={
            "head": NodeStatus(
                "head",
                True,
                GpuStats("NVIDIA GB10", 41.0, 55.0, 38.5, 90112.0),
                MemoryStats(128 * GIB, 40 * GIB, 88 * GIB),
            ),
            "worker": NodeStatus(
                "worker",
                worker_reachable,
                GpuStats("NVIDIA GB10", None, 47.0, None, None) if worker_reachable else None,
                MemoryStats(128 * GIB, 100 * GIB, 28 * GIB) if worker_reachable else None,
            ),
        },
        vllm=VllmStatus(
            ready=model is not None,
            model=model,
            max_model_len=65536 if model else None,
            tokens_per_second=123.4 if model else None,
            requests_running=1 if model else None,
            requests_waiting=0 if model else None,
            kv_cache_usage=0.25 if model else None,
        ),
        services={
            "parakeet": ServiceStatus("running", True, "nvidia/parakeet-tdt-0.6b-v3"),
            "magpie": ServiceStatus("exited", False, None),
        },
        checkout=CheckoutInfo("74c02c3", "aug2026", frozenset({"solo", "daemon"})),
    )


@pytest.fixture
def mock_cluster() -> Generator[MagicMock]:
    """SparkCluster mocked at the integration boundary (core style) with a real catalog."""
    from custom_components.spark_control.api import SparkCluster, SwapProgress, UpdateInfo

    client = MagicMock(spec=SparkCluster)
    client.status.return_value = cluster_status()
    client.check_update.return_value = UpdateInfo(
        "74c02c3", "358bf26", 3, ["358bf26 Add recipes", "b3caac6 Pull image", "09a847f Fix -d"]
    )
    client.machine_id.return_value = MACHINE_ID
    client.swap_progress = SwapProgress()
    client.swap_log = []
    client.swap_running = False
    client.download_progress = None
    # Nothing left running on the Sparks from before this setup.
    client.reattach_download.return_value = None
    client.reattach_swap.return_value = None
    client.reattach_update.return_value = None
    client.running_jobs.return_value = []
    client.open_launch.return_value = None
    client.list_downloaded.return_value = []
    client.vllm_base_url = "http://127.0.0.1:8888/v1"
    client.service_base_url.side_effect = {
        "parakeet": "http://127.0.0.1:8000",
        "magpie": "http://127.0.0.1:9000",
    }.get

    def construct(config: Any, credentials: Any, **kwargs: Any) -> MagicMock:
        client.catalog = kwargs["catalog"]
        client.constructed_with = (config, credentials)
        return client

    with patch("custom_components.spark_control.SparkCluster", side_effect=construct):
        yield client


@pytest.fixture
def mock_config_entry() -> Any:
    """A config entry with fixed ids, so snapshots are stable."""
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from custom_components.spark_control.const import DOMAIN

    return MockConfigEntry(
        domain=DOMAIN,
        entry_id=ENTRY_ID,
        unique_id=MACHINE_ID,
        title="Spark cluster 127.0.0.1",
        data=flow_entry_data(),
    )


@pytest.fixture
def platforms() -> list[str] | None:
    """Platforms to set up (None: all); platform tests narrow it."""
    return None


@pytest.fixture
async def init_integration(
    hass: Any,
    mock_config_entry: Any,
    mock_cluster: MagicMock,
    aioclient_mock: Any,
    platforms: list[str] | None,
) -> Any:
    """The entry set up against the mocked client; the add-on answers /health with 200."""
    aioclient_mock.get("http://127.0.0.1:8010/health", status=200)
    mock_config_entry.add_to_hass(hass)
    if platforms is None:
        assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
        await hass.async_block_till_done()
        yield mock_config_entry
        return
    # Narrowed for the whole test, unload included: unloading a platform of a loaded
    # domain (conversation is a dependency) that this entry never set up would fail.
    with patch("custom_components.spark_control.PLATFORMS", platforms):
        assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
        await hass.async_block_till_done()
        yield mock_config_entry
        if mock_config_entry.state.name == "LOADED":
            await hass.config_entries.async_unload(mock_config_entry.entry_id)
            await hass.async_block_till_done()


# --- the simulated Spark pair (real SSH, real bash, fake vLLM/Parakeet/Magpie over HTTP) -----

from spark_sim.fixtures import *  # noqa: E402, F403


def sim_entry_data(pair: Any, addon_url: str | None = None) -> dict[str, Any]:
    """Entry data for a started SimPair, as the config flow would have written it."""
    head, worker = pair.head, pair.worker
    data = {
        CONF_HEAD_HOST: head.host,
        CONF_WORKER_HOST: worker.host,
        CONF_SSH_PORT: head.ssh_port,
        CONF_WORKER_SSH_PORT: worker.ssh_port,
        CONF_USERNAME: pair.user,
        CONF_VLLM_PORT: pair.vllm_port,
        CONF_PRIVATE_KEY: pair.client_key_path.read_text(encoding="utf-8"),
        CONF_PASSPHRASE: None,
        CONF_KNOWN_HOSTS: {
            f"{head.host}:{head.ssh_port}": head.host_public_key,
            f"{worker.host}:{worker.ssh_port}": worker.host_public_key,
        },
        CONF_PARAKEET_NODE: pair.config.parakeet_node,
        CONF_PARAKEET_HOST: "127.0.0.1",
        CONF_PARAKEET_PORT: pair.parakeet_port,
        CONF_PARAKEET_CONTAINER: pair.config.parakeet_container,
        CONF_MAGPIE_NODE: pair.config.magpie_node,
        CONF_MAGPIE_HOST: "127.0.0.1",
        CONF_MAGPIE_PORT: pair.magpie_port,
        CONF_MAGPIE_CONTAINER: pair.config.magpie_container,
        CONF_TTS_FLAVOUR: "nim",
    }
    if addon_url:
        data[CONF_ADDON_URL] = addon_url
    return data


@pytest.fixture
async def fake_addon(socket_enabled: None) -> Any:
    """A tiny diarizer add-on stand-in on 127.0.0.1 answering GET /health."""
    from aiohttp import web

    app = web.Application()
    app["healthy"] = True
    app["token"] = None  # set: /health requires `Authorization: Bearer <token>`

    async def health(request: web.Request) -> web.Response:
        token = request.app["token"]
        if token and request.headers.get("Authorization") != f"Bearer {token}":
            return web.json_response({"detail": "unauthorized"}, status=401)
        if request.app["healthy"]:
            return web.json_response({"status": "ok"})
        return web.json_response({"status": "loading"}, status=503)

    app.router.add_get("/health", health)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    app["url"] = f"http://127.0.0.1:{port}"
    yield app
    await runner.cleanup()


@pytest.fixture
async def sim_integration(hass: Any, sim_pair: Any, fake_addon: Any) -> Any:
    """The integration set up against the simulated pair (no model loaded at start)."""
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from custom_components.spark_control.const import DOMAIN

    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=pair_machine_id(sim_pair),
        title="Spark cluster 127.0.0.1",
        data=sim_entry_data(sim_pair, fake_addon["url"]),
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    yield entry
    if entry.state.name == "LOADED":
        await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_block_till_done()


def pair_machine_id(pair: Any) -> str:
    """The head's machine id as the integration reads it."""
    return str(pair.head.machine_id).strip()
