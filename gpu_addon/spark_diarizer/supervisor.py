"""Owns the worker process: start, one request at a time, a bounded queue, wedge and recovery.

A CUDA-class error, a request past its timeout or a dead worker marks the service wedged: the
request in flight and every waiting or new one get 503 + Retry-After 60, the worker is killed
and restarted, models reload, and only a passing deep-health probe makes the service ready again.
A watchdog polls the idle worker's process every WATCH_INTERVAL_S, so a worker killed between
requests (OOM killer, a stray signal) is replaced without waiting for traffic to find it.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import multiprocessing
import time
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

import numpy as np

from .config import Settings
from .errors import ApiError
from .metrics import Metrics
from .worker import worker_main

_LOG = logging.getLogger("spark_diarizer.supervisor")

WEDGE_RETRY_AFTER = 60
QUEUE_RETRY_AFTER = 5
PROBE_TIMEOUT_S = 120.0
RESTART_BACKOFF_S = 5.0
WATCH_INTERVAL_S = 1.0


class WorkerGone(Exception):
    """The worker closed its end of the pipe: it crashed or was killed."""


def _check_probe(reply: dict[str, Any]) -> None:
    if reply.get("type") != "result":
        raise RuntimeError(f"probe failed: {reply.get('message')}")


class Supervisor:
    """The front's only door to inference."""

    def __init__(self, settings: Settings, metrics: Metrics) -> None:
        self.settings = settings
        self.metrics = metrics
        self.state = "starting"  # starting | ready | wedged | failed
        self.info: dict[str, Any] = {"backend": settings.backend, "device": None}
        self.last_error: str | None = None
        self._ctx = multiprocessing.get_context("spawn")
        self._process: BaseProcess | None = None
        self._conn: Connection | None = None
        self._lock = asyncio.Lock()
        self._pending = 0
        self._ids = itertools.count(1)
        self._fault: str | None = None
        self._recovery: asyncio.Task[None] | None = None
        self._watch: asyncio.Task[None] | None = None
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="diarizer-pipe")
        self._closed = False

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> None:
        """Begin loading in the background; the front answers 503 until the probe passes."""
        loop = asyncio.get_running_loop()
        self._recovery = loop.create_task(self._bring_up(restart=False))
        self._watch = loop.create_task(self._watch_worker())

    async def close(self) -> None:
        """Stop recovery, ask the worker to exit, kill it if it does not, free the thread pool."""
        self._closed = True
        for task in (self._watch, self._recovery):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        await asyncio.get_running_loop().run_in_executor(self._pool, self._stop_worker, True)
        await asyncio.to_thread(self._pool.shutdown, True)

    def set_fault(self, fault: str) -> None:
        """Test hook: the next diarize request runs this fault in the worker."""
        self._fault = fault

    @property
    def pending(self) -> int:
        """Requests waiting for or holding the worker."""
        return self._pending

    # -- requests ------------------------------------------------------------------------------

    async def diarize(self, audio: np.ndarray, max_speakers: int | None) -> dict[str, Any]:
        """Run one chunk through the worker; raises ApiError 429/503/500."""
        if self._pending >= self.settings.max_queue:
            self.metrics.failures["queue_full"] += 1
            raise ApiError(429, "queue_full", "inference queue is full", QUEUE_RETRY_AFTER)
        self._check_ready()
        self._pending += 1
        try:
            async with self._lock:
                self._check_ready()
                fault, self._fault = self._fault, None
                message = {
                    "type": "diarize",
                    "audio": audio,
                    "max_speakers": max_speakers,
                    "fault": fault,
                }
                timeout = self.settings.inference_timeout_s
                reply = await self._exchange_or_wedge(message, timeout)
        finally:
            self._pending -= 1
        body: dict[str, Any] = reply["body"]
        self.metrics.observe_inference(float(reply["seconds"]), float(body["duration"]))
        return body

    async def deep_health(self) -> dict[str, Any]:
        """Run the built-in probe through the worker (waits behind queued work)."""
        self._check_ready()
        async with self._lock:
            self._check_ready()
            started = time.monotonic()
            reply = await self._exchange_or_wedge({"type": "probe"}, PROBE_TIMEOUT_S)
        return {"probe_s": round(time.monotonic() - started, 3), "probe": reply["body"]}

    def _check_ready(self) -> None:
        if self.state != "ready":
            raise ApiError(
                503,
                "service_unavailable",
                f"diarizer is {self.state}" + (f": {self.last_error}" if self.last_error else ""),
                WEDGE_RETRY_AFTER,
            )

    async def _exchange_or_wedge(self, message: dict[str, Any], limit_s: float) -> dict[str, Any]:
        """Send one message; on CUDA error, timeout or crash wedge and raise 503."""
        message["id"] = next(self._ids)
        loop = asyncio.get_running_loop()
        try:
            reply: dict[str, Any] = await loop.run_in_executor(
                self._pool, self._exchange, message, limit_s
            )
        except TimeoutError:
            self._wedge("timeout", f"inference exceeded {limit_s:g} s")
            raise self._wedged_error() from None
        except WorkerGone as gone:
            self._wedge("crash", f"the inference worker exited ({gone})")
            raise self._wedged_error() from None
        if reply["type"] == "result":
            return reply
        kind, text = reply.get("kind", "other"), str(reply.get("message", ""))
        if kind == "cuda":
            self._wedge("cuda_error", text)
            raise self._wedged_error()
        self.metrics.failures[kind] += 1
        if kind == "oom":
            raise ApiError(503, "service_unavailable", f"out of memory: {text}", 10)
        raise ApiError(500, "inference_failed", text)

    def _wedged_error(self) -> ApiError:
        return ApiError(
            503, "service_unavailable", f"diarizer wedged: {self.last_error}", WEDGE_RETRY_AFTER
        )

    def _exchange(self, message: dict[str, Any], timeout: float) -> dict[str, Any]:
        """Blocking pipe round trip (runs in the thread pool, never on the event loop)."""
        conn = self._conn
        if conn is None:
            raise WorkerGone
        try:
            conn.send(message)
            answered = conn.poll(timeout)
            reply: dict[str, Any] | None = conn.recv() if answered else None
        except (EOFError, OSError) as err:
            raise WorkerGone(self._exit_status()) from err
        if reply is None:  # raised here: TimeoutError is an OSError and must not read as a crash
            raise TimeoutError
        return reply

    def _exit_status(self) -> str:
        """How the worker ended, for the logs: exit code or signal (-N)."""
        process = self._process
        if process is None:
            return "no process"
        process.join(2)
        return f"exit code {process.exitcode}"

    # -- wedge and recovery --------------------------------------------------------------------

    async def _watch_worker(self) -> None:
        """Notice a worker that died while idle; a busy one is watched by its request."""
        while not self._closed:
            await asyncio.sleep(WATCH_INTERVAL_S)
            process = self._process
            if self.state != "ready" or self._lock.locked() or process is None:
                continue
            if not process.is_alive():  # waitpid(WNOHANG): cheap enough for the event loop
                self._wedge(
                    "crash", f"the idle inference worker exited (exit code {process.exitcode})"
                )

    def _wedge(self, reason: str, detail: str) -> None:
        _LOG.error("worker wedged (%s): %s", reason, detail)
        self.metrics.failures[reason] += 1
        self.state = "wedged"
        self.last_error = f"{reason}: {detail}"
        if not self._closed and (self._recovery is None or self._recovery.done()):
            self._recovery = asyncio.get_running_loop().create_task(self._bring_up(restart=True))

    async def _bring_up(self, restart: bool) -> None:
        """(Re)start the worker until it loads and passes the probe; count restarts."""
        loop = asyncio.get_running_loop()
        while not self._closed:
            await loop.run_in_executor(self._pool, self._stop_worker, False)
            try:
                ready = await loop.run_in_executor(self._pool, self._spawn)
                reply = await loop.run_in_executor(
                    self._pool, self._exchange, {"type": "probe", "id": 0}, PROBE_TIMEOUT_S
                )
                _check_probe(reply)
            except (TimeoutError, WorkerGone, RuntimeError) as err:
                self.last_error = f"start failed: {err or type(err).__name__}"
                _LOG.error("%s; retrying in %s s", self.last_error, RESTART_BACKOFF_S)
                self.state = "wedged" if restart else "failed"
                await asyncio.sleep(RESTART_BACKOFF_S)
                continue
            self.info = {k: v for k, v in ready.items() if k != "type"}
            if restart:
                self.metrics.worker_restarts += 1
            self.last_error = None
            self.state = "ready"
            _LOG.info("worker ready: %s", self.info)
            return

    def _spawn(self) -> dict[str, Any]:
        parent, child = self._ctx.Pipe(duplex=True)
        process = self._ctx.Process(
            target=worker_main, args=(child, self.settings), name="diarizer-worker", daemon=True
        )
        process.start()
        child.close()
        self._process, self._conn = process, parent
        if not parent.poll(self.settings.worker_start_timeout_s):
            raise TimeoutError("worker did not load in time")
        try:
            ready: dict[str, Any] = parent.recv()
        except (EOFError, OSError) as err:
            raise WorkerGone from err
        if ready.get("type") != "ready":
            raise RuntimeError(str(ready.get("message", "worker failed to load")))
        return ready

    def _stop_worker(self, graceful: bool) -> None:
        process, conn = self._process, self._conn
        self._process, self._conn = None, None
        if conn is not None:
            if graceful and process is not None and process.is_alive():
                with contextlib.suppress(OSError, BrokenPipeError):
                    conn.send({"type": "stop"})
            conn.close()
        if process is None:
            return
        if graceful:
            process.join(5)
        if process.is_alive():
            process.kill()
        process.join(10)
        process.close()
