"""Per-node asyncssh server: public-key auth only; each exec runs in real bash in the node sandbox.

Channel close behaves like OpenSSH 9.2: without a PTY the child's output pipes are closed (its next
write fails with EPIPE); with a PTY its process group gets SIGHUP.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import signal
import struct
import termios
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import asyncssh

if TYPE_CHECKING:
    from spark_sim.node import SimNode

CHUNK = 65536


class NodeSSHServer(asyncssh.SSHServer):
    """Authentication and connection bookkeeping for one node."""

    def __init__(self, node: SimNode) -> None:
        self._node = node
        self._conn: asyncssh.SSHServerConnection | None = None

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self._conn = conn
        self._node.connections.add(conn)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._conn is not None:
            self._node.connections.discard(self._conn)

    def begin_auth(self, username: str) -> bool:
        return True

    def password_auth_supported(self) -> bool:
        return False

    def kbdint_auth_supported(self) -> bool:
        return False

    def public_key_auth_supported(self) -> bool:
        return True

    def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        return username == self._node.user and key.public_data in self._node.authorized()


def _exit(process: asyncssh.SSHServerProcess[bytes], code: int) -> None:
    """Report the child's status: a signal as exit-signal, else the exit code."""
    with contextlib.suppress(Exception):
        if code < 0:
            name = signal.Signals(-code).name.removeprefix("SIG")
            process.exit_with_signal(name, False, "", "")
        else:
            process.exit(code)


async def _read_pipe(fd: int) -> tuple[asyncio.StreamReader, asyncio.BaseTransport]:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=CHUNK * 4)
    transport, _ = await loop.connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(fd, "rb", buffering=0)
    )
    return reader, transport


def _write(process: asyncssh.SSHServerProcess[bytes], data: bytes, *, err: bool) -> bool:
    """Forward bytes to the channel; False once the channel is gone."""
    if process.is_closing():
        return False
    try:
        (process.stderr if err else process.stdout).write(data)
    except (BrokenPipeError, ConnectionError, OSError, asyncssh.Error):
        return False
    return True


async def _pump(
    reader: asyncio.StreamReader, process: asyncssh.SSHServerProcess[bytes], *, err: bool
) -> None:
    while chunk := await reader.read(CHUNK):
        if not _write(process, chunk, err=err):
            return


async def _feed_stdin(
    process: asyncssh.SSHServerProcess[bytes],
    write: Callable[[bytes], None],
    close: Callable[[], None],
) -> None:
    try:
        while True:
            data = await process.stdin.read(CHUNK)
            if not data:
                break
            write(data)
    except (asyncssh.Error, BrokenPipeError, ConnectionError, OSError):
        pass
    finally:
        with contextlib.suppress(OSError):
            close()


