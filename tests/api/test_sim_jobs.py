"""Long jobs detached on the simulated Sparks: every download variant, restarts, re-attach.

A "restart" here is what Home Assistant dying does to the client: its tasks are cancelled and
its connections closed; a new client then finds the work on the Sparks and follows it.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from custom_components.spark_control.api import (
    DownloadError,
    DownloadProgress,
    DownloadState,
    JobState,
    LoadFailure,
    ModelLoadError,
    SparkCluster,
    SwapProgress,
    SwapState,
)
from spark_sim import PairConfig

from .conftest import ClusterFactory

NEW_MODEL = "Qwen/Qwen3-235B-A22B-Instruct-2507-FP8"  # ~247 GB declared: sums beyond 2^31
SMALL_MODEL = "org/Tiny-8B-FP8"


async def _running(seen: list[DownloadProgress]) -> None:
    """Until the download reports bytes on disk."""
    async with asyncio.timeout(60):
        while not any(p.state is DownloadState.RUNNING and p.bytes_done for p in seen):
            await asyncio.sleep(0.05)


async def _kill_client(cluster: SparkCluster, task: asyncio.Task[Any]) -> None:
    """What an HA restart does to the client: its task is cancelled, connections closed."""
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await cluster.close()


def _assert_sane(seen: list[DownloadProgress], result: DownloadProgress) -> None:
    assert result.state is DownloadState.COMPLETED, result
    assert result.bytes_done is not None and result.bytes_done == result.bytes_total
    assert result.percent == 100.0
    done = [p.bytes_done or 0 for p in seen]
    assert done == sorted(done), "progress went backwards"
    for p in seen:
        assert p.state is not DownloadState.FAILED, p
        if p.bytes_done is not None and p.bytes_total is not None:
            assert p.bytes_done <= p.bytes_total, p


@pytest.mark.parametrize("revision", [None, "main"])
@pytest.mark.parametrize("target", ["solo", "cluster"])
async def test_every_download_variant(
    sim_pair_factory: Any, cluster_factory: ClusterFactory, target: str, revision: str | None
) -> None:
    """solo/cluster, with/without revision, worker with/without a checkout (issue 12 item 8)."""
    pair = await sim_pair_factory(PairConfig(download_seconds=1.0))
    cluster = await cluster_factory(pair)
    for worker_checkout, model in ((False, NEW_MODEL), (True, SMALL_MODEL)):
        if worker_checkout:
            await pair.run("worker", "mkdir -p spark-vllm-docker")
        else:
            status, _, _ = await pair.run("worker", "test -d spark-vllm-docker")
            assert status != 0, "the worker has no checkout in this variant"
        seen: list[DownloadProgress] = []
        result = await cluster.download_model(model, target, revision, seen.append)  # type: ignore[arg-type]
        _assert_sane(seen, result)
        running = [p for p in seen if p.state is DownloadState.RUNNING]
        assert any(p.percent is not None and 0 < p.percent < 100 for p in running)
        assert model in await cluster.list_downloaded()
        worker_has = model in await cluster._download.list_downloaded("worker")
        assert worker_has == (target == "cluster")
        assert await cluster.running_jobs() == []  # ended jobs are cleaned up once reported


async def test_a_download_survives_a_restart_and_is_reattached(
    sim_pair_factory: Any, cluster_factory: ClusterFactory
) -> None:
    pair = await sim_pair_factory(PairConfig(download_seconds=6.0))
    first = await cluster_factory(pair)
    seen: list[DownloadProgress] = []
    task = asyncio.create_task(first.download_model(NEW_MODEL, "cluster", None, seen.append))
    await _running(seen)
    before = max(p.bytes_done or 0 for p in seen)
    await _kill_client(first, task)
    second = await cluster_factory(pair)
    jobs = await second.running_jobs()
    assert [(job.node, job.kind, job.state) for job in jobs] == [
        ("head", "download", JobState.RUNNING)
    ]
    assert jobs[0].meta["repo"] == NEW_MODEL
    again: list[DownloadProgress] = []
    result = await second.reattach_download(again.append)
    assert result is not None and result.repo_id == NEW_MODEL and result.target == "cluster"
    _assert_sane(again, result)
    assert (again[0].bytes_done or 0) >= before, "re-attached progress starts at the disk"
    assert NEW_MODEL in await second._download.list_downloaded("worker")
    assert await second.reattach_download() is None  # reported once


async def test_a_download_that_ended_unwatched_is_reported(
    sim_pair_factory: Any, cluster_factory: ClusterFactory
) -> None:
    pair = await sim_pair_factory(PairConfig(download_seconds=1.0))
    first = await cluster_factory(pair)
    seen: list[DownloadProgress] = []
    task = asyncio.create_task(first.download_model(NEW_MODEL, "solo", None, seen.append))
    await _running(seen)
    await _kill_client(first, task)
    second = await cluster_factory(pair)
    async with asyncio.timeout(60):
        while (await second.running_jobs())[0].state is JobState.RUNNING:
            await asyncio.sleep(0.2)
    result = await second.reattach_download()
    assert result is not None and result.state is DownloadState.COMPLETED
    assert result.percent == 100.0


async def test_a_failure_after_a_restart_keeps_its_cause(
    sim_pair_factory: Any, cluster_factory: ClusterFactory
) -> None:
    pair = await sim_pair_factory(PairConfig(download_seconds=1.0))
    pair.faults.set("gated_download", True)
    cluster = await cluster_factory(pair)
    with pytest.raises(DownloadError, match="gated"):
        await cluster.download_model(NEW_MODEL, "solo")
    progress = cluster.download_progress
    assert progress is not None and progress.state is DownloadState.FAILED
    assert progress.percent is None or progress.percent < 100


async def test_a_cancel_after_a_restart_reaches_the_job(
    sim_pair_factory: Any, cluster_factory: ClusterFactory
) -> None:
    pair = await sim_pair_factory(PairConfig(download_seconds=30.0))
    first = await cluster_factory(pair)
    seen: list[DownloadProgress] = []
    task = asyncio.create_task(first.download_model(NEW_MODEL, "solo", None, seen.append))
    await _running(seen)
    await _kill_client(first, task)
    second = await cluster_factory(pair)
    await second.cancel_download()
    result = await second.reattach_download()
    assert result is not None and result.state is DownloadState.CANCELLED
    assert NEW_MODEL not in await second.list_downloaded()


async def test_progress_starts_at_the_bytes_on_disk(
    sim_pair_factory: Any, cluster_factory: ClusterFactory
) -> None:
    pair = await sim_pair_factory(PairConfig(download_seconds=8.0))
    cluster = await cluster_factory(pair)
    seen: list[DownloadProgress] = []
    task = asyncio.create_task(cluster.download_model(NEW_MODEL, "solo", None, seen.append))
    async with asyncio.timeout(60):
        while not any((p.percent or 0) > 20 for p in seen):
            await asyncio.sleep(0.05)
    await cluster.cancel_download()
    cancelled = await task
    assert cancelled.state is DownloadState.CANCELLED
    on_disk = cancelled.bytes_done or 0
    assert on_disk > 2**31
    again: list[DownloadProgress] = []
    result = await cluster.download_model(NEW_MODEL, "solo", None, again.append)
    first = next(p for p in again if p.state is DownloadState.RUNNING)
    assert (first.bytes_done or 0) >= on_disk
    assert first.percent is not None and first.percent > 20
    _assert_sane(again, result)


@pytest.mark.parametrize("dialect", ["jan2026", "aug2026"])
async def test_a_swap_in_loading_is_reattached_until_ready(
    sim_pair_factory: Any, cluster_factory: ClusterFactory, dialect: str
) -> None:
    pair = await sim_pair_factory(PairConfig(dialect=dialect, vllm_load_seconds=6.0))
    first = await cluster_factory(pair)
    seen: list[SwapProgress] = []
    task = asyncio.create_task(first.swap_model("org/Tiny-8B-FP8", seen.append, mode="solo"))
    async with asyncio.timeout(60):
        while not any(p.state is SwapState.LOADING for p in seen):
            await asyncio.sleep(0.05)
    await _kill_client(first, task)
    second = await cluster_factory(pair)
    again: list[SwapProgress] = []
    result = await second.reattach_swap(again.append)
    assert result is not None and result.state is SwapState.READY
    assert result.model == "org/Tiny-8B-FP8"
    assert again[0].state is SwapState.LOADING
    assert (await second.status()).vllm.model == "org/Tiny-8B-FP8"
    assert await second.reattach_swap() is None  # the launch is closed once reported


async def test_a_load_failure_across_a_restart_keeps_its_cause(
    sim_pair_factory: Any, cluster_factory: ClusterFactory
) -> None:
    pair = await sim_pair_factory(PairConfig(vllm_load_seconds=4.0))
    pair.faults.set("vllm_load_failure", "kv_cache")
    first = await cluster_factory(pair)
    seen: list[SwapProgress] = []
    task = asyncio.create_task(first.swap_model("org/Tiny-8B-FP8", seen.append, mode="solo"))
    async with asyncio.timeout(60):
        while not any(p.state is SwapState.LOADING for p in seen):
            await asyncio.sleep(0.05)
    await _kill_client(first, task)
    second = await cluster_factory(pair)
    with pytest.raises(ModelLoadError) as err:
        await second.reattach_swap()
    assert err.value.reason is LoadFailure.KV_CACHE
    assert second.swap_progress.state is SwapState.FAILED
    assert "KV cache" in (second.swap_progress.error or "")
    assert await second.reattach_swap() is None


async def test_an_update_build_survives_a_restart(
    sim_pair_factory: Any, cluster_factory: ClusterFactory
) -> None:
    pair = await sim_pair_factory(PairConfig(build_seconds=5.0, behind_count=2))
    first = await cluster_factory(pair)
    lines: list[str] = []
    task = asyncio.create_task(first.apply_update(lines.append))
    async with asyncio.timeout(60):
        while not any(line.startswith("$ ./build-and-copy.sh") for line in lines):
            await asyncio.sleep(0.05)
    await _kill_client(first, task)
    second = await cluster_factory(pair)
    assert [job.kind for job in await second.running_jobs()] == ["update"]
    rest: list[str] = []
    info = await second.reattach_update(rest.append)
    assert info is not None and info.behind == 0
    assert any("Done" in line for line in rest)
    assert await second.reattach_update() is None
