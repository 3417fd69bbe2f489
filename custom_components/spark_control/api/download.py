"""Model downloads with progress from bytes on disk (primary) and tqdm bars (bonus).

`hf-download.sh <model> [-c]` is used unless a revision is asked for; then `uvx hf download`
runs on each target node. Each download runs in its own remote process group so it can be
cancelled.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import replace

from . import commands, parsers, validation
from .connection import CommandResult, HostConnection
from .context import Context
from .exceptions import DownloadError, InvalidInputError, SparkConnectionError, SparkError
from .models import DownloadProgress, DownloadState, LaunchMode, NodeName

_LOGGER = logging.getLogger(__name__)
DownloadCallback = Callable[[DownloadProgress], None]
DOWNLOAD_TIMEOUT = 6 * 3600.0
RESUMES = 3  # reconnect-and-rerun after this many dropped connections, then fail


def parse_cache_listing(text: str) -> list[str]:
    """Complete models (`org/name`) from the `list_cache` output."""
    found: list[str] = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) != 3 or not parts[0].startswith("models--"):
            continue
        name, snapshots, incomplete = parts
        org, _, model = name.removeprefix("models--").partition("--")
        if snapshots == "1" and incomplete == "0" and org and model:
            found.append(f"{org}/{model}")
    return sorted(found)


def failure_reason(result: CommandResult, node: str) -> str:
    """An actionable reason from a failed download's output."""
    text = result.stdout + "\n" + result.stderr
    lowered = text.lower()
    if "gated" in lowered or "401" in text or "403" in text or "restricted" in lowered:
        return (
            "the repository is gated: accept its license on huggingface.co and export "
            f"HF_TOKEN for the user on {node}"
        )
    if "no space left on device" in lowered:
        return f"the disk on {node} is full: free space in ~/.cache/huggingface"
    if "repository not found" in lowered or "404" in text:
        return "the repository does not exist (check the name)"
    tail = result.tail(3)
    errors = [line for line in tail if "error" in line.lower()]
    return (errors or tail or [f"exit status {result.exit_status}"])[-1]