class CommandRunner:
    """Run one SSH session's command in the node sandbox and mirror it onto the channel."""

    def __init__(self, node: SimNode, process: asyncssh.SSHServerProcess[bytes]) -> None:
        self.node = node
        self.process = process

    def child_env(self) -> dict[str, str]:
        """The node's environment plus what sshd adds (the same as the wrapper gives OpenSSH)."""
        env = self.node.run_env()
        peer = self.process.get_extra_info("peername") or ("127.0.0.1", 0)
        env["SSH_CONNECTION"] = f"{peer[0]} {peer[1]} 127.0.0.1 {self.node.ssh_port}"
        if self.process.term_type:
            env["TERM"] = self.process.term_type
        return env

    def child_argv(self) -> list[str]:
        """bash straight away (the wrapper's `env -i ... bash -c` without its two extra execs)."""
        argv = ["/bin/bash", "--noprofile", "--norc"]
        return [*argv, "-c", self.process.command] if self.process.command else argv

    async def run(self) -> None:
        conn = self.process.channel.get_connection()
        assert isinstance(conn, asyncssh.SSHServerConnection)
        self.node.maybe_schedule_drop(conn)
        if self.process.term_type:
            await self.run_pty()
        else:
            await self.run_pipes()

    async def run_pipes(self) -> None:
        process = self.process
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        try:
            child = await asyncio.create_subprocess_exec(
                *self.child_argv(),
                stdin=asyncio.subprocess.PIPE,
                stdout=out_w,
                stderr=err_w,
                env=self.child_env(),
                cwd=self.node.home,
                start_new_session=True,
            )
        finally:
            os.close(out_w)
            os.close(err_w)
        out, out_t = await _read_pipe(out_r)
        err, err_t = await _read_pipe(err_r)
        assert child.stdin is not None
        stdin = child.stdin
        feeder = asyncio.create_task(_feed_stdin(process, stdin.write, stdin.close))
        pumps: asyncio.Future[Any] = asyncio.gather(
            _pump(out, process, err=False), _pump(err, process, err=True)
        )
        closed: asyncio.Future[Any] = asyncio.ensure_future(process.wait_closed())
        try:
            await asyncio.wait({pumps, closed}, return_when=asyncio.FIRST_COMPLETED)
            if not pumps.done():
                # Channel gone (client dropped): like sshd, just close our pipe ends — no signal.
                out_t.close()
                err_t.close()
                with contextlib.suppress(OSError):
                    stdin.close()
            code = await child.wait()
            pumps.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pumps
            _exit(process, code)
        finally:
            out_t.close()
            err_t.close()
            for task in (feeder, closed):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task

    async def run_pty(self) -> None:
        process = self.process
        master, slave = os.openpty()
        size = process.term_size
        if size and size[0] and size[1]:
            fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", size[1], size[0], 0, 0))

        def ctty() -> None:  # runs in the child: new session with the pty as controlling terminal
            os.setsid()
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        try:
            child = await asyncio.create_subprocess_exec(
                *self.child_argv(),
                stdin=slave,
                stdout=slave,
                stderr=slave,
                env=self.child_env(),
                cwd=self.node.home,
                preexec_fn=ctty,
            )
        finally:
            os.close(slave)
        os.set_blocking(master, False)
        loop = asyncio.get_running_loop()
        eof = asyncio.Event()
        child_done = False  # the command side closed the pty (as opposed to the client leaving)

        def readable() -> None:
            nonlocal child_done
            try:
                data = os.read(master, CHUNK)
            except BlockingIOError:
                return
            except OSError:  # EIO: every slave fd is closed
                data = b""
            if not data:
                child_done = True
            elif _write(process, data, err=False):
                return
            loop.remove_reader(master)
            eof.set()

        loop.add_reader(master, readable)

        def to_pty(data: bytes) -> None:
            with contextlib.suppress(OSError):  # full buffer, or the pty already released
                os.write(master, data)

        feeder = asyncio.create_task(_feed_stdin(process, to_pty, lambda: to_pty(b"\x04")))
        closed = asyncio.ensure_future(process.wait_closed())
        reading = asyncio.ensure_future(eof.wait())
        try:
            await asyncio.wait({reading, closed}, return_when=asyncio.FIRST_COMPLETED)
            if not child_done:
                # Channel gone with a PTY (seen by the wait or by a failed write): like sshd,
                # release the pty master first — the kernel hangs the terminal up, so later
                # writes fail with EIO instead of blocking on a full buffer nobody reads — then
                # the session's process group gets SIGHUP.
                loop.remove_reader(master)
                os.close(master)
                master = -1
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(child.pid, signal.SIGHUP)
            code = await child.wait()
            _exit(process, code)
        finally:
            if master >= 0:
                loop.remove_reader(master)
                os.close(master)
            for task in (feeder, closed, reading):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task


def process_factory(node: SimNode) -> Callable[[asyncssh.SSHServerProcess[bytes]], Any]:
    """The asyncssh process_factory for a node; tracks its tasks for teardown."""

    async def handle(process: asyncssh.SSHServerProcess[bytes]) -> None:
        task = asyncio.current_task()
        if task is not None:
            node.tasks.add(task)
        try:
            await CommandRunner(node, process).run()
        except Exception as err:
            with contextlib.suppress(Exception):
                process.stderr.write(f"spark_sim: {err!r}\n".encode())
                process.exit(255)
        finally:
            if task is not None:
                node.tasks.discard(task)

    return handle
