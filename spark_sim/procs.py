"""Find and kill every process a simulated pair started (they all carry SPARK_SIM_ROOT=<root>)."""

from __future__ import annotations

import contextlib
import os
import signal
from pathlib import Path


def sim_pids(root: Path) -> list[int]:
    """PIDs whose environment marks them as started inside this pair's sandboxes."""
    marker = f"SPARK_SIM_ROOT={root}".encode()
    me = os.getpid()
    found: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == me:
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if marker in environ.split(b"\0"):
            found.append(int(entry.name))
    return found


def kill_all(root: Path, sig: int = signal.SIGKILL) -> int:
    """Signal every process of the pair (and its process group); return how many were found."""
    pids = sim_pids(root)
    own_group = os.getpgid(0)
    for pid in pids:
        try:
            group = os.getpgid(pid)
            if group != own_group:
                os.killpg(group, sig)
        except (ProcessLookupError, PermissionError):
            pass
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)
    return len(pids)


def is_alive(pid: int) -> bool:
    """True for a live, non-zombie process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")
