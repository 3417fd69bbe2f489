"""Parsers for command and HTTP output: nvidia-smi, meminfo, Prometheus, tqdm, vLLM logs.

Unknown or missing values become None, never 0.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from .exceptions import LoadFailure
from .models import GpuStats, MemoryStats

_UNKNOWN = {"", "[n/a]", "n/a", "[not supported]", "not supported", "[unknown error]"}


def _number(text: str) -> float | None:
    value = text.strip()
    if value.lower() in _UNKNOWN:
        return None
    match = re.match(r"^-?\d+(?:\.\d+)?", value)
    return float(match.group(0)) if match else None


def parse_gpu(query_output: str, apps_output: str | None) -> GpuStats | None:
    """First GPU row of `--query-gpu=name,utilization.gpu,temperature.gpu,power.draw`."""
    for line in query_output.splitlines():
        fields = [f.strip() for f in line.split(",")]
        if len(fields) < 4 or not fields[0]:
            continue
        return GpuStats(
            name=fields[0],
            utilization_pct=_number(fields[1]),
            temperature_c=_number(fields[2]),
            power_w=_number(fields[3]),
            process_memory_mib=parse_process_memory(apps_output)
            if apps_output is not None
            else None,
        )
    return None


def parse_process_memory(apps_output: str) -> float | None:
    """Sum of per-process GPU memory (MiB); 0 when no process runs, None if unreadable."""
    total = 0.0
    for line in apps_output.splitlines():
        fields = [f.strip() for f in line.split(",")]
        if len(fields) < 3:
            continue
        value = _number(fields[2])
        if value is None:
            return None
        total += value
    return total


def parse_meminfo(text: str) -> MemoryStats | None:
    """MemTotal/MemAvailable from /proc/meminfo (kB) as bytes."""
    values: dict[str, int] = {}
    for line in text.splitlines():
        match = re.match(r"^(\w+):\s+(\d+)\s*kB", line)
        if match:
            values[match.group(1)] = int(match.group(2)) * 1024
    total = values.get("MemTotal")
    available = values.get("MemAvailable")
    if total is None or available is None:
        return None
    return MemoryStats(total_bytes=total, available_bytes=available, used_bytes=total - available)


_PROM_LINE = re.compile(r"^([A-Za-z_:][A-Za-z0-9_:]*)(\{[^}]*\})?\s+(\S+)")


def parse_container_states(output: str, containers: Sequence[str]) -> dict[str, str | None]:
    """`docker inspect -f '{{.Name}} {{.State.Status}}'` lines (stderr merged) per container.

    "No such object" means the container does not exist (`missing`); a container docker said
    nothing about (daemon down, a timeout) stays unknown (None).
    """
    states: dict[str, str | None] = dict.fromkeys(containers)
    for line in output.splitlines():
        fields = line.strip().split()
        if len(fields) == 2 and fields[0].startswith("/") and fields[0][1:] in states:
            states[fields[0][1:]] = fields[1]
            continue
        missing = re.search(r"No such (?:object|container): (\S+)", line)
        if missing and missing.group(1) in states:
            states[missing.group(1)] = "missing"
    return states


def parse_prometheus(text: str) -> dict[str, float]:
    """Sum each metric over its label sets (one engine per cluster)."""
    sums: dict[str, float] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        match = _PROM_LINE.match(line)
        if not match:
            continue
        try:
            value = float(match.group(3))
        except ValueError:
            continue
        sums[match.group(1)] = sums.get(match.group(1), 0.0) + value
    return sums


@dataclass(frozen=True, slots=True)
class VllmMetrics:
    """The metrics the integration shows."""

    running: int | None
    waiting: int | None
    kv_cache_usage: float | None
    generation_tokens: float | None


def vllm_metrics(text: str) -> VllmMetrics:
    """Pick vLLM's gauges; KV-cache use under its new or deprecated name."""
    sums = parse_prometheus(text)
    kv = sums.get("vllm:kv_cache_usage_perc", sums.get("vllm:gpu_cache_usage_perc"))
    running = sums.get("vllm:num_requests_running")
    waiting = sums.get("vllm:num_requests_waiting")
    return VllmMetrics(
        running=int(running) if running is not None else None,
        waiting=int(waiting) if waiting is not None else None,
        kv_cache_usage=kv,
        generation_tokens=sums.get("vllm:generation_tokens_total"),
    )


_SIZE_UNITS = {"": 1, "K": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "KI": 1024, "MI": 1024**2}
_SIZE_UNITS |= {"GI": 1024**3, "TI": 1024**4}


def parse_size(text: str) -> int | None:
    """`1.85G`, `4.98GB`, `512kB`, `12,345` → bytes."""
    match = re.fullmatch(r"\s*([\d.,]+)\s*([kKMGT]i?)?B?\s*", text)
    if not match:
        return None
    try:
        number = float(match.group(1).replace(",", ""))
    except ValueError:
        return None
    unit = (match.group(2) or "").upper()
    return int(number * _SIZE_UNITS[unit])


