"""spark-vllm-docker update check (`git fetch` + counts) and apply (`git pull` + build).

The apply runs as a detached job on the head (jobs.py): a build takes 20-40 minutes on old
checkouts, far longer than an SSH session or a Home Assistant restart can be trusted to last.
Its log is read from the byte offset already seen, so lines reach `on_log` once each, also
across a reconnect or a re-attach.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import Callable

from . import commands, jobs
from .context import Context
from .exceptions import CommandError, SparkError, UpdateError
from .jobs import JobInfo, JobState, NodeJobs
from .models import UpdateInfo

_LOGGER = logging.getLogger(__name__)
LogCallback = Callable[[str], None]
KIND = "update"
LOST_AFTER = 300.0
DIRTY_MARKERS = (
    "would be overwritten by merge",
    "Your local changes",
    "not possible to fast-forward",
)
PULL_FAILED = 90
BUILD_FAILED = 91
# Fixed text (no user value): pull, then build and copy, each step announced in the log.
APPLY_SCRIPT = (
    "echo '$ git pull'; git pull 2>&1 || exit 90; "
    "echo '$ ./build-and-copy.sh -c'; ./build-and-copy.sh -c 2>&1; s=$?; "
    '[ "$s" -eq 0 ] || { echo "build-and-copy.sh exited with status $s"; exit 91; }'
)


async def check(ctx: Context) -> UpdateInfo:
    """Installed and upstream commits, commits behind and their one-line log."""
    command = " && ".join(
        [commands.in_checkout(ctx.config.checkout_dir, commands.git_check()[0])]
        + [commands.join(argv) for argv in commands.git_check()[1:]]
    )
    try:
        result = await ctx.head.run(
            command, name="update check", timeout=max(ctx.command_timeout, 60)
        )
    except CommandError as err:
        raise UpdateError("git_failed", " | ".join(err.stderr_tail[-3:]) or str(err)) from err
    lines = [line.strip() for line in result.stdout.splitlines() if line.strip()]
    if len(lines) < 3 or not lines[2].isdigit():
        raise UpdateError("git_failed", f"unexpected git output: {lines[:3]}")
    return UpdateInfo(
        installed=lines[0], upstream=lines[1], behind=int(lines[2]), changelog=lines[3:]
    )


class UpdateRunner:
    """Starts the apply job, follows its log, re-attaches to one found on the head."""

    def __init__(
        self, ctx: Context, *, poll_interval: float = 1.0, lost_after: float = LOST_AFTER
    ) -> None:
        self._ctx = ctx
        self.poll_interval = poll_interval
        self.lost_after = lost_after
        self.running = False

    def _jobs(self) -> NodeJobs:
        return NodeJobs("head", self._ctx.head, self._ctx.command_timeout)

    async def find(self) -> JobInfo | None:
        """The newest update job on the head (running, or ended and not yet reported)."""
        found = [job for job in await self._jobs().list_jobs() if job.kind == KIND]
        return max(found, key=lambda job: (job.started or 0, job.job_id)) if found else None

    async def apply(self, on_log: LogCallback | None) -> UpdateInfo:
        """`git pull && ./build-and-copy.sh -c`; UpdateError with the cause when it fails."""
        if self.running:
            raise UpdateError("git_failed", "an update is already running")
        self.running = True
        try:
            existing = await self.find()
            if existing is not None and existing.state is JobState.RUNNING:
                raise UpdateError("git_failed", "an update is already running on the head")
            job_id = jobs.new_job_id(KIND)
            meta = {"kind": KIND, "checkout": self._ctx.config.checkout_dir}
            try:
                await self._jobs().start(
                    job_id, ["bash", "-c", APPLY_SCRIPT], meta, cwd=self._ctx.config.checkout_dir
                )
            except SparkError as err:
                raise UpdateError("git_failed", str(err)) from err
            return await self._follow(job_id, on_log)
        finally:
            self.running = False

    async def reattach(self, on_log: LogCallback | None) -> UpdateInfo | None:
        """Follow an update job found on the head to its end (None if there is none)."""
        job = await self.find()
        if job is None or self.running:
            return None
        self.running = True
        try:
            return await self._follow(job.job_id, on_log)
        finally:
            self.running = False

    async def _follow(self, job_id: str, on_log: LogCallback | None) -> UpdateInfo:
        node = self._jobs()
        offset = 0
        partial = ""
        lines: list[str] = []
        silent_since: float | None = None

        def deliver(text: str) -> None:
            nonlocal partial
            *complete, partial = re.split(r"[\r\n]", partial + text)
            for line in complete:
                if not line.strip():
                    continue
                lines.append(line)
                del lines[:-50]
                if on_log is not None:
                    try:
                        on_log(line)
                    except Exception:
                        _LOGGER.exception("Update log callback failed")

        while True:
            try:
                poll = await node.poll(job_id, offset)
            except SparkError as err:
                now = time.monotonic()
                silent_since = silent_since or now
                if now - silent_since > self.lost_after:
                    raise UpdateError(
                        "git_failed",
                        f"lost contact with the head ({err}); the update may still run there",
                    ) from err
                await asyncio.sleep(self.poll_interval)
                continue
            silent_since = None
            job = poll.job
            if job is None:
                raise UpdateError("git_failed", "the update job disappeared from the head")
            if job.log_size > offset:
                deliver(poll.log)
                offset = min(job.log_size, offset + jobs.LOG_CHUNK)
                if offset < job.log_size:
                    continue  # more log to read before judging the end
            if job.state is not JobState.RUNNING:
                deliver("\n")
                return await self._finish(job, lines)
            await asyncio.sleep(self.poll_interval)

    async def _finish(self, job: JobInfo, lines: list[str]) -> UpdateInfo:
        with contextlib.suppress(SparkError):
            await self._jobs().forget(job.job_id)
        if any(line.startswith("$ ./build-and-copy.sh") for line in lines):
            self._ctx.forget_checkout()
        tail = " | ".join(lines[-3:])
        if job.state is JobState.SUCCEEDED:
            return await check(self._ctx)
        if job.state is JobState.LOST:
            raise UpdateError(
                "build_failed", "the update stopped without an exit status (killed or rebooted)"
            )
        if job.exit_status == PULL_FAILED:
            if any(marker in line for line in lines for marker in DIRTY_MARKERS):
                raise UpdateError(
                    "dirty_tree",
                    "files in the spark-vllm-docker checkout were edited; commit or stash them "
                    "(`git stash` in ~/" + self._ctx.config.checkout_dir + ") and try again",
                )
            raise UpdateError("git_failed", tail)
        if job.exit_status == BUILD_FAILED:
            raise UpdateError("build_failed", tail)
        raise UpdateError("build_failed", f"the update ended with exit status {job.exit_status}")


async def apply(ctx: Context, on_log: LogCallback | None) -> UpdateInfo:
    """One-shot apply (a runner of its own)."""
    return await UpdateRunner(ctx).apply(on_log)
