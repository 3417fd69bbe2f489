"""Detached jobs on a Spark: started under `setsid`/`nohup`, followed by reading their files.

A download or an update build must outlive the SSH session that started it (an SSH drop or a
Home Assistant restart would otherwise kill it on its next write). Each job lives in
`~/.spark-control/jobs/<id>/` on its node:

- `meta`: `key=value` lines written at start (kind, repo, target, command, start time, boot id);
- `pid`: the job's process-group id, written by the job itself;
- `log`: everything the job prints;
- `exit`: its exit status, written when it ends; `cancel` marks a cancel request.

A job whose process is gone without an `exit` file (killed, or the Spark rebooted) is `lost`.
Reading a job never needs a live connection to the process, so a client can re-attach at any
time: list the jobs, then poll one from the log offset it has already seen.
"""

from __future__ import annotations

import re
import secrets
import shlex
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from . import validation
from .commands import STATE_DIR, join
from .connection import HostConnection
from .exceptions import InvalidInputError, SparkError
from .models import NodeName

JOBS_DIR = f"{STATE_DIR}/jobs"
MARK = "@@spark-control-job"
LOG_MARK = "@@spark-control-log"
SECTION_MARK = "@@spark-control-section"
LOG_CHUNK = 256 * 1024
_JOB_ID = re.compile(r"[a-z]{2,10}-[0-9]{8,12}-[0-9a-f]{6}", re.ASCII)
_META_KEY = re.compile(r"[a-z][a-z_]{0,31}", re.ASCII)
_META_VALUE = re.compile(r"[\x20-\x7e]{0,1000}", re.ASCII)
# The job's own shell: records its process-group id, runs the command, records how it ended.
# A TERM (cancel) reaches the whole group; the trap keeps this shell alive to write `exit`.
_RUNNER = (
    'd=$1; shift; echo "$$" >"$d"/pid; trap "" HUP; trap : TERM INT; "$@"; s=$?; '
    'echo "$s" >"$d"/exit.tmp && mv -f -- "$d"/exit.tmp "$d"/exit'
)


class JobState(StrEnum):
    """Where a detached job is."""

    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    LOST = "lost"  # the process is gone and left no exit status (killed, rebooted)


@dataclass(frozen=True, slots=True)
class JobInfo:
    """One job as its files describe it."""

    job_id: str
    node: NodeName
    meta: dict[str, str] = field(default_factory=dict)
    pid: int | None = None
    exit_status: int | None = None
    alive: bool = False
    cancelled: bool = False
    log_size: int = 0

    @property
    def kind(self) -> str:
        """`download` or `update`."""
        return self.meta.get("kind", "")

    @property
    def started(self) -> int | None:
        """Start time on the Spark's clock (Unix seconds)."""
        value = self.meta.get("started", "")
        return int(value) if value.isdigit() else None

    @property
    def state(self) -> JobState:
        """Running, or how it ended."""
        if self.exit_status is None:
            if self.alive:
                return JobState.RUNNING
            return JobState.CANCELLED if self.cancelled else JobState.LOST
        if self.cancelled:
            return JobState.CANCELLED
        return JobState.SUCCEEDED if self.exit_status == 0 else JobState.FAILED


@dataclass(frozen=True, slots=True)
class JobPoll:
    """A job's state plus what a poll asked for: new log text and extra sections."""

    job: JobInfo | None
    log: str = ""
    sections: dict[str, str] = field(default_factory=dict)


def new_job_id(kind: str) -> str:
    """A fresh id: kind, start second, random suffix (`download-1764412345-3fa2c1`)."""
    job_id = f"{kind}-{int(time.time())}-{secrets.token_hex(3)}"
    return check_job_id(job_id)


def check_job_id(job_id: str) -> str:
    """Refuse anything but our own ids (they become part of a remote path)."""
    if _JOB_ID.fullmatch(job_id) is None:
        raise InvalidInputError("job_id", job_id, "is not a spark_control job id")
    return job_id


def _job_dir(job_id: str) -> str:
    return f'"$HOME"/{JOBS_DIR}/{check_job_id(job_id)}'


