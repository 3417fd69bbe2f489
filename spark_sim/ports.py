"""Free TCP ports on 127.0.0.1 (the HA harness allows no other address)."""

from __future__ import annotations

import socket


def free_ports(count: int) -> list[int]:
    """Return `count` distinct ports that were free a moment ago."""
    socks: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            socks.append(sock)
        return [sock.getsockname()[1] for sock in socks]
    finally:
        for sock in socks:
            sock.close()
