"""Model swap state machine: stopping → launching → loading → ready | failed.

Logs are followed as a stream (not polled); a dropped SSH connection is re-established and
following resumes after the lines already seen.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import time
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import replace
from typing import Any

from . import commands, http, parsers, validation
from .connection import HostConnection
from .context import Context
from .exceptions import (
    HostKeyChangedError,
    InvalidInputError,
    LoadFailure,
    ModelLoadError,
    SparkAuthError,
    SparkError,
    SparkTimeoutError,
    SwapInProgressError,
)
from .models import CatalogModel, LaunchMode, NodeName, SwapProgress, SwapState
from .net import port_open, resolve_ipv4

_LOGGER = logging.getLogger(__name__)
SwapCallback = Callable[[SwapProgress], None]
LineCallback = Callable[[str], None]
_EOF = object()
CONFIRM_SECONDS = 30.0
_FATAL = (HostKeyChangedError, SparkAuthError, ModelLoadError)
_ROOT_CAUSES = {
    LoadFailure.FREE_MEMORY,
    LoadFailure.NO_CACHE_BLOCKS,
    LoadFailure.KV_CACHE,
    LoadFailure.CUDA_OOM,
    LoadFailure.CUDA_ERROR,
    LoadFailure.PORT_IN_USE,
}


class _Ready(Exception):
    """Internal: the readiness marker was seen."""


class SwapRunner:
    """Runs at most one swap at a time and keeps its progress and log tail."""

    def __init__(
        self,
        ctx: Context,
        *,
        log_lines: int = 200,
        stall_after: float = 300.0,
        stop_timeout: float = 120.0,
        poll_interval: float = 0.2,
    ) -> None:
        self._ctx = ctx
        self.progress = SwapProgress()
        self.log: deque[str] = deque(maxlen=log_lines)
        self.stall_after = stall_after
        self.stop_timeout = stop_timeout
        self.poll_interval = poll_interval
        self.running = False
        self._callback: SwapCallback | None = None
        self._on_log: LineCallback | None = None
        self._root_cause: tuple[LoadFailure, str] | None = None

    def _update(self, **changes: object) -> None:
        self.progress = replace(self.progress, **changes)  # type: ignore[arg-type]
        if self._callback is not None:
            try:
                self._callback(self.progress)
            except Exception:
                _LOGGER.exception("Swap progress callback failed")

    async def run(
        self,
        model: CatalogModel,
        mode: LaunchMode,
        on_progress: SwapCallback | None,
        timeout: float,  # noqa: ASYNC109 - per-call limit
        on_log: LineCallback | None = None,
    ) -> SwapProgress:
        """Swap to `model`; returns READY progress or raises (progress FAILED first).

        `on_log` receives every log line as it is read (before the progress it causes).
        """
        if self.running:
            raise SwapInProgressError(self.progress.model)
        self._begin(
            SwapProgress(state=SwapState.STOPPING, model=model.repo_id), on_progress, on_log
        )

        async def steps() -> None:
            await self._stop(mode)
            self._update(state=SwapState.LAUNCHING)
            follow = await self._launch(model, mode)
            self._update(state=SwapState.LOADING)
            await self._follow(follow)
            await self._confirm(model.repo_id)

        return await self._drive(steps(), timeout)

    async def reattach(
        self,
        on_progress: SwapCallback | None,
        timeout: float,  # noqa: ASYNC109 - per-call limit
        on_log: LineCallback | None = None,
    ) -> SwapProgress | None:
        """Follow a launch found on the head (after a restart) to ready or failed.

        The launch's record (`~/.spark-control/swap.state`: model, mode, dialect, log start)
        is written with the launch and closed with its end; None when no launch is open.
        The launcher's log is read again from its start, so the ready marker or the failure's
        root cause are found even when the load ended while nobody was watching.
        """
        if self.running:
            return None
        record = await self.read_record()
        if record is None:
            return None
        model = record["model"]
        self._begin(SwapProgress(state=SwapState.LOADING, model=model), on_progress, on_log)
        follow: Callable[[int], str] = commands.follow_launch_log
        if record.get("daemon") == "1":
            since = int(record.get("since", "0") or 0)

            def follow(_skip: int) -> str:
                return commands.follow_docker_logs(since)

        async def steps() -> None:
            await self._follow(follow)
            await self._confirm(model)

        return await self._drive(steps(), timeout)

    def _begin(
        self,
        progress: SwapProgress,
        on_progress: SwapCallback | None,
        on_log: LineCallback | None = None,
    ) -> None:
        self.running = True
        self._callback = on_progress
        self._on_log = on_log
        self._root_cause = None
        self.log.clear()
        self.progress = progress
        self._update()

    async def read_record(self) -> dict[str, str] | None:
        """The open launch record on the head (model, mode, dialect, log start), else None."""
        result = await self._ctx.head.run(
            commands.read_swap_record(), name="swap record", timeout=self._ctx.command_timeout
        )
        record: dict[str, str] = {}
        for line in result.stdout.splitlines():
            key, sep, value = line.partition("=")
            if sep:
                record[key.strip()] = value.strip()
        if "end" in record or "model" not in record:
            return None
        try:
            validation.repo_id(record["model"])
        except InvalidInputError:
            return None
        return record

    async def _close_record(self, state: SwapState) -> None:
        with contextlib.suppress(SparkError):
            await self._ctx.head.run(
                commands.close_swap_record(state.value),
                name="swap record",
                timeout=self._ctx.command_timeout,
            )

    async def _drive(
        self,
        steps: Coroutine[Any, Any, None],
        timeout: float,  # noqa: ASYNC109 - per-call limit
    ) -> SwapProgress:
        """Run the swap's steps; READY or FAILED (with its cause) closes the launch record."""
        try:
            async with asyncio.timeout(timeout):
                await steps
        except TimeoutError as err:
            detail = f"no readiness within {timeout:g} s"
            self._update(state=SwapState.FAILED, error=detail, failure=LoadFailure.TIMEOUT)
            await self._close_record(SwapState.FAILED)
            raise ModelLoadError(LoadFailure.TIMEOUT, detail) from err
        except ModelLoadError as err:
            self._update(state=SwapState.FAILED, error=str(err), failure=err.reason)
            await self._close_record(SwapState.FAILED)
            raise
        except SparkError as err:
            self._update(state=SwapState.FAILED, error=str(err), failure=None)
            raise
        else:
            self._update(state=SwapState.READY, shard_percent=100.0, stalled=False, error=None)
            await self._close_record(SwapState.READY)
        finally:
            self.running = False
            self._callback = None
            self._on_log = None
        return self.progress

    def _nodes(self) -> dict[NodeName, HostConnection]:
        return dict(self._ctx.nodes)

    async def _stop(self, mode: LaunchMode) -> None:
        """Stop vllm_node everywhere, then wait until it is gone and the port refuses."""
        ctx = self._ctx
        nodes = self._nodes()

        async def stop(name: NodeName, conn: HostConnection) -> None:
            try:
                await conn.run(commands.stop_vllm(), name="stop vLLM", timeout=ctx.command_timeout)
            except SparkError:
                if name == "head" or mode == "cluster":
                    raise

        await asyncio.gather(*(stop(name, conn) for name, conn in nodes.items()))
        ip = await resolve_ipv4(ctx.config.head.host, ctx.config.vllm_port)
        deadline = time.monotonic() + self.stop_timeout
        while True:
            present = await asyncio.gather(
                *(self._container_present(name, conn, mode) for name, conn in nodes.items())
            )
            if not any(present) and not await port_open(ip, ctx.config.vllm_port, 1.0):
                return
            if time.monotonic() > deadline:
                raise SparkTimeoutError("stopping vLLM", self.stop_timeout)
            await asyncio.sleep(self.poll_interval)

    async def _container_present(
        self, name: NodeName, conn: HostConnection, mode: LaunchMode
    ) -> bool:
        try:
            result = await conn.run(
                commands.list_containers(),
                name="docker ps",
                timeout=self._ctx.command_timeout,
            )
        except SparkError:
            if name == "head" or mode == "cluster":
                raise
            return False
        return commands.VLLM_CONTAINER in result.stdout.split()

    async def _launch(self, model: CatalogModel, mode: LaunchMode) -> Callable[[int], str]:
        """Start vLLM in the checkout's dialect; returns the log-follow command builder."""
        ctx = self._ctx
        checkout = await ctx.checkout(refresh=True)
        daemon = "daemon_exec" in checkout.features
        solo_ip = None
        if mode == "solo" and "solo" not in checkout.features:
            solo_ip = await self._cx7_ip()
        argv = commands.launch_argv(
            model.repo_id,
            model.settings,
            mode=mode,
            vllm_port=ctx.config.vllm_port,
            daemon=daemon,
            has_solo="solo" in checkout.features,
            solo_ip=solo_ip,
        )
        self._append(f"$ {commands.join(argv)}")
        if daemon:
            now = await ctx.head.run(
                commands.remote_now(), name="date", timeout=ctx.command_timeout
            )
            since = int(now.stdout.strip() or 0) - 1
            record = commands.swap_record(model.repo_id, mode, daemon=True, since=since)
            result = await ctx.head.run(
                record + " && " + commands.in_checkout(ctx.config.checkout_dir, argv),
                name="launch-cluster.sh",
                timeout=ctx.command_timeout,
                check=False,
                retry=False,
            )
            for line in parsers.split_lines(result.stdout + "\n" + result.stderr):
                self._append(line)
            if result.exit_status != 0:
                tail = result.tail(20)
                errors = [ln for ln in tail if ln.startswith("Error")]
                detail = (errors or tail or [""])[-1]
                detail = f"{detail} (launcher exit status {result.exit_status})".lstrip()
                raise ModelLoadError(LoadFailure.LAUNCHER, detail)
            return lambda _skip: commands.follow_docker_logs(since)
        record = commands.swap_record(model.repo_id, mode, daemon=False, since=0)
        await ctx.head.run(
            record + " && " + commands.detached_launch(ctx.config.checkout_dir, argv),
            name="launch-cluster.sh",
            timeout=ctx.command_timeout,
            retry=False,
        )
        return commands.follow_launch_log

    async def _cx7_ip(self) -> str | None:
        """Old checkouts have no --solo: pin the node list to the head's own CX7 address."""
        result = await self._ctx.head.run(
            commands.cx7_ip(), name="CX7 address", timeout=self._ctx.command_timeout, check=False
        )
        candidate = result.stdout.strip()
        try:
            return str(ipaddress.IPv4Address(candidate))
        except ValueError:
            return None

    def _append(self, line: str) -> None:
        self.log.append(line)
        if self._on_log is not None:
            try:
                self._on_log(line)
            except Exception:
                _LOGGER.exception("Swap log callback failed")

    async def _follow(self, follow: Callable[[int], str]) -> None:
        """Stream the log until ready; resume after drops; raise on a failure pattern."""
        head = self._ctx.head
        seen = 0
        remote_skip = follow(1) != follow(0)
        while True:
            command = follow(seen) if remote_skip else follow(0)
            local_skip = 0 if remote_skip else seen
            try:
                seen = await self._follow_once(head, command, seen, local_skip)
            except _Ready:
                return
            except _FATAL:
                raise
            except SparkError as err:
                _LOGGER.info("Log stream interrupted (%s); reconnecting", err)
                self._update(last_log_line=f"connection lost, reconnecting: {err}")
                await asyncio.sleep(self.poll_interval)
                continue
            # Stream ended: the connection dropped or (new dialect) the container stopped.
            if remote_skip:
                await asyncio.sleep(self.poll_interval)
                continue
            try:
                present = await self._container_present("head", head, "solo")
            except _FATAL:
                raise
            except SparkError:
                await asyncio.sleep(self.poll_interval)
                continue
            if not present:
                raise ModelLoadError(
                    *self._cause_or(
                        LoadFailure.CONTAINER_VANISHED, "the vllm_node container stopped"
                    )
                )
            await asyncio.sleep(self.poll_interval)

    async def _follow_once(
        self, head: HostConnection, command: str, seen: int, local_skip: int
    ) -> int:
        """Read one stream to its end; returns the raw line count seen so far."""
        queue: asyncio.Queue[object] = asyncio.Queue()
        async with head.stream(command) as process:

            async def pump() -> None:
                try:
                    while True:
                        line = await process.stdout.readline()
                        if not line:
                            break
                        await queue.put(line)
                except Exception as err:
                    await queue.put(err)
                await queue.put(_EOF)

            reader = asyncio.create_task(pump())
            try:
                raw = 0
                while True:
                    try:
                        item = await asyncio.wait_for(queue.get(), self.stall_after)
                    except TimeoutError:
                        self._update(stalled=True)
                        continue
                    if item is _EOF:
                        return seen
                    if isinstance(item, Exception):
                        head.invalidate()
                        raise SparkError(f"log stream failed: {item}")
                    raw += 1
                    if raw <= local_skip:
                        continue
                    seen += 1
                    self._handle(str(item))
            finally:
                reader.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await reader

    def _handle(self, raw_line: str) -> None:
        for line in parsers.split_lines(raw_line):
            self._append(line)
            changes: dict[str, object] = {"last_log_line": line, "stalled": False}
            percent = parsers.shard_percent(line)
            if percent is not None:
                changes["shard_percent"] = percent
            self._update(**changes)
            if parsers.is_ready_line(line):
                raise _Ready
            if line.startswith(commands.LAUNCHER_EXIT_MARK):
                status = line.rsplit(" ", 1)[-1]
                raise ModelLoadError(
                    *self._cause_or(
                        LoadFailure.LAUNCHER, f"launch-cluster.sh exited with status {status}"
                    )
                )
            failure = parsers.classify_failure(line)
            if failure is None:
                continue
            text = parsers.strip_log_prefix(line)
            if failure in _ROOT_CAUSES:
                self._root_cause = (failure, text)
                raise ModelLoadError(failure, text)
            raise ModelLoadError(*self._cause_or(failure, text))

    def _cause_or(self, failure: LoadFailure, detail: str) -> tuple[LoadFailure, str]:
        return self._root_cause or (failure, detail)

    async def _confirm(self, repo_id: str) -> None:
        """`GET /v1/models` must list the model (served name defaults to the repo id)."""
        ctx = self._ctx
        served: str | None = None
        deadline = time.monotonic() + CONFIRM_SECONDS
        while True:
            probe = await http.get(
                ctx.session,
                ctx.config.head.host,
                ctx.config.vllm_port,
                "/v1/models",
                ctx.status_timeout,
            )
            served, _len = http.served_model(probe)
            if served is not None or time.monotonic() > deadline:
                break
            await asyncio.sleep(self.poll_interval)
        if served != repo_id:
            raise ModelLoadError(
                LoadFailure.NOT_SERVING,
                f"/v1/models lists {served!r} instead of {repo_id!r}",
            )