def start_command(
    job_id: str,
    argv: Sequence[str],
    meta: Mapping[str, str],
    *,
    cwd: str | None,
) -> str:
    """Start `argv` detached; prints nothing, fails (exit 3) if `cwd` is missing on the node.

    `cwd` is relative to the login's $HOME (None: $HOME itself). The command returns once the
    job has written its pid, so a list right after the start already sees it running.
    """
    if not argv:
        raise InvalidInputError("argv", "", "a job needs a command")
    lines: list[str] = []
    for key, value in {**meta, "command": join(argv)}.items():
        if _META_KEY.fullmatch(key) is None or _META_VALUE.fullmatch(value) is None:
            raise InvalidInputError(key, value, "is not a plain one-line value")
        lines.append(f"{key}={value}")
    directory = _job_dir(job_id)
    meta_lines = " ".join(shlex.quote(line) for line in lines)
    go_to = 'cd -- "$HOME"'
    if cwd is not None:
        go_to += "/" + shlex.quote(validation.relative_path(cwd))
    where = "~" if cwd is None else f"~/{cwd}"
    missing = shlex.quote(f"{where} does not exist")
    return "\n".join(
        [
            f"d={directory}",
            f"{go_to} 2>/dev/null || {{ echo {missing} >&2; exit 3; }}",
            'mkdir -p -- "$d" || exit 1',
            f"{{ printf '%s\\n' {meta_lines}; echo \"started=$(date +%s)\"; "
            'echo "boot=$(cat /proc/sys/kernel/random/boot_id 2>/dev/null)"; } >"$d"/meta',
            f'nohup setsid bash -c {shlex.quote(_RUNNER)} spark-control "$d" {join(argv)} '
            '</dev/null >"$d"/log 2>&1 &',
            'i=0; while [ ! -s "$d"/pid ] && [ "$i" -lt 50 ]; do sleep 0.1; i=$((i+1)); done',
        ]
    )


def _describe() -> str:
    """Shell that prints one job block (`MARK <id>` then key=value lines) for the job in `$j`."""
    return (
        f"printf '%s %s\\n' {MARK} \"${{j##*/}}\"; "
        'cat -- "$j"/meta 2>/dev/null; '
        'p=$(cat -- "$j"/pid 2>/dev/null); echo "pid=$p"; '
        "b=$(cat /proc/sys/kernel/random/boot_id 2>/dev/null); "
        # alive first, then exit: a job ending in between shows its exit, never "lost".
        # Alive means a process that is not a zombie (a container's PID 1 may never reap).
        'a=0; if [ -n "$p" ] && [ "$p" -gt 1 ] 2>/dev/null; then '
        'case $(ps -o stat= -p "$p" 2>/dev/null) in ""|Z*) ;; *) a=1 ;; esac; fi; '
        'grep -qx "boot=$b" -- "$j"/meta 2>/dev/null || a=0; echo "alive=$a"; '
        '[ -f "$j"/exit ] && echo "exit=$(cat -- "$j"/exit)"; '
        '[ -f "$j"/cancel ] && echo "cancelled=1"; '
        'echo "log_size=$(wc -c <"$j"/log 2>/dev/null || echo 0)"'
    )


def list_command() -> str:
    """Every job on the node, one block each."""
    return f'for j in "$HOME"/{JOBS_DIR}/*; do [ -d "$j" ] || continue; {_describe()}; done; true'


def poll_command(
    job_id: str, log_offset: int | None = None, sections: Mapping[str, str] | None = None
) -> str:
    """One job's block, then (optionally) its log from byte `log_offset`, then extra sections.

    At most LOG_CHUNK bytes of log come back per poll. Non-ASCII bytes are dropped from the log
    text so a chunk boundary never splits a character; offsets count the file's bytes.
    """
    parts = [f"j={_job_dir(job_id)}", f'if [ -d "$j" ]; then {_describe()}; fi']
    if log_offset is not None:
        start = max(0, int(log_offset)) + 1
        parts.append(
            f'echo {LOG_MARK}; tail -c +{start} -- "$j"/log 2>/dev/null | head -c {LOG_CHUNK} '
            "| LC_ALL=C tr -d '\\200-\\377'; echo"
        )
    for name, command in (sections or {}).items():
        if _META_KEY.fullmatch(name) is None:
            raise InvalidInputError("section", name, "must be a short lower-case identifier")
        parts.append(f"echo {SECTION_MARK} {name}; {{ {command}; }} 2>/dev/null")
    return "\n".join(parts)


def cancel_command(job_id: str) -> str:
    """Mark the job cancelled and TERM its process group (no-op for an ended job)."""
    return (
        f"j={_job_dir(job_id)}; "
        '[ -d "$j" ] || exit 0; [ -f "$j"/exit ] && exit 0; : >"$j"/cancel; '
        'p=$(cat -- "$j"/pid 2>/dev/null); '
        '[ "$p" -gt 1 ] 2>/dev/null && kill -TERM -- "-$p" 2>/dev/null; true'
    )


def forget_command(job_id: str) -> str:
    """Remove an ended job's files."""
    return f"rm -rf -- {_job_dir(job_id)}"