class DownloadRunner:
    """One download at a time, with progress and cancellation."""

    def __init__(self, ctx: Context, *, poll_interval: float = 1.0) -> None:
        self._ctx = ctx
        self.poll_interval = poll_interval
        self.progress: DownloadProgress | None = None
        self.running = False
        self._cancelled = False
        self._callback: DownloadCallback | None = None
        self._rate_sample: tuple[float, int] | None = None

    def _update(self, **changes: object) -> None:
        if self.progress is None:
            return
        self.progress = replace(self.progress, **changes)  # type: ignore[arg-type]
        if self._callback is not None:
            try:
                self._callback(self.progress)
            except Exception:
                _LOGGER.exception("Download progress callback failed")

    async def list_downloaded(self, node: NodeName = "head") -> list[str]:
        """Complete models in a node's Hugging Face cache."""
        result = await self._ctx.node(node).run(
            commands.list_cache(), name="list models", timeout=self._ctx.command_timeout
        )
        return parse_cache_listing(result.stdout)

    async def run(
        self,
        repo_id: str,
        target: LaunchMode,
        revision: str | None,
        on_progress: DownloadCallback | None,
    ) -> DownloadProgress:
        """Download; returns COMPLETED/CANCELLED progress or raises DownloadError."""
        validation.repo_id(repo_id)
        if revision is not None:
            validation.revision(revision)
        if target not in ("solo", "cluster"):
            raise InvalidInputError("target", target, "must be 'solo' or 'cluster'")
        if self.running:
            raise DownloadError(repo_id, "another download is running; cancel it first")
        self.running = True
        self._cancelled = False
        self._callback = on_progress
        self._rate_sample = None
        self.progress = DownloadProgress(repo_id=repo_id, target=target)
        try:
            return await self._run(repo_id, target, revision)
        finally:
            self.running = False
            self._callback = None

    async def _run(
        self, repo_id: str, target: LaunchMode, revision: str | None
    ) -> DownloadProgress:
        ctx = self._ctx
        nodes: list[NodeName] = ["head"]
        if target == "cluster" and "worker" in ctx.nodes:
            nodes.append("worker")
        if revision is None and await self._already_present(repo_id, nodes):
            done = await self._blob_bytes(ctx.head, repo_id)
            self._update(state=DownloadState.COMPLETED, bytes_done=done, bytes_total=done)
            return self._final()
        self._update(state=DownloadState.RUNNING, bytes_done=0)
        total = await self._dry_run_total(repo_id, revision)
        if total is not None:
            self._update(bytes_total=total)
        if revision is None:
            jobs: list[tuple[NodeName, str]] = [
                (
                    "head",
                    commands.tracked_download(
                        ctx.config.checkout_dir, commands.hf_download(repo_id, target)
                    ),
                )
            ]
        else:
            argv = commands.uvx_download(repo_id, revision)
            jobs = [(n, commands.tracked_download(ctx.config.checkout_dir, argv)) for n in nodes]
        for node, command in jobs:
            result = await self._download_on(ctx.node(node), repo_id, command)
            if self._cancelled:
                self._update(state=DownloadState.CANCELLED, rate_bps=None, eta_s=None)
                return self._final()
            if result.exit_status != 0:
                reason = failure_reason(result, node)
                self._update(state=DownloadState.FAILED, error=reason, rate_bps=None, eta_s=None)
                raise DownloadError(repo_id, reason)
        done = await self._blob_bytes(ctx.head, repo_id)
        final_total = max(done or 0, self.progress.bytes_total or 0) if self.progress else done
        self._update(
            state=DownloadState.COMPLETED,
            bytes_done=final_total,
            bytes_total=final_total,
            rate_bps=None,
            eta_s=0.0,
        )
        return self._final()

    def _final(self) -> DownloadProgress:
        if self.progress is None:  # pragma: no cover - set before any await
            raise RuntimeError("no download progress")
        return self.progress

    async def _already_present(self, repo_id: str, nodes: list[NodeName]) -> bool:
        try:
            listings = await asyncio.gather(*(self.list_downloaded(n) for n in nodes))
        except SparkError as err:
            raise DownloadError(repo_id, f"cannot list the model cache: {err}") from err
        return all(repo_id in listing for listing in listings)

    async def _dry_run_total(self, repo_id: str, revision: str | None) -> int | None:
        ctx = self._ctx
        command = commands.join(commands.uvx_download(repo_id, revision, dry_run=True))
        try:
            result = await ctx.head.run(
                command + " 2>&1", name="download size", timeout=ctx.command_timeout, check=False
            )
        except SparkError:
            return None
        return parsers.parse_dry_run_total(result.stdout)

    async def _blob_bytes(self, conn: HostConnection, repo_id: str) -> int | None:
        try:
            result = await conn.run(
                commands.blob_bytes(repo_id),
                name="blob size",
                timeout=self._ctx.status_timeout,
                check=False,
            )
        except SparkError:
            return None
        text = result.stdout.strip().splitlines()
        return int(text[-1]) if text and text[-1].isdigit() else None

    def _record(self, done: int, total: int | None = None) -> None:
        now = time.monotonic()
        if self.progress is None:  # pragma: no cover - set before any await
            return
        total = max(total or 0, self.progress.bytes_total or 0) or None
        rate = self.progress.rate_bps
        if self._rate_sample is not None:
            elapsed = now - self._rate_sample[0]
            if elapsed >= 0.2 and done >= self._rate_sample[1]:
                sample = (done - self._rate_sample[1]) / elapsed
                rate = sample if rate is None else 0.5 * rate + 0.5 * sample
                self._rate_sample = (now, done)
        else:
            self._rate_sample = (now, done)
        eta = (total - done) / rate if rate and total and total >= done else None
        self._update(bytes_done=done, bytes_total=total, rate_bps=rate, eta_s=eta)

    async def _download_on(self, conn: HostConnection, repo_id: str, command: str) -> CommandResult:
        """Run one node's download; after a dropped connection, reconnect and run it again.

        hf resumes from the partial blobs, so a Wi-Fi blip costs seconds, not the gigabytes
        already on disk. The old process may outlive its session: it is killed first, as two
        downloads of one repository would only wait on each other's locks.
        """
        for attempt in range(RESUMES + 1):
            try:
                result = await self._stream(conn, repo_id, command)
            except SparkConnectionError as err:
                lost: SparkError = err
            else:
                if result.exit_status is not None:
                    return result
                lost = SparkConnectionError(conn.host.host, conn.host.port, "connection lost")
            if self._cancelled:  # a cancel kills the process, which can look like a drop
                return CommandResult(None, "", "")
            if attempt == RESUMES:
                break
            _LOGGER.warning("Download of %s lost its connection (%s); resuming", repo_id, lost)
            try:
                await conn.run(
                    commands.cancel_download(),
                    name="stop the interrupted download",
                    timeout=self._ctx.command_timeout,
                    check=False,
                )
            except SparkError as err:
                lost = err
                break
        reason = f"the connection dropped and could not be resumed: {lost}"
        self._update(state=DownloadState.FAILED, error=reason, rate_bps=None, eta_s=None)
        raise DownloadError(repo_id, reason)

    async def _stream(self, conn: HostConnection, repo_id: str, command: str) -> CommandResult:
        """Run the download while polling bytes on disk."""

        def on_line(line: str) -> None:
            bar = parsers.parse_tqdm(line)
            if bar is not None and self.progress is not None:
                disk = self.progress.bytes_done or 0
                self._record(max(disk, bar.done), bar.total)

        async def poll() -> None:
            while True:
                await asyncio.sleep(self.poll_interval)
                done = await self._blob_bytes(conn, repo_id)
                if done is not None and self.progress is not None:
                    self._record(max(done, self.progress.bytes_done or 0))

        poller = asyncio.create_task(poll())
        try:
            return await conn.run_streamed(
                command, name=f"download {repo_id}", timeout=DOWNLOAD_TIMEOUT, on_line=on_line
            )
        except SparkConnectionError:
            raise  # _download_on resumes
        except SparkError as err:
            self._update(state=DownloadState.FAILED, error=str(err))
            raise DownloadError(repo_id, str(err)) from err
        finally:
            poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await poller

    async def cancel(self) -> None:
        """Kill the running download's process group on every node."""
        if not self.running:
            return
        self._cancelled = True
        await asyncio.gather(
            *(
                conn.run(
                    commands.cancel_download(),
                    name="cancel download",
                    timeout=self._ctx.command_timeout,
                    check=False,
                )
                for conn in self._ctx.nodes.values()
            ),
            return_exceptions=True,
        )
