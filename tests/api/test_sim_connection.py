"""SSH against the simulator: pinning, typed errors, reuse, reconnect, IPv4-first names."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest

from custom_components.spark_control.api import (
    HostConfig,
    HostKeyChangedError,
    HostKeyUnknownError,
    NodeProblem,
    SparkAuthError,
    SparkCluster,
    SparkConnectionError,
    generate_key_pair,
)
from custom_components.spark_control.api import http as http_mod
from custom_components.spark_control.api.net import resolve_ipv4

from .conftest import ClusterFactory, cluster_config, credentials, pinned

DUAL_NAME = "spark-dual.test"


async def test_machine_id_and_connection_reuse(sim_pair: Any, cluster: SparkCluster) -> None:
    await cluster.test_connection()
    assert await cluster.machine_id() == sim_pair.head.machine_id
    for _ in range(3):
        await cluster.status()
    head = cluster._ctx.nodes["head"]
    worker = cluster._ctx.nodes["worker"]
    assert head.connect_count == 1
    assert worker.connect_count == 1


async def test_fetch_host_key_matches_the_server(sim_pair: Any) -> None:
    line, fingerprint = await SparkCluster.fetch_host_key(
        sim_pair.head.host, sim_pair.head.ssh_port
    )
    assert fingerprint == sim_pair.head.host_key_fingerprint
    assert line.split()[:2] == sim_pair.head.host_public_key.split()[:2]


async def test_unknown_host_key_carries_the_fingerprint(
    sim_pair: Any, cluster_factory: ClusterFactory
) -> None:
    cluster = await cluster_factory(sim_pair, creds=credentials(sim_pair, known_hosts={}))
    with pytest.raises(HostKeyUnknownError) as err:
        await cluster.machine_id()
    assert err.value.fingerprint == sim_pair.head.host_key_fingerprint
    assert err.value.fingerprint in str(err.value)
    assert err.value.public_key.startswith("ssh-ed25519 ")


async def test_changed_host_key_never_connects(
    sim_pair: Any, cluster_factory: ClusterFactory
) -> None:
    old = pinned(sim_pair)
    old_fingerprint = sim_pair.head.host_key_fingerprint
    sim_pair.head.rotate_host_key()
    cluster = await cluster_factory(sim_pair, creds=credentials(sim_pair, known_hosts=old))
    with pytest.raises(HostKeyChangedError) as err:
        await cluster.machine_id()
    assert err.value.expected_fingerprint == old_fingerprint
    assert err.value.actual_fingerprint == sim_pair.head.host_key_fingerprint
    assert err.value.actual_fingerprint != old_fingerprint
    assert not cluster._ctx.head.connected
    status = await cluster.status()
    assert status.nodes["head"].reachable is False
    assert status.nodes["head"].problem is NodeProblem.HOST_KEY_CHANGED
    assert status.nodes["head"].detail is not None
    assert sim_pair.head.host_key_fingerprint in status.nodes["head"].detail
    assert status.nodes["worker"].reachable is True
    assert status.nodes["worker"].problem is None


async def test_wrong_key_is_an_auth_error(sim_pair: Any, cluster_factory: ClusterFactory) -> None:
    creds = credentials(sim_pair)
    other = type(creds)(private_key=generate_key_pair().private_key, known_hosts=creds.known_hosts)
    cluster = await cluster_factory(sim_pair, creds=other)
    with pytest.raises(SparkAuthError) as err:
        await cluster.test_connection()
    assert sim_pair.user in str(err.value)
    assert "authorized_keys" in str(err.value)
    status = await cluster.status()  # reported per node, never raised
    assert {node.problem for node in status.nodes.values()} == {NodeProblem.AUTH_REJECTED}


async def test_refused_port_is_a_connection_error_with_backoff(
    sim_pair: Any, cluster_factory: ClusterFactory
) -> None:
    await sim_pair.head.set_reachable(False)
    cluster = await cluster_factory(sim_pair)
    with pytest.raises(SparkConnectionError) as first:
        await cluster.machine_id()
    with pytest.raises(SparkConnectionError) as second:
        await cluster.machine_id()
    assert second.value is first.value  # within the backoff window: no new attempt
    await sim_pair.head.set_reachable(True)
    head = cluster._ctx.head
    await head.connection(wait=True)
    assert await cluster.machine_id() == sim_pair.head.machine_id


async def test_reconnects_after_a_dropped_connection(sim_pair: Any, cluster: SparkCluster) -> None:
    assert await cluster.machine_id() == sim_pair.head.machine_id
    await sim_pair.head.drop_connections()
    assert await cluster.machine_id() == sim_pair.head.machine_id
    assert cluster._ctx.head.connect_count == 2


async def test_close_is_final(sim_pair: Any, cluster: SparkCluster) -> None:
    await cluster.test_connection()
    await cluster.close()
    with pytest.raises(SparkConnectionError, match="closed"):
        await cluster.machine_id()


@pytest.fixture
def dual_stack_name(monkeypatch: pytest.MonkeyPatch) -> str:
    """A name that resolves to ::1 first, then 127.0.0.1 (like spark-1.local often does)."""
    real = socket.getaddrinfo

    def fake(host: Any, port: Any, *args: Any) -> Any:
        family = args[0] if args else 0
        if host != DUAL_NAME:
            return real(host, port, *args)
        answers = [
            (socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("::1", port or 0, 0, 0)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port or 0)),
        ]
        return [a for a in answers if family in (0, socket.AF_UNSPEC, a[0])]

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    return DUAL_NAME


async def test_dual_stack_name_reaches_ipv4_only_services(
    sim_pair: Any, cluster_factory: ClusterFactory, dual_stack_name: str
) -> None:
    assert socket.getaddrinfo(dual_stack_name, 22)[0][0] == socket.AF_INET6
    assert await resolve_ipv4(dual_stack_name, 22) == "127.0.0.1"
    head = HostConfig(dual_stack_name, sim_pair.head.ssh_port, sim_pair.user)
    keys = pinned(sim_pair)
    keys[f"{dual_stack_name}:{sim_pair.head.ssh_port}"] = sim_pair.head.host_public_key
    cluster = await cluster_factory(
        sim_pair,
        config=cluster_config(sim_pair, head=head),
        creds=credentials(sim_pair, known_hosts=keys),
    )
    assert await cluster.machine_id() == sim_pair.head.machine_id
    session = cluster._ctx.session
    for _ in range(100):  # the fake Parakeet refuses while it "loads"
        probe = await http_mod.get(
            session, dual_stack_name, sim_pair.parakeet_port, "/v1/models", 3
        )
        if probe.ok:
            break
        await asyncio.sleep(0.1)
    assert probe.ok
    line, fingerprint = await SparkCluster.fetch_host_key(dual_stack_name, sim_pair.head.ssh_port)
    assert fingerprint == sim_pair.head.host_key_fingerprint
    assert line


async def test_resolution_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(SparkConnectionError, match="IPv4"):
        await resolve_ipv4("::1", 22)

    def no_name(*_args: Any, **_kwargs: Any) -> list[Any]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_name)
    with pytest.raises(SparkConnectionError, match="resolve"):
        await resolve_ipv4("spark-gone.test", 22)
    monkeypatch.setattr(socket, "getaddrinfo", lambda *_a, **_k: [])
    with pytest.raises(SparkConnectionError, match="no IPv4"):
        await resolve_ipv4("spark-v6only.test", 22)
