"""The client against Debian's real OpenSSH sshd serving the simulator's sandbox."""

from __future__ import annotations

import os
import signal
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from custom_components.spark_control.api import (
    HostConfig,
    HostKeyChangedError,
    HostKeyUnknownError,
    SparkCluster,
)
from spark_sim.openssh import SshdInfo, run_sshd

from .conftest import ClusterFactory, cluster_config, credentials


@pytest.fixture
async def sshd(sim_pair: Any, tmp_path: Path) -> AsyncIterator[SshdInfo]:
    """A real sshd for the head node."""
    async with run_sshd(sim_pair.head, tmp_path / "sshd") as info:
        yield info


def _config_and_creds(pair: Any, sshd: SshdInfo) -> tuple[Any, Any]:
    config = replace(
        cluster_config(pair, worker=None, parakeet=None, magpie=None),
        head=HostConfig(sshd.host, sshd.port, sshd.user),
    )
    creds = credentials(pair, known_hosts={f"{sshd.host}:{sshd.port}": pair.head.host_public_key})
    return config, creds


def _session_children(pid: int) -> list[int]:
    """PIDs whose parent is the sshd we started (its per-connection processes)."""
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            children.append(int(entry.name))
    return children


async def test_key_auth_and_pinning(
    sim_pair: Any, sshd: SshdInfo, cluster_factory: ClusterFactory
) -> None:
    line, fingerprint = await SparkCluster.fetch_host_key(sshd.host, sshd.port)
    assert fingerprint == sshd.host_key_fingerprint
    assert line.startswith("ssh-ed25519 ")
    config, creds = _config_and_creds(sim_pair, sshd)
    cluster = await cluster_factory(sim_pair, config=config, creds=creds)
    assert await cluster.machine_id() == sim_pair.head.machine_id
    status = await cluster.status()
    assert status.nodes["head"].reachable
    assert status.nodes["head"].memory is not None
    assert status.checkout is not None

    unknown = await cluster_factory(sim_pair, config=config, creds=replace(creds, known_hosts={}))
    with pytest.raises(HostKeyUnknownError) as err:
        await unknown.machine_id()
    assert err.value.fingerprint == sshd.host_key_fingerprint


async def test_changed_host_key(
    sim_pair: Any, sshd: SshdInfo, cluster_factory: ClusterFactory
) -> None:
    config, creds = _config_and_creds(sim_pair, sshd)
    sim_pair.head.rotate_host_key()  # sshd re-execs per connection: new key from now on
    cluster = await cluster_factory(sim_pair, config=config, creds=creds)
    with pytest.raises(HostKeyChangedError) as err:
        await cluster.machine_id()
    assert err.value.actual_fingerprint == sim_pair.head.host_key_fingerprint
    assert err.value.expected_fingerprint != err.value.actual_fingerprint


async def test_streamed_command_and_dropped_connection(
    sim_pair: Any, sshd: SshdInfo, cluster_factory: ClusterFactory
) -> None:
    config, creds = _config_and_creds(sim_pair, sshd)
    cluster = await cluster_factory(sim_pair, config=config, creds=creds)
    head = cluster._ctx.head
    lines: list[str] = []
    result = await head.run_streamed(
        "for i in 1 2 3; do echo line$i; sleep 0.1; done; printf 'a\\rb\\n'",
        name="stream",
        timeout=30,
        on_line=lines.append,
    )
    assert result.exit_status == 0
    assert lines == ["line1", "line2", "line3", "a", "b"]
    assert head.connect_count == 1

    children = _session_children(sshd.pid)
    assert children, "no per-connection sshd process found"
    for pid in children:
        os.kill(pid, signal.SIGKILL)
    assert await cluster.machine_id() == sim_pair.head.machine_id
    assert head.connect_count == 2
