"""IPv4-first name resolution.

vLLM binds IPv4 only and `spark-1.local` often resolves to IPv6 first (the seed's hang), so
every SSH and HTTP connection goes to an IPv4 address we resolve ourselves.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket

from .exceptions import SparkConnectionError


async def resolve_ipv4(host: str, port: int) -> str:
    """The first IPv4 address of `host` (IPv4 literals pass through unchanged)."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        if address.version == 4:
            return host
        raise SparkConnectionError(host, port, "only IPv4 addresses are supported")
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, family=socket.AF_INET, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as err:
        raise SparkConnectionError(host, port, f"cannot resolve the name ({err})") from err
    for _family, _type, _proto, _name, sockaddr in infos:
        return str(sockaddr[0])
    raise SparkConnectionError(host, port, "the name has no IPv4 address")


async def port_open(ip: str, port: int, timeout: float = 2.0) -> bool:  # noqa: ASYNC109 - per-call limit
    """Whether a TCP connect to ip:port succeeds (refused or timed out → False)."""
    try:
        async with asyncio.timeout(timeout):
            _reader, writer = await asyncio.open_connection(ip, port)
    except (OSError, TimeoutError):
        return False
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return True
