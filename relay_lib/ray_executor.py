"""Chunk work as Ray tasks (`batch --ray local|ADDRESS`); needs the `relay_lib[ray]` extra.

Imported only when `--ray` is given. The recording's bytes go into the object store once (no
shared file system is needed); one Ray task decodes them to 16 kHz PCM (once, so a long recording
is not decoded again for every chunk); each chunk is then one Ray task that cuts its slice out of
the decoded samples (zero-copy), posts it with the same client code as the asyncio executor
(retries, Retry-After, failover) and returns the chunk outcome. The add-ons are shared through
one async actor that hands out a URL per attempt and caps the requests in flight per add-on
across every task of the batch. Clustering, stitching and the merge stay on the driver
(relay_lib.batch), identical for both executors.

Faults: a task whose worker dies is retried by Ray (`max_retries`); its lease on an add-on is
keyed by recording and chunk, so the retry takes the dead attempt's slot over instead of leaking
it. An add-on that stops answering is marked down by the actor and every task moves on to the
others. A recording's leftover leases are dropped when it ends, whatever happened to its tasks.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import numpy as np
import numpy.typing as npt
import ray
from ray.exceptions import RayError

from relay_lib.audio import SAMPLE_RATE, Chunk, ChunkPlan
from relay_lib.client import RelayClient
from relay_lib.errors import AudioDecodeError, RelayError
from relay_lib.executors import ChunkDone
from relay_lib.pipeline import RelayOptions, process_chunk
from relay_lib.slices import Slice, cut, decode_all, plan_slices
from relay_lib.types import ChunkOutcome

TASK_CPUS = 0.25  # a chunk task mostly waits on HTTP: four per core
TASK_MAX_RETRIES = 3  # Ray re-runs a chunk whose worker died this many times
_RECHECK_S = 1.0  # a waiting acquire re-reads health this often (down marks expire)


def local_runtime_environment() -> None:
    """Settings for a Ray runtime started here, read from the environment by its processes.

    Ray gives a starting node 10 s, and its agents 15 s, by default: on a busy small machine the
    raylet gave up waiting for its agent and aborted. By default Ray also keeps no more idle
    workers than CPUs and kills the rest after 1 s; chunk tasks take a quarter of a CPU each, so
    workers were killed and started again all the time (seconds each on a busy machine, and the
    exit at times crashed in Ray's metrics thread): keep enough of them, and metrics off.
    """
    os.environ.setdefault("RAY_raylet_start_wait_time_s", "60")
    os.environ.setdefault("RAY_agent_register_timeout_ms", "120000")
    os.environ.setdefault("RAY_enable_metrics_collection", "0")
    workers = str(round((os.cpu_count() or 1) / TASK_CPUS) + 2)
    os.environ.setdefault("RAY_num_workers_soft_limit", workers)
    os.environ.setdefault("RAY_idle_worker_killing_time_threshold_ms", "600000")


START_ATTEMPTS = 3


def start_local_runtime(**init_args: Any) -> Any:
    """ray.init() a local runtime, trying again when its node fails to come up.

    On a busy machine Ray 2.60's raylet at times gives up waiting for its dashboard agent's
    port file (a fixed wait in the raylet; no setting reaches it) and the start fails; a second
    start, with the agent's imports now in the page cache, comes up.
    """
    local_runtime_environment()
    for attempt in range(1, START_ATTEMPTS + 1):
        try:
            return ray.init(**init_args)
        except Exception:  # Ray raises a bare Exception for a node that did not start
            ray.shutdown()
            if attempt == START_ATTEMPTS:
                raise
    raise AssertionError("unreachable")


@ray.remote(num_cpus=0, max_restarts=0)
class AddonEndpoints:
    """The batch's add-ons: least busy healthy URL per attempt, at most `per_addon` in flight each.

    An async actor: its methods run one at a time on one event loop, so no locking is needed
    beyond the condition that wakes waiting acquires.
    """

    def __init__(self, urls: list[str], per_addon: int, down_for_s: float) -> None:
        self._urls = list(dict.fromkeys(u.rstrip("/") for u in urls))
        self._limit = max(1, per_addon)
        self._down_for_s = down_for_s
        self._busy = dict.fromkeys(self._urls, 0)
        self._down_until: dict[str, float] = {}
        self._leases: dict[str, tuple[str, int]] = {}  # key -> (url, worker pid)
        self._served = dict.fromkeys(self._urls, 0)
        self._changed: asyncio.Condition | None = None

    def _condition(self) -> asyncio.Condition:
        if self._changed is None:  # created on the actor's own event loop
            self._changed = asyncio.Condition()
        return self._changed

    def _drop(self, key: str) -> None:
        lease = self._leases.pop(key, None)
        if lease is not None:
            self._busy[lease[0]] -= 1

    async def _notify(self) -> None:
        cond = self._condition()
        async with cond:
            cond.notify_all()

    async def acquire(self, key: str, chunk_index: int, attempt: int, pid: int) -> str:
        """The URL for this attempt of chunk `key`; waits while every usable add-on is full."""
        self._drop(key)  # a retried task (its worker died) takes over its own slot
        n = len(self._urls)
        order = [self._urls[(chunk_index + attempt + k) % n] for k in range(n)]
        while True:
            now = time.monotonic()
            healthy = [u for u in order if self._down_until.get(u, 0.0) <= now]
            free = [u for u in (healthy or order) if self._busy[u] < self._limit]
            if free:
                # first try: least busy; a retry: the next in rotation, so it moves on
                url = min(
                    free, key=lambda u: (self._busy[u] if attempt == 0 else 0, order.index(u))
                )
                self._busy[url] += 1
                self._served[url] += 1
                self._leases[key] = (url, pid)
                return url
            cond = self._condition()
            async with cond:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(cond.wait(), _RECHECK_S)

    async def release(self, key: str, url: str, ok: bool, down: bool) -> None:
        """The attempt ended; `down`: the add-on refused the connection, avoid it for a while."""
        lease = self._leases.get(key)
        if lease is not None and lease[0] == url:
            self._drop(key)
        if down:
            self._down_until[url] = time.monotonic() + self._down_for_s
        elif ok:
            self._down_until.pop(url, None)
        await self._notify()

    async def can_move_on(self, url: str) -> bool:
        """Whether another add-on is healthy right now."""
        now = time.monotonic()
        return any(u != url and self._down_until.get(u, 0.0) <= now for u in self._urls)

    async def forget(self, prefix: str) -> int:
        """Drop the leases of a finished or failed recording (tasks that died or were cancelled)."""
        stale = [k for k in self._leases if k.startswith(prefix)]
        for key in stale:
            self._drop(key)
        if stale:
            await self._notify()
        return len(stale)

    async def leases(self) -> dict[str, tuple[str, int]]:
        """Requests in flight now: chunk key -> (add-on URL, pid of the Ray worker)."""
        return dict(self._leases)

    async def served(self) -> dict[str, int]:
        """Attempts handed to each add-on so far."""
        return dict(self._served)


class _ActorPool:
    """The client's AddonPool, backed by the shared actor (one per chunk task).

    Actor answers are fetched with a blocking ray.get in a thread, not awaited on the task's own
    event loop: that loop is closed when the task returns, and Ray 2.60 workers whose loop had
    awaited object refs crashed at times (abseil mutex checks) on the busy 2-core machine.
    """

    def __init__(self, actor: Any, key: str, urls: list[str]) -> None:
        self._actor = actor
        self._key = key
        self.urls = list(urls)
        self._pending: list[Any] = []

    async def acquire(self, chunk_index: int, attempt: int) -> str:
        ref = self._actor.acquire.remote(self._key, chunk_index, attempt, os.getpid())
        url: str = await asyncio.to_thread(ray.get, ref)
        return url

    def release(self, url: str, *, ok: bool, down: bool) -> None:
        # Not waited for here (it may run while the task is being cancelled); flush() does.
        self._pending.append(self._actor.release.remote(self._key, url, ok, down))

    async def can_move_on(self, url: str) -> bool:
        answer: bool = await asyncio.to_thread(ray.get, self._actor.can_move_on.remote(url))
        return answer

    async def flush(self) -> None:
        if self._pending:
            await asyncio.to_thread(ray.get, self._pending)


@dataclass(frozen=True)
class _Failure:
    """A chunk that failed for good (returned, not raised: the message crosses processes as is)."""

    message: str


@ray.remote(num_returns=2, max_retries=TASK_MAX_RETRIES)
def decode_recording(data: bytes, name: str) -> tuple[npt.NDArray[np.int16] | None, int | str]:
    """Ray task: the recording as 16 kHz mono int16 and its length (or None and why not)."""
    try:
        samples = decode_all(data, name)
    except AudioDecodeError as exc:
        return None, str(exc)
    return samples, len(samples)


async def _post(chunk_key: str, actor: Any, chunk: Chunk, options: RelayOptions) -> Any:
    pool = _ActorPool(actor, chunk_key, options.addon_urls)
    async with aiohttp.ClientSession() as session:
        client = RelayClient(
            session, options.addon_urls, options.stt_url, policy=options.policy,
            stt_model=options.stt_model, addon_token=options.addon_token, pool=pool,
        )  # fmt: skip
        try:
            return await process_chunk(client, chunk, options.stt_url is not None)
        finally:
            await pool.flush()


@ray.remote(max_retries=TASK_MAX_RETRIES)
def run_chunk(
    samples: npt.NDArray[np.int16], part: Slice, chunk_key: str, actor: Any, options: RelayOptions
) -> ChunkOutcome | _Failure:
    """Ray task: cut one slice, post it (retries, Retry-After, failover), return its outcome."""
    try:
        outcome: ChunkOutcome = asyncio.run(_post(chunk_key, actor, cut(samples, part), options))
    except RelayError as exc:
        return _Failure(str(exc))
    return outcome


class RayExecutor:
    """Runs every chunk as a Ray task; the driver keeps planning, clustering and writing."""

    name = "ray"

    def __init__(self, endpoints: Any, *, owns_runtime: bool, task_cpus: float) -> None:
        self.endpoints = endpoints
        self._owns_runtime = owns_runtime
        self._task_cpus = task_cpus

    @classmethod
    def start(
        cls,
        address: str,
        options: RelayOptions,
        *,
        num_cpus: int | None = None,
        task_cpus: float = TASK_CPUS,
    ) -> RayExecutor:
        """Start a local runtime (`local`) or join a cluster (`head:6379`, `ray://head:10001`).

        A runtime that is already initialised in this process (tests) is used as it is.
        """
        owns = False
        if not ray.is_initialized():
            owns = True
            if address == "local":
                start_local_runtime(
                    num_cpus=num_cpus, include_dashboard=False, logging_level=logging.WARNING
                )
            else:
                ray.init(address=address, logging_level=logging.WARNING)
        per_addon = max(1, options.slots() // max(1, len(options.addon_urls)))
        endpoints = AddonEndpoints.remote(  # type: ignore[attr-defined]
            options.addon_urls, per_addon, options.policy.down_for_s
        )
        return cls(endpoints, owns_runtime=owns, task_cpus=task_cpus)

    async def diarize(
        self, key: str, path: Path, options: RelayOptions, on_chunk: ChunkDone
    ) -> tuple[list[ChunkOutcome], float]:
        """Plan the slices here, run them as tasks, collect the outcomes as they finish."""
        plan = ChunkPlan.from_seconds(options.chunk_seconds, options.overlap_seconds)
        try:
            data = await asyncio.to_thread(path.read_bytes)
        except OSError as exc:
            raise AudioDecodeError(f"cannot read {path}: {exc}") from exc
        # as small a CPU share as a chunk task: a full CPU would wait behind the chunk tasks
        decode = decode_recording.options(num_cpus=self._task_cpus)
        refs_pair: Any = decode.remote(data, str(path))  # num_returns=2: two object refs
        samples_ref, total_ref = refs_pair
        del data
        try:
            total = await asyncio.wrap_future(total_ref.future())
        except RayError as exc:
            raise RelayError(f"decoding {path} failed on Ray: {exc}") from exc
        if isinstance(total, str):
            raise AudioDecodeError(total)
        task = run_chunk.options(num_cpus=self._task_cpus)
        refs = [
            task.remote(samples_ref, part, f"{key}#{part.index}", self.endpoints, options)
            for part in plan_slices(total, plan)
        ]
        waiting = {asyncio.wrap_future(ref.future()): ref for ref in refs}
        outcomes: list[ChunkOutcome] = []
        try:
            for next_done in asyncio.as_completed(list(waiting)):
                try:
                    result = await next_done
                except RayError as exc:  # the task crashed past its retries, or a bug in it
                    raise RelayError(f"a chunk task failed on Ray: {exc}") from exc
                if isinstance(result, _Failure):
                    raise RelayError(result.message)
                outcomes.append(result)
                on_chunk(result)
        finally:
            for future, ref in waiting.items():
                if not future.done():
                    ray.cancel(ref)
            await self.endpoints.forget.remote(f"{key}#")
        return sorted(outcomes, key=lambda o: o.index), total / SAMPLE_RATE

    async def close(self) -> None:
        """Stop the actor; shut the runtime down when this executor started it."""
        ray.kill(self.endpoints)
        if self._owns_runtime:
            ray.shutdown()
