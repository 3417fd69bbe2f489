"""Child processes of the demo: own session each, log to a file, stopped politely then by force."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Mapping, Sequence
from pathlib import Path

STOP_GRACE_S = 15.0
MARKER_VAR = "SPARK_DEMO_RUN"


class ManagedProcess:
    """One long-running child (its own process group) whose output goes to `log_path`."""

    def __init__(self, name: str, argv: Sequence[str], log_path: Path) -> None:
        self.name = name
        self.argv = list(argv)
        self.log_path = log_path
        self._proc: asyncio.subprocess.Process | None = None

    @property
    def pid(self) -> int | None:
        """The child's pid once started."""
        return self._proc.pid if self._proc is not None else None

    @property
    def returncode(self) -> int | None:
        """None while running (or never started)."""
        return self._proc.returncode if self._proc is not None else None

    async def start(self, env: Mapping[str, str], cwd: Path) -> None:
        """Start in a new session so one signal reaches the child's whole group."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = await asyncio.to_thread(self.log_path.open, "ab")
        try:
            self._proc = await asyncio.create_subprocess_exec(
                *self.argv,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
                env=dict(env),
                cwd=cwd,
                start_new_session=True,
            )
        finally:
            log.close()

    def check_alive(self) -> None:
        """Raise with the log's tail if the child has exited."""
        code = self.returncode
        if code is not None:
            raise RuntimeError(f"{self.name} exited with status {code}:\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        """The last lines the child wrote (for error messages)."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    async def stop(self, grace_s: float = STOP_GRACE_S) -> None:
        """SIGTERM the group, wait `grace_s`, then SIGKILL whatever is left of it."""
        proc = self._proc
        if proc is None:
            return
        if proc.returncode is None:
            _signal_group(proc.pid, signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), grace_s)
            except TimeoutError:
                _signal_group(proc.pid, signal.SIGKILL)
                await proc.wait()
        # Grandchildren that stayed in the group die with it.
        _signal_group(proc.pid, signal.SIGKILL)


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def _environ_of(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return b""


def find_marked(needles: Sequence[str]) -> list[int]:
    """Pids of live processes whose environment holds one of `needles` (e.g. SPARK_DEMO_RUN=id)."""
    wanted = [needle.encode() + b"\0" for needle in needles]
    found: list[int] = []
    own = os.getpid()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == own:
            continue
        environ = _environ_of(int(entry.name))
        if any(needle in environ for needle in wanted):
            with contextlib.suppress(OSError):
                state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
                if state != "Z":
                    found.append(int(entry.name))
    return found


def kill_pids(pids: Sequence[int]) -> None:
    """SIGKILL each pid (the last resort of the leftover sweep)."""
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
