"""Model downloads as detached jobs on the Sparks, with progress from bytes on disk.

`hf-download.sh <model> [-c]` runs on the head unless a revision is asked for; then
`uvx hf download --revision R` runs on each target node (in `$HOME`: a worker need not have a
spark-vllm-docker checkout). Either way the work runs under `setsid`/`nohup` (see jobs.py), so
an SSH drop or a Home Assistant restart loses nothing: the runner re-attaches and goes on.

Byte counts are summed here, in Python, from one `find -printf '%s'` line per blob: no remote
awk, whose mawk flavour prints large sums as `4.35635e+10` and clamps `%d` at 2^31 - 1.
Progress covers every target node together (a cluster download of a 40 GB model is 80 GB of
work: the head's download, then the copy to the worker), starting at what is already on disk.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import replace

from . import commands, jobs, parsers, validation
from .context import Context
from .exceptions import DownloadError, InvalidInputError, SparkError
from .jobs import JobInfo, JobPoll, JobState, NodeJobs
from .models import DownloadProgress, DownloadState, LaunchMode, NodeName

_LOGGER = logging.getLogger(__name__)
DownloadCallback = Callable[[DownloadProgress], None]
KIND = "download"
LOST_AFTER = 120.0  # seconds without any answer from a node before the download is given up


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


def parse_blob_sizes(text: str) -> tuple[int, int]:
    """(bytes in complete blobs, bytes in `*.incomplete` ones) from blob_sizes output."""
    complete = partial = 0
    for line in text.splitlines():
        size, _, name = line.strip().partition(" ")
        if not size.isdigit():
            continue
        if name.endswith(".incomplete"):
            partial += int(size)
        else:
            complete += int(size)
    return complete, partial


def failure_reason(lines: Sequence[str], node: str, exit_status: int | None) -> str:
    """An actionable reason from the end of a failed download's log."""
    text = "\n".join(lines)
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
    errors = [line for line in lines if "error" in line.lower() or "failed" in line.lower()]
    if not (errors or lines):
        return f"exit status {exit_status} (on {node}, no output)"
    last = (errors or list(lines))[-1]
    return f"{last.strip()} (on {node}, exit status {exit_status})"


