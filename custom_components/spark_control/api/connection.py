"""One pinned, reused asyncssh connection per host, with keepalive and reconnect backoff.

Every file-backed asyncssh default (~/.ssh/config, known_hosts, default keys, agent, X.509
bundle, GSS) is switched off explicitly, so connecting never touches the disk.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass

import asyncssh

from . import keys
from .exceptions import (
    CommandError,
    HostKeyChangedError,
    HostKeyUnknownError,
    SparkAuthError,
    SparkConnectionError,
    SparkError,
    SparkTimeoutError,
)
from .models import HostConfig
from .net import resolve_ipv4

_CHANNEL_ERRORS = (
    asyncssh.ChannelOpenError,
    asyncssh.ConnectionLost,
    asyncssh.DisconnectError,
    BrokenPipeError,
    ConnectionResetError,
)
BACKOFF_START = 0.5
BACKOFF_MAX = 30.0
STDERR_TAIL = 10


@dataclass(frozen=True, slots=True)
class CommandResult:
    """Exit status and decoded output of one remote command."""

    exit_status: int | None
    stdout: str
    stderr: str

    def tail(self, lines: int = STDERR_TAIL) -> list[str]:
        """The last non-empty lines of stderr (stdout if stderr is empty)."""
        text = self.stderr if self.stderr.strip() else self.stdout
        return [line for line in text.replace("\r", "\n").splitlines() if line.strip()][-lines:]


async def fetch_host_key(host: str, port: int, timeout: float = 10) -> tuple[str, str]:  # noqa: ASYNC109 - per-call limit
    """(public key line, SHA256 fingerprint) as the server presents it."""
    ip = await resolve_ipv4(host, port)
    try:
        async with asyncio.timeout(timeout):
            key = await asyncssh.get_server_host_key(ip, port, config=None)
    except TimeoutError as err:
        raise SparkConnectionError(host, port, "timed out waiting for the SSH server") from err
    except (OSError, asyncssh.Error) as err:
        raise SparkConnectionError(host, port, f"no SSH server answered ({err})") from err
    if key is None:
        raise SparkConnectionError(host, port, "the server sent no host key")
    return keys.describe_public_key(key)


def _deliver(line: str, lines: list[str], on_line: Callable[[str], None] | None) -> None:
    if not line.strip():
        return
    lines.append(line)
    del lines[:-500]
    if on_line is not None:
        on_line(line)


class HostConnection:
    """The shared SSH connection to one Spark."""

    def __init__(
        self,
        name: str,
        host: HostConfig,
        client_key: Callable[[], Awaitable[asyncssh.SSHKey]],
        pinned_host_key: str | None,
        *,
        connect_timeout: float = 10,
        keepalive_interval: float = 15,
    ) -> None:
        self.name = name
        self.host = host
        self._client_key = client_key
        self._pinned = pinned_host_key
        self._connect_timeout = connect_timeout
        self._keepalive_interval = keepalive_interval
        self._conn: asyncssh.SSHClientConnection | None = None
        self._lock = asyncio.Lock()
        self._failures = 0
        self._next_attempt = 0.0
        self._last_error: SparkError | None = None
        self._closed = False
        self.connect_count = 0

    @property
    def connected(self) -> bool:
        """Whether a live connection is held."""
        return self._conn is not None and not self._conn.is_closed()

    async def connection(self, *, wait: bool = False) -> asyncssh.SSHClientConnection:
        """The live connection, reconnecting (with backoff) if it dropped."""
        async with self._lock:
            if self._closed:
                raise SparkConnectionError(self.host.host, self.host.port, "client closed")
            if self._conn is not None and not self._conn.is_closed():
                return self._conn
            self._conn = None
            delay = self._next_attempt - time.monotonic()
            if delay > 0 and self._last_error is not None:
                if not wait:
                    raise self._last_error
                await asyncio.sleep(delay)
            try:
                self._conn = await self._connect()
            except SparkError as err:
                self._failures += 1
                backoff = min(BACKOFF_MAX, BACKOFF_START * 2 ** (self._failures - 1))
                self._next_attempt = time.monotonic() + backoff
                self._last_error = err
                raise
            self._failures = 0
            self._last_error = None
            self.connect_count += 1
            return self._conn

    async def _connect(self) -> asyncssh.SSHClientConnection:
        host, port = self.host.host, self.host.port
        ip = await resolve_ipv4(host, port)
        if self._pinned is None:
            line, fingerprint = await fetch_host_key(host, port, self._connect_timeout)
            raise HostKeyUnknownError(host, port, fingerprint, line)
        pinned = keys.import_public_key(self._pinned)
        client_key = await self._client_key()
        try:
            async with asyncio.timeout(self._connect_timeout * 2):
                return await asyncssh.connect(
                    ip,
                    port,
                    username=self.host.username,
                    client_keys=[client_key],
                    known_hosts=([pinned], [], []),
                    config=None,
                    agent_path=None,
                    x509_trusted_certs=None,
                    gss_auth=False,
                    gss_kex=False,
                    preferred_auth="publickey",
                    connect_timeout=self._connect_timeout,
                    login_timeout=self._connect_timeout,
                    keepalive_interval=self._keepalive_interval,
                    keepalive_count_max=3,
                )
        except asyncssh.HostKeyNotVerifiable as err:
            line, actual = await fetch_host_key(host, port, self._connect_timeout)
            expected = pinned.get_fingerprint("sha256")
            raise HostKeyChangedError(host, port, expected, actual) from err
        except asyncssh.PermissionDenied as err:
            raise SparkAuthError(host, self.host.username) from err
        except TimeoutError as err:
            raise SparkConnectionError(host, port, "timed out connecting") from err
        except asyncssh.Error as err:
            raise SparkConnectionError(host, port, f"SSH error: {err.reason}") from err
        except OSError as err:
            raise SparkConnectionError(host, port, err.strerror or str(err)) from err

    def invalidate(self) -> None:
        """Forget a connection that is known to be broken."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    async def run(
        self,
        command: str,
        *,
        name: str,
        timeout: float,  # noqa: ASYNC109 - per-call limit
        check: bool = True,
        retry: bool = True,
    ) -> CommandResult:
        """Run one command on its own channel; retried once after a dropped connection."""
        attempts = 2 if retry else 1
        for attempt in range(attempts):
            conn = await self.connection(wait=attempt > 0)
            try:
                async with asyncio.timeout(timeout):
                    async with conn.create_process(command) as process:
                        stdout, stderr = await process.communicate()
                        status = process.exit_status
            except TimeoutError as err:
                raise SparkTimeoutError(name, timeout) from err
            except _CHANNEL_ERRORS as err:
                self.invalidate()
                if attempt + 1 >= attempts:
                    raise SparkConnectionError(
                        self.host.host, self.host.port, f"connection lost during {name} ({err})"
                    ) from err
                continue
            result = CommandResult(status, str(stdout or ""), str(stderr or ""))
            if status is None and conn.is_closed():
                self.invalidate()
                if attempt + 1 < attempts:
                    continue
                raise SparkConnectionError(
                    self.host.host, self.host.port, f"connection lost during {name}"
                )
            if check and status != 0:
                raise CommandError(name, status, result.tail())
            return result
        raise AssertionError("unreachable")  # pragma: no cover

    @asynccontextmanager
    async def stream(
        self, command: str, *, merge_stderr: bool = True
    ) -> AsyncIterator[asyncssh.SSHClientProcess[str]]:
        """A running command whose output is read as it arrives."""
        conn = await self.connection(wait=True)
        try:
            process = await conn.create_process(
                command, stderr=asyncssh.STDOUT if merge_stderr else asyncssh.PIPE
            )
        except _CHANNEL_ERRORS as err:
            self.invalidate()
            raise SparkConnectionError(
                self.host.host, self.host.port, f"connection lost ({err})"
            ) from err
        try:
            yield process
        finally:
            process.close()
            with suppress(*_CHANNEL_ERRORS, OSError):
                await process.wait_closed()

    async def run_streamed(
        self,
        command: str,
        *,
        name: str,
        timeout: float,  # noqa: ASYNC109 - per-call limit
        on_line: Callable[[str], None] | None = None,
    ) -> CommandResult:
        """Run a long command, handing each output line (split on \\r and \\n) to `on_line`."""
        lines: list[str] = []
        try:
            async with asyncio.timeout(timeout), self.stream(command) as process:
                buffer = ""
                while True:
                    chunk = await process.stdout.read(4096)
                    if not chunk:
                        break
                    buffer += chunk
                    *complete, buffer = re.split(r"[\r\n]", buffer)
                    for line in complete:
                        _deliver(line, lines, on_line)
                _deliver(buffer, lines, on_line)
                await process.wait()
                status = process.exit_status
        except TimeoutError as err:
            raise SparkTimeoutError(name, timeout) from err
        except _CHANNEL_ERRORS as err:
            self.invalidate()
            raise SparkConnectionError(
                self.host.host, self.host.port, f"connection lost during {name} ({err})"
            ) from err
        return CommandResult(status, "\n".join(lines), "")

    async def close(self) -> None:
        """Close the connection for good."""
        self._closed = True
        async with self._lock:
            if self._conn is not None:
                conn, self._conn = self._conn, None
                conn.close()
                with suppress(Exception):
                    await conn.wait_closed()