@dataclass(frozen=True, slots=True)
class BarProgress:
    """One tqdm byte-bar update."""

    done: int
    total: int | None


_BAR_WITH_TOTAL = re.compile(
    r"(?:Downloading|Reconstructing|Download complete|Reconstruction complete|\.safetensors)"
    r"[^|]*:\s*\d+%\|[^|]*\|\s*([\d.,]+\s*[kKMGT]?i?B?)\s*/\s*([\d.,]+\s*[kKMGT]?i?B?)"
)


def parse_tqdm(line: str) -> BarProgress | None:
    """Bytes done/total from an aggregate byte bar; None for file-count or unknown bars."""
    match = _BAR_WITH_TOTAL.search(line)
    if not match:
        return None
    done = parse_size(match.group(1))
    total = parse_size(match.group(2))
    if done is None:
        return None
    return BarProgress(done=done, total=total)


_DRY_RUN = re.compile(r"\[dry-run\].*totalling\s+([\d.,]+\s*[kKMGT]?i?B?)")


def parse_dry_run_total(text: str) -> int | None:
    """Total bytes from `hf download --dry-run`."""
    match = _DRY_RUN.search(text)
    return parse_size(match.group(1)) if match else None


_SHARDS = re.compile(r"Loading safetensors checkpoint shards:\s*(\d+)%.*?(\d+)/(\d+)")
READY_MARKER = "Application startup complete."

_FAILURES: list[tuple[LoadFailure, re.Pattern[str]]] = [
    (LoadFailure.FREE_MEMORY, re.compile(r"Free memory on device .* is less than desired")),
    (LoadFailure.NO_CACHE_BLOCKS, re.compile(r"No available memory for the cache blocks")),
    (LoadFailure.KV_CACHE, re.compile(r"KV cache is needed, which is larger than the available")),
    (LoadFailure.CUDA_OOM, re.compile(r"(?:torch\.)?OutOfMemoryError: CUDA out of memory")),
    (LoadFailure.CUDA_ERROR, re.compile(r"RuntimeError: CUDA error")),
    (LoadFailure.PORT_IN_USE, re.compile(r"\[Errno 98\] Address already in use")),
    (LoadFailure.ENGINE_CORE, re.compile(r"Engine core initialization failed")),
    (LoadFailure.LAUNCHER, re.compile(r"^Error: ")),
    (LoadFailure.LAUNCHER, re.compile(r"Timeout waiting for cluster to start")),
]


def shard_percent(line: str) -> float | None:
    """Weight-loading percentage from a shard progress line."""
    match = _SHARDS.search(line)
    if not match:
        return None
    done, total = int(match.group(2)), int(match.group(3))
    return 100.0 * done / total if total else float(match.group(1))


def strip_log_prefix(line: str) -> str:
    """Drop vLLM's `(APIServer pid=N) INFO MM-DD hh:mm:ss [file:line]` prefix."""
    text = re.sub(r"^\((?:APIServer|EngineCore[^)]*|Worker[^)]*) pid=\d+\)\s*", "", line.strip())
    return re.sub(
        r"^(?:INFO|WARNING|ERROR|DEBUG)\s+\d\d-\d\d \d\d:\d\d:\d\d \[[^\]]*\]\s*", "", text
    )


def classify_failure(line: str) -> LoadFailure | None:
    """The failure a log line reports, if any (contract §3)."""
    text = strip_log_prefix(line)
    for failure, pattern in _FAILURES:
        if pattern.search(text):
            return failure
    return None


def is_ready_line(line: str) -> bool:
    """Whether the line is uvicorn's readiness marker."""
    return READY_MARKER in line


def split_lines(chunk: str) -> list[str]:
    """Split streamed output on newlines and tqdm's carriage returns."""
    return [part for part in re.split(r"[\r\n]+", chunk) if part.strip()]


_DENIED = re.compile(r"Permission denied: '?(/[^'\s]+)")


def parse_cache_denial(output: str, separator: str) -> tuple[str, str | None] | None:
    """(denied path in the container, host directory of the volume holding it) from
    `crash_facts` output, or None when the log shows no permission error."""
    inspected, _, log = output.partition(separator)
    denied = [match.group(1) for match in _DENIED.finditer(log)]
    if not denied:
        return None
    path = denied[-1]
    try:
        data = json.loads(inspected or "[]")
    except ValueError:
        data = []
    mounts = data[0].get("Mounts", []) if data and isinstance(data[0], dict) else []
    best: tuple[int, str] | None = None
    for mount in mounts if isinstance(mounts, list) else []:
        destination = str(mount.get("Destination", "")).rstrip("/")
        source = mount.get("Source")
        if not destination or not isinstance(source, str):
            continue
        if (path == destination or path.startswith(destination + "/")) and (
            best is None or len(destination) > best[0]
        ):
            best = (len(destination), source)
    return path, best[1] if best else None