class DownloadRunner:
    """One download at a time: start it detached, follow it, re-attach to it, cancel it."""

    def __init__(
        self, ctx: Context, *, poll_interval: float = 1.0, lost_after: float = LOST_AFTER
    ) -> None:
        self._ctx = ctx
        self.poll_interval = poll_interval
        self.lost_after = lost_after
        self.progress: DownloadProgress | None = None
        self.running = False
        self._cancelled = False
        self._job: tuple[str, list[NodeName]] | None = None
        self._callback: DownloadCallback | None = None
        self._rate_sample: tuple[float, int] | None = None

    def _jobs(self, node: NodeName) -> NodeJobs:
        return NodeJobs(node, self._ctx.node(node), self._ctx.command_timeout)

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

    async def find(self) -> list[JobInfo]:
        """Download jobs on every node, running or ended but not yet reported."""
        found: list[JobInfo] = []
        for node in self._ctx.nodes:
            found += [job for job in await self._jobs(node).list_jobs() if job.kind == KIND]
        return found

    def _begin(self, progress: DownloadProgress, callback: DownloadCallback | None) -> None:
        if self.running:
            raise DownloadError(progress.repo_id, "another download is running; cancel it first")
        self.running = True
        self._cancelled = False
        self._callback = callback
        self._rate_sample = None
        self.progress = progress

    def _end(self) -> None:
        self.running = False
        self._callback = None
        self._job = None

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
        self._begin(DownloadProgress(repo_id=repo_id, target=target), on_progress)
        try:
            return await self._run(repo_id, target, revision)
        finally:
            self._end()

    async def reattach(self, on_progress: DownloadCallback | None) -> DownloadProgress | None:
        """Follow a download found on the Sparks (after a restart) to its end; None if none.

        A download that ended while nobody watched is reported with how it ended.
        """
        try:
            found = await self.find()
        except SparkError as err:
            raise DownloadError("?", f"cannot list the jobs on the Sparks: {err}") from err
        if not found:
            return None
        newest = max(found, key=lambda job: (job.started or 0, job.job_id)).job_id
        for job in found:  # older leftovers have been reported already or never will be
            if job.job_id != newest and job.state is not JobState.RUNNING:
                with contextlib.suppress(SparkError):
                    await self._jobs(job.node).forget(job.job_id)
        group = [job for job in found if job.job_id == newest]
        meta = next((job.meta for job in group if job.node == "head"), group[0].meta)
        repo_id = validation.repo_id(meta.get("repo", ""))
        target: LaunchMode = "cluster" if meta.get("target") == "cluster" else "solo"
        nodes = self._known_nodes(meta.get("nodes", "head"))
        job_nodes = [job.node for job in group]
        total = meta.get("total", "")
        per_node = int(total) if total.isdigit() else None
        self._begin(
            DownloadProgress(repo_id=repo_id, target=target, state=DownloadState.RUNNING),
            on_progress,
        )
        try:
            return await self._follow(newest, repo_id, nodes, job_nodes, per_node)
        finally:
            self._end()

    def _known_nodes(self, text: str) -> list[NodeName]:
        nodes: list[NodeName] = []
        for name in text.split(","):
            if name in ("head", "worker") and name in self._ctx.nodes:
                nodes.append(name)
        return nodes or ["head"]

    async def _run(
        self, repo_id: str, target: LaunchMode, revision: str | None
    ) -> DownloadProgress:
        ctx = self._ctx
        try:
            running = [job for job in await self.find() if job.state is JobState.RUNNING]
        except SparkError as err:
            raise self._fail(repo_id, f"cannot list the jobs on the Sparks: {err}") from err
        if running:
            other = running[0].meta.get("repo", "another model")
            raise self._fail(
                repo_id, f"a download of {other} is running on the Sparks; cancel it first"
            )
        nodes: list[NodeName] = ["head"]
        if target == "cluster" and "worker" in ctx.nodes:
            nodes.append("worker")
        sizes = await self._sizes(repo_id, nodes)
        if revision is None and await self._already_present(repo_id, nodes):
            done = sum(complete for complete, _ in sizes.values())
            self._update(state=DownloadState.COMPLETED, bytes_done=done, bytes_total=done)
            return self._final()
        missing = await self._dry_run_missing(repo_id, revision)
        per_node = None if missing is None else sizes["head"][0] + missing
        done = sum(complete + partial for complete, partial in sizes.values())
        total = None if per_node is None else max(per_node * len(nodes), done)
        self._update(state=DownloadState.RUNNING, bytes_done=done, bytes_total=total)
        job_id = jobs.new_job_id(KIND)
        meta = {
            "kind": KIND,
            "repo": repo_id,
            "target": target,
            "revision": revision or "",
            "total": "" if per_node is None else str(per_node),
            "nodes": ",".join(nodes),
        }
        starts: list[tuple[NodeName, list[str], str | None]]
        if revision is None:
            argv = commands.hf_download(repo_id, target if len(nodes) > 1 else "solo")
            starts = [("head", argv, ctx.config.checkout_dir)]
        else:
            argv = commands.uvx_download(repo_id, revision)
            starts = [(node, argv, None) for node in nodes]
        started: list[NodeName] = []
        self._job = (job_id, started)
        for node, argv, cwd in starts:
            if self._cancelled:
                await self._cancel_jobs(job_id, started)
                self._update(state=DownloadState.CANCELLED, rate_bps=None, eta_s=None)
                return self._final()
            try:
                await self._jobs(node).start(job_id, argv, meta, cwd=cwd)
            except SparkError as err:
                await self._cancel_jobs(job_id, started)
                raise self._fail(repo_id, f"the download could not start: {err}") from err
            started.append(node)
        return await self._follow(job_id, repo_id, nodes, started, per_node)

    async def _follow(
        self,
        job_id: str,
        repo_id: str,
        nodes: list[NodeName],
        job_nodes: list[NodeName],
        per_node: int | None,
    ) -> DownloadProgress:
        """Poll the job and the bytes on disk until every node's job has ended."""
        self._job = (job_id, job_nodes)
        total = None if per_node is None else per_node * len(nodes)
        blobs = {"blobs": commands.blob_sizes(repo_id)}
        silent_since: float | None = None
        while True:
            try:
                polls = await asyncio.gather(
                    *(self._jobs(node).poll(job_id, sections=blobs) for node in nodes)
                )
            except SparkError as err:
                now = time.monotonic()
                silent_since = silent_since or now
                if now - silent_since > self.lost_after:
                    reason = (
                        f"lost contact with the Sparks ({err}); the download may still run "
                        "there and is picked up again once they answer"
                    )
                    raise self._fail(repo_id, reason) from err
                self._update(rate_bps=None, eta_s=None)
                await asyncio.sleep(self.poll_interval)
                continue
            silent_since = None
            done = sum(sum(parse_blob_sizes(p.sections.get("blobs", ""))) for p in polls)
            self._record(done, total)
            by_node = dict(zip(nodes, polls, strict=True))
            states = [self._state(by_node, node, job_id) for node in job_nodes]
            if all(state is not JobState.RUNNING for state, _ in states):
                return await self._finish(job_id, repo_id, nodes, job_nodes, states)
            await asyncio.sleep(self.poll_interval)

    def _state(
        self, by_node: dict[NodeName, JobPoll], node: NodeName, job_id: str
    ) -> tuple[JobState, JobInfo | None]:
        poll = by_node.get(node)
        job = poll.job if poll is not None else None
        if job is None or job.job_id != job_id:
            return (JobState.CANCELLED if self._cancelled else JobState.LOST), None
        return job.state, job

    async def _finish(
        self,
        job_id: str,
        repo_id: str,
        nodes: list[NodeName],
        job_nodes: list[NodeName],
        states: list[tuple[JobState, JobInfo | None]],
    ) -> DownloadProgress:
        try:
            if self._cancelled or any(state is JobState.CANCELLED for state, _ in states):
                self._update(state=DownloadState.CANCELLED, rate_bps=None, eta_s=None)
                return self._final()
            for node, (state, job) in zip(job_nodes, states, strict=True):
                if state is JobState.SUCCEEDED:
                    continue
                if state is JobState.LOST:
                    reason = (
                        f"the download on {node} stopped without an exit status "
                        "(killed, or the Spark restarted)"
                    )
                else:
                    tail = await self._log_tail(node, job_id)
                    reason = failure_reason(tail, node, job.exit_status if job else None)
                raise self._fail(repo_id, reason)
            sizes = await self._sizes(repo_id, nodes)
            done = sum(complete + partial for complete, partial in sizes.values())
            self._update(
                state=DownloadState.COMPLETED,
                bytes_done=done,
                bytes_total=done,
                rate_bps=None,
                eta_s=0.0,
            )
            return self._final()
        finally:
            for node in job_nodes:
                with contextlib.suppress(SparkError):
                    await self._jobs(node).forget(job_id)

    def _fail(self, repo_id: str, reason: str) -> DownloadError:
        """Report FAILED (done never above total) and build the error to raise."""
        if self.progress is not None:
            done, total = self.progress.bytes_done, self.progress.bytes_total
            if done is not None and total is not None and done > total:
                total = done
            self._update(
                state=DownloadState.FAILED,
                error=reason,
                bytes_total=total,
                rate_bps=None,
                eta_s=None,
            )
        return DownloadError(repo_id, reason)

    def _final(self) -> DownloadProgress:
        if self.progress is None:  # pragma: no cover - set before any await
            raise RuntimeError("no download progress")
        return self.progress

    async def _log_tail(self, node: NodeName, job_id: str) -> list[str]:
        try:
            return await self._jobs(node).log_tail(job_id)
        except SparkError as err:
            return [f"the log on {node} could not be read: {err}"]

    async def _already_present(self, repo_id: str, nodes: list[NodeName]) -> bool:
        try:
            listings = await asyncio.gather(*(self.list_downloaded(n) for n in nodes))
        except SparkError as err:
            raise self._fail(repo_id, f"cannot list the model cache: {err}") from err
        return all(repo_id in listing for listing in listings)

    async def _sizes(self, repo_id: str, nodes: list[NodeName]) -> dict[NodeName, tuple[int, int]]:
        """(complete, partial) blob bytes per node."""
        command = commands.blob_sizes(repo_id)
        try:
            results = await asyncio.gather(
                *(
                    self._ctx.node(node).run(
                        command, name="blob sizes", timeout=self._ctx.command_timeout
                    )
                    for node in nodes
                )
            )
        except SparkError as err:
            raise self._fail(repo_id, f"cannot read the model cache: {err}") from err
        return {
            node: parse_blob_sizes(result.stdout)
            for node, result in zip(nodes, results, strict=True)
        }

    async def _dry_run_missing(self, repo_id: str, revision: str | None) -> int | None:
        """Bytes `hf download` still has to fetch on the head (files not complete there)."""
        ctx = self._ctx
        command = commands.join(commands.uvx_download(repo_id, revision, dry_run=True))
        try:
            result = await ctx.head.run(
                command + " 2>&1", name="download size", timeout=ctx.command_timeout, check=False
            )
        except SparkError:
            return None
        return parsers.parse_dry_run_total(result.stdout)

    def _record(self, done: int, total: int | None) -> None:
        now = time.monotonic()
        if self.progress is None:  # pragma: no cover - set before any await
            return
        done = max(done, self.progress.bytes_done or 0)  # a copy never un-writes bytes
        base = total or self.progress.bytes_total
        total = max(base, done) if base else None
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

    async def _cancel_jobs(self, job_id: str, nodes: Sequence[NodeName]) -> None:
        await asyncio.gather(
            *(self._jobs(node).cancel(job_id) for node in nodes), return_exceptions=True
        )

    async def cancel(self) -> None:
        """Stop the download: the one this runner follows, else any found on the Sparks."""
        self._cancelled = True
        if self._job is not None:
            job_id, nodes = self._job
            await self._cancel_jobs(job_id, list(nodes))
            return
        if self.running:  # still starting: _run sees the flag before it starts a job
            return
        self._cancelled = False
        with contextlib.suppress(SparkError):
            for job in await self.find():
                if job.state is JobState.RUNNING:
                    await self._jobs(job.node).cancel(job.job_id)