def log_tail_command(job_id: str, lines: int = 40) -> str:
    """The job's last log lines (for the cause of a failure)."""
    return f"tail -n {int(lines)} -- {_job_dir(job_id)}/log 2>/dev/null; true"


def parse_jobs(text: str, node: NodeName) -> list[JobInfo]:
    """The blocks printed by list_command (or the first part of poll_command)."""
    jobs: list[JobInfo] = []
    current: tuple[str, dict[str, str]] | None = None

    def flush() -> None:
        if current is not None:
            jobs.append(_job(current[0], current[1], node))

    for line in text.splitlines():
        if line.startswith(MARK + " "):
            flush()
            current = (line.split(" ", 1)[1].strip(), {})
        elif line.startswith(("@@spark-control-log", "@@spark-control-section")):
            break
        elif current is not None and "=" in line:
            key, _, value = line.partition("=")
            current[1][key.strip()] = value
    flush()
    return [job for job in jobs if _JOB_ID.fullmatch(job.job_id)]


def _int(value: str | None) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() else None


def _job(job_id: str, values: dict[str, str], node: NodeName) -> JobInfo:
    reserved = ("pid", "exit", "cancelled", "alive", "log_size")
    return JobInfo(
        job_id=job_id,
        node=node,
        meta={k: v for k, v in values.items() if k not in reserved},
        pid=_int(values.get("pid")),
        exit_status=_int(values.get("exit")),
        alive=values.get("alive") == "1",
        cancelled=values.get("cancelled") == "1",
        log_size=_int(values.get("log_size")) or 0,
    )


def parse_poll(text: str, node: NodeName) -> JobPoll:
    """Split a poll_command's output into the job, its new log text and the sections."""
    head, log_part, rest = text, "", ""
    if f"\n{LOG_MARK}\n" in "\n" + text:
        head, _, after = ("\n" + text).partition(f"\n{LOG_MARK}\n")
        log_part, _, rest = after.partition(f"\n{SECTION_MARK} ")
        rest = (f"{SECTION_MARK} " + rest) if rest else ""
        log_part = log_part.removesuffix("\n")
    elif f"{SECTION_MARK} " in text:
        index = text.find(f"{SECTION_MARK} ")
        head, rest = text[:index], text[index:]
    sections: dict[str, str] = {}
    for block in rest.split(f"{SECTION_MARK} ")[1:]:
        name, _, body = block.partition("\n")
        sections[name.strip()] = body.removesuffix("\n")
    jobs = parse_jobs(head, node)
    return JobPoll(jobs[0] if jobs else None, log_part, sections)


class NodeJobs:
    """The job files on one node, reached through its SSH connection."""

    def __init__(self, node: NodeName, conn: HostConnection, timeout: float) -> None:
        self.conn = conn
        self.node = node
        self.timeout = timeout

    async def start(
        self, job_id: str, argv: Sequence[str], meta: Mapping[str, str], *, cwd: str | None
    ) -> None:
        """Start a detached job; SparkError (with the node's message) if it cannot start."""
        result = await self.conn.run(
            start_command(job_id, argv, meta, cwd=cwd),
            name=f"start {meta.get('kind', 'job')}",
            timeout=self.timeout,
            check=False,
            retry=False,
        )
        if result.exit_status != 0:
            detail = " ".join(result.tail(2)) or f"exit status {result.exit_status}"
            raise SparkError(f"Could not start the job on the {self.node} Spark: {detail}")

    async def list_jobs(self) -> list[JobInfo]:
        """Every job on the node (running and ended-but-not-forgotten)."""
        result = await self.conn.run(list_command(), name="list jobs", timeout=self.timeout)
        return parse_jobs(result.stdout, self.node)

    async def poll(
        self,
        job_id: str,
        log_offset: int | None = None,
        sections: Mapping[str, str] | None = None,
    ) -> JobPoll:
        """The job now, plus its log from `log_offset` and the requested sections."""
        result = await self.conn.run(
            poll_command(job_id, log_offset, sections), name="poll job", timeout=self.timeout
        )
        return parse_poll(result.stdout, self.node)

    async def cancel(self, job_id: str) -> None:
        """Ask the job to stop."""
        await self.conn.run(cancel_command(job_id), name="cancel job", timeout=self.timeout)

    async def forget(self, job_id: str) -> None:
        """Remove an ended job's files."""
        await self.conn.run(forget_command(job_id), name="forget job", timeout=self.timeout)

    async def log_tail(self, job_id: str, lines: int = 40) -> list[str]:
        """The last lines of the job's log."""
        result = await self.conn.run(
            log_tail_command(job_id, lines), name="job log", timeout=self.timeout, check=False
        )
        text = result.stdout.replace("\r", "\n")
        return [line for line in text.splitlines() if line.strip()]
