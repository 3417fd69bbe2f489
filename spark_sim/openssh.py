"""Debian's real OpenSSH `sshd` serving a simulated node's sandbox (ForceCommand = node.wrapper).

Used to prove that the Spark client works against a real sshd, not only against asyncssh:

    async with run_sshd(pair.head, tmp_path) as sshd:
        ... connect to 127.0.0.1:sshd.port as sshd.user with pair.client_key_path ...

sshd only admits users that exist on this machine, so the login user is the current user
(root in CI), not PairConfig.user; the sandbox still decides HOME, PATH and the shims.
"""

from __future__ import annotations

import asyncio
import contextlib
import getpass
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from spark_sim.ports import free_ports

SSHD = "/usr/sbin/sshd"


@dataclass(frozen=True)
class SshdInfo:
    """Where the real sshd listens and whom it admits."""

    host: str
    port: int
    user: str
    pid: int
    config_path: Path
    host_key_fingerprint: str


class SandboxNode(Protocol):
    """What sshd needs of a simulated node (a SimNode, or one described by sim.json)."""

    @property
    def name(self) -> str: ...
    @property
    def home(self) -> Path: ...
    @property
    def wrapper(self) -> Path: ...
    @property
    def host_key_path(self) -> Path: ...
    @property
    def host_key_fingerprint(self) -> str: ...


def sshd_config(node: SandboxNode, port: int, pid_file: Path) -> str:
    """A private sshd config: loopback only, keys only, every session forced into the sandbox."""
    return "\n".join(
        [
            "ListenAddress 127.0.0.1",
            f"Port {port}",
            f"HostKey {node.host_key_path}",
            f"AuthorizedKeysFile {node.home / '.ssh' / 'authorized_keys'}",
            f"PidFile {pid_file}",
            "UsePAM no",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "PubkeyAuthentication yes",
            "PermitRootLogin prohibit-password",
            "StrictModes no",
            "PrintMotd no",
            "PrintLastLog no",
            "MaxSessions 64",
            "MaxStartups 64:30:128",
            "LogLevel ERROR",
            # sshd runs ForceCommand through the login user's shell, and bash sources that
            # user's ~/.bashrc when started by sshd: point HOME at the sandbox so this machine's
            # rc files (pyenv init: ~100 ms) neither run nor slow every command.
            f"SetEnv HOME={node.home}",
            f"ForceCommand {node.wrapper}",
            "",
        ]
    )


async def _wait_port(port: int, proc: asyncio.subprocess.Process, timeout: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        if proc.returncode is not None:
            raise RuntimeError(f"sshd exited with status {proc.returncode}")
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            if loop.time() > deadline:
                raise TimeoutError(f"sshd did not listen on {port}") from None
            await asyncio.sleep(0.05)
            continue
        writer.close()
        await writer.wait_closed()
        return


@contextlib.asynccontextmanager
async def run_sshd(
    node: SandboxNode, workdir: Path, port: int | None = None
) -> AsyncIterator[SshdInfo]:
    """Start `sshd -D -e -f cfg` for `node` on 127.0.0.1; stop it (and wait) on exit."""
    workdir.mkdir(parents=True, exist_ok=True)
    port = port or free_ports(1)[0]
    config = workdir / f"sshd_{node.name}.conf"
    pid_file = workdir / f"sshd_{node.name}.pid"
    config.write_text(sshd_config(node, port, pid_file))
    if os.geteuid() == 0:
        Path("/run/sshd").mkdir(parents=True, exist_ok=True)
    proc = await asyncio.create_subprocess_exec(
        SSHD,
        "-D",
        "-e",
        "-f",
        str(config),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
        start_new_session=True,
    )
    try:
        try:
            await _wait_port(port, proc, 10)
        except (RuntimeError, TimeoutError) as err:
            stderr = b""
            if proc.returncode is not None and proc.stderr is not None:
                stderr = await proc.stderr.read()
            raise RuntimeError(f"{err}: {stderr.decode(errors='replace')}") from err
        yield SshdInfo(
            "127.0.0.1", port, getpass.getuser(), proc.pid, config, node.host_key_fingerprint
        )
    finally:
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), 5)
            except TimeoutError:
                proc.kill()
                await proc.wait()
