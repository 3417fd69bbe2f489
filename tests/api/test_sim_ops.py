"""Downloads, updates and speech services against the simulator."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from custom_components.spark_control.api import (
    DownloadError,
    DownloadProgress,
    DownloadState,
    InvalidInputError,
    SparkCluster,
    UpdateError,
)

from .conftest import ClusterFactory, cluster_config

NEW_MODEL = "Qwen/Qwen3-235B-A22B-Instruct-2507-FP8"
PRESENT = "RedHatAI/Qwen3.6-35B-A3B-NVFP4"


async def _pair(factory: Any, **kwargs: Any) -> Any:
    from spark_sim import PairConfig

    return await factory(PairConfig(**kwargs))


async def test_already_downloaded(sim_pair: Any, cluster: SparkCluster) -> None:
    assert PRESENT in await cluster.list_downloaded()
    result = await cluster.download_model(PRESENT, "solo")
    assert result.state is DownloadState.COMPLETED
    assert result.percent == 100.0
    assert result.bytes_done == result.bytes_total
    assert result.bytes_done is not None and result.bytes_done > 2**31


async def test_gated_download(sim_pair: Any, cluster: SparkCluster) -> None:
    sim_pair.faults.set("gated_download", True)
    with pytest.raises(DownloadError) as err:
        await cluster.download_model(NEW_MODEL, "solo")
    assert "gated" in str(err.value)
    assert "HF_TOKEN" in str(err.value)
    assert cluster.download_progress is not None
    assert cluster.download_progress.state is DownloadState.FAILED


async def test_cancel_download(sim_pair_factory: Any, cluster_factory: ClusterFactory) -> None:
    pair = await _pair(sim_pair_factory, download_seconds=30.0)
    cluster = await cluster_factory(pair)
    seen: list[DownloadProgress] = []
    task = asyncio.create_task(
        cluster.download_model(NEW_MODEL, "cluster", on_progress=seen.append)
    )
    while not any(p.state is DownloadState.RUNNING for p in seen):
        await asyncio.sleep(0.05)
    with pytest.raises(DownloadError, match="another download"):
        await cluster.download_model(PRESENT, "solo")
    await asyncio.sleep(0.5)
    await cluster.cancel_download()
    result = await asyncio.wait_for(task, 20)
    assert result.state is DownloadState.CANCELLED
    assert NEW_MODEL not in await cluster.list_downloaded()
    await cluster.cancel_download()  # nothing running: no-op


async def _running(seen: list[DownloadProgress]) -> None:
    """Until the download reports bytes on disk."""
    while not any(p.state is DownloadState.RUNNING and p.bytes_done for p in seen):
        await asyncio.sleep(0.05)


async def test_download_resumes_after_the_connection_drops(
    sim_pair_factory: Any, cluster_factory: ClusterFactory
) -> None:
    """A dropped SSH connection mid-download: the job runs on; the client reconnects."""
    pair = await _pair(sim_pair_factory, download_seconds=4.0)
    cluster = await cluster_factory(pair)
    seen: list[DownloadProgress] = []
    task = asyncio.create_task(cluster.download_model(NEW_MODEL, "solo", on_progress=seen.append))
    await _running(seen)
    await pair.head.drop_connections()
    result = await asyncio.wait_for(task, 60)
    assert result.state is DownloadState.COMPLETED
    assert result.bytes_done == result.bytes_total
    assert cluster._ctx.head.connect_count >= 2
    assert NEW_MODEL in await cluster.list_downloaded()
    done = [p.bytes_done or 0 for p in seen]
    assert done == sorted(done)  # progress never jumps back on the resume
    assert all(p.state is not DownloadState.FAILED for p in seen)


async def test_download_fails_clearly_when_the_host_stays_away(
    sim_pair_factory: Any, cluster_factory: ClusterFactory
) -> None:
    pair = await _pair(sim_pair_factory, download_seconds=30.0)
    cluster = await cluster_factory(pair, connect_timeout=1)
    cluster._download.lost_after = 3.0
    seen: list[DownloadProgress] = []
    task = asyncio.create_task(cluster.download_model(NEW_MODEL, "solo", on_progress=seen.append))
    await _running(seen)
    await pair.head.set_reachable(False)
    with pytest.raises(DownloadError, match=r"lost contact .* picked up again"):
        await asyncio.wait_for(task, 60)
    assert cluster.download_progress is not None
    assert cluster.download_progress.state is DownloadState.FAILED
    assert not cluster.download_running


@pytest.mark.parametrize("bad", [{"target": "both"}, {"revision": "main;ls"}, {"repo_id": "-c"}])
async def test_download_input_checks(cluster: SparkCluster, bad: dict[str, str]) -> None:
    kwargs: dict[str, Any] = {"repo_id": NEW_MODEL, "target": "solo"} | bad
    with pytest.raises(InvalidInputError):
        await cluster.download_model(**kwargs)


async def test_solo_cluster_downloads_without_worker(
    sim_pair: Any, cluster_factory: ClusterFactory
) -> None:
    config = cluster_config(sim_pair, worker=None, parakeet=None, magpie=None)
    cluster = await cluster_factory(sim_pair, config=config)
    result = await cluster.download_model(PRESENT)
    assert result.target == "solo"


@pytest.mark.parametrize("dialect", ["jan2026", "aug2026"])
async def test_update_check_and_apply(
    sim_pair_factory: Any, cluster_factory: ClusterFactory, dialect: str
) -> None:
    pair = await _pair(sim_pair_factory, dialect=dialect, behind_count=4)
    cluster = await cluster_factory(pair)
    info = await cluster.check_update()
    assert info.behind == 4
    assert len(info.changelog) == 4
    assert info.installed != info.upstream
    lines: list[str] = []
    after = await cluster.apply_update(lines.append)
    assert after.behind == 0
    assert after.installed == info.upstream
    assert any("Done" in line for line in lines)


async def test_update_dirty_tree(sim_pair: Any, cluster: SparkCluster) -> None:
    sim_pair.faults.set("dirty_tree", True)
    with pytest.raises(UpdateError) as err:
        await cluster.apply_update()
    assert err.value.reason == "dirty_tree"
    assert "stash" in str(err.value)


async def test_update_build_failure(sim_pair: Any, cluster: SparkCluster) -> None:
    sim_pair.faults.set("build_failure", True)
    lines: list[str] = []
    with pytest.raises(UpdateError) as err:
        await cluster.apply_update(lines.append)
    assert err.value.reason == "build_failed"
    assert lines


@pytest.mark.parametrize("key", ["parakeet", "magpie"])
async def test_service_actions_refresh_from_the_host(cluster: SparkCluster, key: str) -> None:
    stopped = await cluster.service_action(key, "stop")  # type: ignore[arg-type]
    assert stopped.container_state == "exited"
    assert stopped.ready is False
    started = await cluster.service_action(key, "start")  # type: ignore[arg-type]
    assert started.container_state == "running"
    restarted = await cluster.service_action(key, "restart")  # type: ignore[arg-type]
    assert restarted.container_state == "running"
    for _ in range(100):
        status = await cluster.status()
        if status.services[key].ready:
            break
        await asyncio.sleep(0.1)
    assert status.services[key].ready is True


async def test_service_action_checks(sim_pair: Any, cluster_factory: ClusterFactory) -> None:
    cluster = await cluster_factory(sim_pair, config=cluster_config(sim_pair, magpie=None))
    with pytest.raises(InvalidInputError):
        await cluster.service_action("magpie", "start")
    with pytest.raises(InvalidInputError):
        await cluster.service_action("parakeet", "explode")  # type: ignore[arg-type]
