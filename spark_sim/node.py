"""One simulated DGX Spark: its sandbox, host key and SSH server."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import TYPE_CHECKING

import asyncssh

from spark_sim.sandbox import build, node_env
from spark_sim.sshserver import NodeSSHServer, process_factory

if TYPE_CHECKING:
    from spark_sim.faults import FaultControl


class SimNode:
    """A node of the pair ("head" or "worker") reachable over SSH on 127.0.0.1:ssh_port."""

    host = "127.0.0.1"

    def __init__(
        self,
        root: Path,
        name: str,
        *,
        user: str,
        ssh_port: int,
        faults: FaultControl,
        authorized: set[bytes],
        settle: float,
    ) -> None:
        self.root = root
        self.name = name
        self.user = user
        self.ssh_port = ssh_port
        self.home = root / name / "home"
        self.wrapper = build(root, name, user, settle)
        self.machine_id = (self.home / ".sim" / "machine-id").read_text().strip()
        self.host_key_path = root / name / "ssh_host_ed25519_key"
        self._faults = faults
        self._authorized = authorized
        self.connections: set[asyncssh.SSHServerConnection] = set()
        self.tasks: set[asyncio.Task[None]] = set()
        self._timers: set[asyncio.TimerHandle] = set()
        self._acceptor: asyncssh.SSHAcceptor | None = None
        self._key = asyncssh.generate_private_key("ssh-ed25519")
        self._write_host_key()

    # identity -----------------------------------------------------------------------------
    @property
    def host_public_key(self) -> str:
        """The host key as an OpenSSH public key line."""
        return self._key.export_public_key("openssh").decode().strip()

    @property
    def host_key_fingerprint(self) -> str:
        """SHA256:... as ssh-keygen -l and asyncssh print it."""
        return str(self._key.get_fingerprint("sha256"))

    def _write_host_key(self) -> None:
        self._key.write_private_key(str(self.host_key_path), "openssh")
        self.host_key_path.chmod(0o600)
        self._key.write_public_key(str(self.host_key_path) + ".pub", "openssh")

    def rotate_host_key(self) -> None:
        """New host key; the next connection presents it (existing ones keep theirs)."""
        self._key = asyncssh.generate_private_key("ssh-ed25519")
        self._write_host_key()
        if self._acceptor is not None:
            self._acceptor.update(server_host_keys=[self._key])

    @property
    def listening(self) -> bool:
        """True while the SSH server accepts connections."""
        return self._acceptor is not None

    def authorized(self) -> set[bytes]:
        return self._authorized

    def run_env(self) -> dict[str, str]:
        """HOME, PATH (shims first) and the simulator's variables, as commands here see them."""
        return node_env(self.root, self.name, self.user)

    # server -------------------------------------------------------------------------------
    async def start(self) -> None:
        """Listen on 127.0.0.1:ssh_port."""
        self._acceptor = await asyncssh.listen(
            host=self.host,
            port=self.ssh_port,
            server_factory=lambda: NodeSSHServer(self),
            server_host_keys=[self._key],
            process_factory=process_factory(self),
            encoding=None,
            line_editor=False,
            allow_pty=True,
            x11_forwarding=False,
            agent_forwarding=False,
            allow_scp=False,
            reuse_address=True,
        )

    async def set_reachable(self, reachable: bool) -> None:
        """Stop (connection refused, ssh from the head fails) or restart the node's SSH server."""
        flag = self.root / self.name / "unreachable"
        if reachable:
            flag.unlink(missing_ok=True)
            if self._acceptor is None:
                await self.start()
            return
        flag.touch()
        await self._close_listener()

    async def _close_listener(self) -> None:
        """Stop accepting, then drop the live connections, then wait for the server to close.

        Since Python 3.12 a server's `wait_closed()` also waits for every open connection, so
        waiting before dropping them hung whenever a client was still connected.
        """
        acceptor, self._acceptor = self._acceptor, None
        if acceptor is not None:
            acceptor.close()
        await self.drop_connections()
        if acceptor is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(acceptor.wait_closed(), 5)

    async def drop_connections(self) -> None:
        """Abruptly close every SSH connection to this node (as if the network died)."""
        conns = list(self.connections)
        for conn in conns:
            conn.abort()
        for conn in conns:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.wait_closed(), 5)

    def maybe_schedule_drop(self, conn: asyncssh.SSHServerConnection) -> None:
        """ssh_drop_after=N: drop the connection running this command after N seconds (one shot)."""
        value = self._faults.get("ssh_drop_after")
        if value is None:
            return
        self._faults.clear("ssh_drop_after")
        loop = asyncio.get_running_loop()

        def fire() -> None:
            self._timers.discard(handle)
            conn.abort()

        handle = loop.call_later(float(value), fire)
        self._timers.add(handle)

    async def stop(self) -> None:
        """Close the listener and connections; wait for every session handler to finish."""
        for handle in self._timers:
            handle.cancel()
        self._timers.clear()
        await self._close_listener()
        await self.drop_connections()
        if self.tasks:
            _, pending = await asyncio.wait(set(self.tasks), timeout=10)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending, timeout=5)
