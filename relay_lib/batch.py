"""Batch runs: many recordings into one output folder, resumable, one failure never stops the rest.

A recording counts as finished only when its marker `<name>.done` exists and matches: the marker is
written last, atomically (temporary file + rename, like every output), after all of the recording's
output files. It names the input (resolved path, size, modification time) and the settings that
shape the result; a rerun skips a recording whose marker matches and redoes any other, so an
interrupted run (even killed) resumes where it stopped and never trusts a half-written output.
"""

from __future__ import annotations

import asyncio
import glob
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from relay_lib.audio import SAMPLE_RATE, ChunkPlan, probe_duration
from relay_lib.errors import (
    AudioDecodeError,
    DiscoveryError,
    RelayError,
    ServiceUnreachableError,
)
from relay_lib.executors import Executor
from relay_lib.pipeline import RelayOptions, build_result
from relay_lib.result import RelayResult
from relay_lib.types import ChunkOutcome
from relay_lib.writers import FORMATS, render

MARKER_SUFFIX = ".done"
MARKER_VERSION = 1
# What a folder given as input contributes (files named explicitly or by a glob are always taken).
AUDIO_SUFFIXES = frozenset(
    (".wav", ".flac", ".mp3", ".ogg", ".oga", ".opus", ".m4a", ".aac", ".wma", ".aif", ".aiff",
     ".caf", ".amr", ".mp4", ".m4v", ".mkv", ".webm", ".mov", ".avi")
)  # fmt: skip
_GLOB_CHARS = frozenset("*?[")


@dataclass(frozen=True)
class Recording:
    """One input file and the output name (relative, without suffix) it is written under."""

    path: Path
    name: str


@dataclass(frozen=True)
class InputProblem:
    """An input argument that named nothing usable; listed as a failed row in the summary."""

    argument: str
    reason: str


def _folder_recordings(folder: Path) -> list[Recording]:
    found = sorted(
        p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in AUDIO_SUFFIXES
    )
    return [Recording(p, p.relative_to(folder).with_suffix("").as_posix()) for p in found]


def _expand(arg: str) -> tuple[list[Recording], InputProblem | None]:
    """The recordings one input argument names, or why it names none."""
    path = Path(arg)
    if path.is_dir():
        found = _folder_recordings(path)
        return found, None if found else InputProblem(arg, "the folder holds no audio or video")
    if path.is_file():
        return [Recording(path, path.stem)], None
    if not _GLOB_CHARS & set(arg):
        return [], InputProblem(arg, "no such file or folder")
    # glob.glob, not Path.glob: the pattern may be absolute and span folders
    matches = sorted(Path(m) for m in glob.glob(arg, recursive=True))  # noqa: PTH207
    files = [Recording(m, m.stem) for m in matches if m.is_file()]
    for folder in (m for m in matches if m.is_dir()):
        files.extend(_folder_recordings(folder))
    return files, None if files else InputProblem(arg, "the pattern matches no file")


def find_recordings(arguments: list[str]) -> tuple[list[Recording], list[InputProblem]]:
    """Expand files, folders (recursively, audio/video suffixes) and globs, in argument order.

    The same file named twice runs once. Output names are the file's stem (its path below a
    folder argument); names that would clash get a short hash of the resolved path appended.
    """
    unique: dict[Path, Recording] = {}
    problems: list[InputProblem] = []
    for arg in arguments:
        found, problem = _expand(arg)
        for rec in found:
            unique.setdefault(rec.path.resolve(), rec)
        if problem is not None:
            problems.append(problem)
    names: dict[str, int] = {}
    for rec in unique.values():
        names[rec.name] = names.get(rec.name, 0) + 1
    out = []
    for resolved, rec in unique.items():
        if names[rec.name] > 1:
            digest = hashlib.sha256(str(resolved).encode()).hexdigest()[:8]
            out.append(Recording(rec.path, f"{rec.name}-{digest}"))
        else:
            out.append(rec)
    return out, problems


def result_settings(options: RelayOptions, formats: tuple[str, ...]) -> dict[str, Any]:
    """The settings that shape a recording's outputs (a marker with others is not trusted)."""
    return {
        "chunk_seconds": options.chunk_seconds,
        "overlap_seconds": options.overlap_seconds,
        "speakers": options.hints.num_speakers,
        "min_speakers": options.hints.min_speakers,
        "max_speakers": options.hints.max_speakers,
        "threshold": options.threshold,
        "transcript": options.stt_url is not None,
        "formats": list(formats),
    }


def _identity(path: Path) -> dict[str, Any]:
    stat = path.stat()
    return {"input": str(path.resolve()), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def marker_path(outdir: Path, rec: Recording) -> Path:
    """Where the recording's finished-marker lives."""
    return outdir / f"{rec.name}{MARKER_SUFFIX}"


def output_path(outdir: Path, rec: Recording, fmt: str) -> Path:
    """Where the recording's output in one format lives."""
    return outdir / f"{rec.name}.{fmt}"


def read_marker(outdir: Path, rec: Recording, settings: dict[str, Any]) -> dict[str, Any] | None:
    """The marker when the recording is finished with these settings and outputs, else None."""
    try:
        marker = json.loads(marker_path(outdir, rec).read_text(encoding="utf-8"))
        identity = _identity(rec.path)
    except (OSError, ValueError):
        return None
    if not isinstance(marker, dict) or marker.get("version") != MARKER_VERSION:
        return None
    if any(marker.get(k) != v for k, v in identity.items()):
        return None
    if marker.get("settings") != settings:
        return None
    fmts = settings["formats"]
    if not all(output_path(outdir, rec, fmt).is_file() for fmt in fmts):
        return None
    return marker


def write_atomic(path: Path, text: str) -> None:
    """Write text so that readers see the old file or the whole new one, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_recording(
    outdir: Path,
    rec: Recording,
    result: RelayResult,
    settings: dict[str, Any],
    identity: dict[str, Any],
) -> None:
    """Every output format, then the marker: the marker's presence means all of them are whole."""
    for fmt in settings["formats"]:
        write_atomic(output_path(outdir, rec, fmt), render(result, fmt))
    marker = {
        "version": MARKER_VERSION,
        **identity,
        "settings": settings,
        "speakers": len([s for s in result.speakers if s.identified]),
        "duration_s": round(result.duration_s, 3),
        "chunks": result.chunk_count,
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    write_atomic(marker_path(outdir, rec), json.dumps(marker, indent=2) + "\n")


@dataclass
class Row:
    """One recording's line in the summary."""

    name: str
    status: str  # done, skipped, failed
    speakers: int | None = None
    duration_s: float | None = None
    chunks: int | None = None
    seconds: float | None = None
    reason: str = ""


# Most specific first, as in the single-file CLI's messages.
_PREFIXES: tuple[tuple[type[RelayError], str], ...] = (
    (AudioDecodeError, "unreadable input: "),
    (ServiceUnreachableError, ""),
    (DiscoveryError, "discovery failed: "),
    (RelayError, ""),
)


def failure_text(exc: BaseException) -> str:
    """One line that says why a recording failed."""
    if isinstance(exc, RelayError):
        prefix = next(p for kind, p in _PREFIXES if isinstance(exc, kind))
        return prefix + str(exc)
    if isinstance(exc, OSError):
        return f"cannot write the outputs: {exc}"
    return f"unexpected {type(exc).__name__}: {exc}"


@dataclass
class BatchState:
    """Counters behind the batch progress line."""

    recordings_total: int
    chunks_total: int = 0
    audio_total_s: float = 0.0
    recordings_done: int = 0
    failed: int = 0
    chunks_done: int = 0
    audio_done_s: float = 0.0
    started: float = field(default_factory=time.monotonic)


BatchProgressCallback = Callable[[BatchState], None]


def _clock(seconds: float) -> str:
    seconds = max(0, round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"


_WIDTH = 24


def format_batch_progress(s: BatchState) -> str:
    """`[####....] 3/16 recordings  27/64 chunks  0:15:00/1:00:00 audio  ETA 0:01:10`."""
    total = s.audio_total_s
    fraction = min(1.0, s.audio_done_s / total) if total else 0.0
    filled = round(fraction * _WIDTH)
    bar = "#" * filled + "." * (_WIDTH - filled)
    failed = f" ({s.failed} failed)" if s.failed else ""
    chunks = f"{s.chunks_done}/{s.chunks_total}" if s.chunks_total else str(s.chunks_done)
    if total and s.audio_done_s > 0:
        elapsed = time.monotonic() - s.started
        eta = _clock(elapsed / s.audio_done_s * max(0.0, total - s.audio_done_s))
    else:
        eta = "?"
    return (
        f"[{bar}] {s.recordings_done}/{s.recordings_total} recordings{failed}  {chunks} chunks  "
        f"{_clock(min(s.audio_done_s, total) if total else s.audio_done_s)}/{_clock(total)} audio"
        f"  ETA {eta}"
    )


class BatchProgressBar:
    """Redraws one line on a terminal; one line per event when stderr is a file or pipe."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._tty = stream.isatty()
        self._drawn = False

    def __call__(self, state: BatchState) -> None:
        line = format_batch_progress(state)
        self._stream.write("\r" + line if self._tty else line + "\n")
        self._drawn = self._tty
        self._stream.flush()

    def finish(self) -> None:
        """End the redrawn line so the summary starts on a fresh one."""
        if self._drawn:
            self._stream.write("\n")
            self._stream.flush()
            self._drawn = False


async def _estimate(rec: Recording, plan: ChunkPlan) -> tuple[int, float]:
    try:
        seconds = await asyncio.to_thread(probe_duration, rec.path)
    except RelayError:
        return 0, 0.0  # the run reports why
    if not seconds:
        return 0, 0.0
    return plan.chunk_count(round(seconds * SAMPLE_RATE)), seconds


async def run_batch(
    recordings: list[Recording],
    executor: Executor,
    options: RelayOptions,
    outdir: Path,
    *,
    formats: tuple[str, ...] = FORMATS,
    jobs: int = 2,
    force: bool = False,
    progress: BatchProgressCallback | None = None,
) -> list[Row]:
    """Run every unfinished recording (at most `jobs` at once); one row per recording, in order.

    A recording that fails gets a failed row with the reason and the others go on. Cancelling
    (Ctrl-C) stops the run: finished recordings keep their markers, so a rerun resumes.
    """
    settings = result_settings(options, formats)
    rows: dict[str, Row] = {}
    todo: list[Recording] = []
    for rec in recordings:
        marker = None if force else read_marker(outdir, rec, settings)
        if marker is None:
            todo.append(rec)
        else:
            rows[rec.name] = Row(
                rec.name, "skipped", marker.get("speakers"), marker.get("duration_s"),
                marker.get("chunks"), None, "finished in an earlier run",
            )  # fmt: skip
    plan = ChunkPlan.from_seconds(options.chunk_seconds, options.overlap_seconds)
    state = BatchState(recordings_total=len(todo))
    estimates = await asyncio.gather(*(_estimate(rec, plan) for rec in todo))
    state.chunks_total = sum(e[0] for e in estimates)
    state.audio_total_s = sum(e[1] for e in estimates)

    def chunk_done(outcome: ChunkOutcome) -> None:
        state.chunks_done += 1
        state.audio_done_s += outcome.end_s - outcome.start_s
        if progress is not None:
            progress(state)

    async def one(rec: Recording) -> Row:
        started = time.monotonic()
        try:
            identity = await asyncio.to_thread(_identity, rec.path)
            outcomes, duration = await executor.diarize(rec.name, rec.path, options, chunk_done)
            result = await asyncio.to_thread(
                build_result, str(rec.path), outcomes, duration, options
            )
            await asyncio.to_thread(write_recording, outdir, rec, result, settings, identity)
        except Exception as exc:  # one recording's failure must not stop the batch
            return Row(rec.name, "failed", seconds=time.monotonic() - started,
                       reason=failure_text(exc))  # fmt: skip
        speakers = len([s for s in result.speakers if s.identified])
        return Row(rec.name, "done", speakers, result.duration_s, result.chunk_count,
                   time.monotonic() - started)  # fmt: skip

    queue: asyncio.Queue[Recording] = asyncio.Queue()
    for rec in todo:
        queue.put_nowait(rec)

    async def worker() -> None:
        while not queue.empty():
            rec = queue.get_nowait()
            row = await one(rec)
            rows[rec.name] = row
            state.recordings_done += 1
            state.failed += row.status == "failed"
            if progress is not None:
                progress(state)

    workers = [asyncio.create_task(worker()) for _ in range(max(1, min(jobs, len(todo))))]
    try:
        await asyncio.gather(*workers)
    finally:
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
    return [rows[rec.name] for rec in recordings]


def format_summary(rows: list[Row], problems: Sequence[InputProblem] = ()) -> str:
    """The table printed at the end: one line per recording (and per input that named nothing)."""
    table: list[tuple[str, ...]] = [
        ("recording", "status", "speakers", "audio", "chunks", "time", "note")
    ]
    for row in rows:
        table.append(
            (
                row.name,
                row.status,
                "-" if row.speakers is None else str(row.speakers),
                "-" if row.duration_s is None else _clock(row.duration_s),
                "-" if row.chunks is None else str(row.chunks),
                "-" if row.seconds is None else _clock(row.seconds),
                row.reason,
            )
        )
    for problem in problems:
        table.append((problem.argument, "failed", "-", "-", "-", "-", problem.reason))
    widths = [max(len(r[i]) for r in table) for i in range(len(table[0]) - 1)]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(r[:-1], widths, strict=True)) + "  " + r[-1]
        for r in table
    ]
    counts = {s: sum(1 for r in rows if r.status == s) for s in ("done", "skipped", "failed")}
    counts["failed"] += len(problems)
    total = len(rows) + len(problems)
    lines.append(
        f"{total} recording{'s' if total != 1 else ''}: {counts['done']} done, "
        f"{counts['skipped']} skipped, {counts['failed']} failed"
    )
    return "\n".join(line.rstrip() for line in lines) + "\n"
