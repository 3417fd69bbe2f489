"""Shared handles (config, SSH connections, HTTP session) passed to each feature module."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import aiohttp

from . import commands
from .connection import HostConnection
from .exceptions import InvalidInputError
from .models import CheckoutInfo, ClusterConfig, Dialect, NodeName

CHECKOUT_CACHE_SECONDS = 300.0


@dataclass
class Context:
    """What every feature module needs to reach the cluster."""

    config: ClusterConfig
    nodes: dict[NodeName, HostConnection]
    session: aiohttp.ClientSession
    command_timeout: float
    status_timeout: float
    _checkout: CheckoutInfo | None = field(default=None, init=False)
    _checkout_at: float = field(default=0.0, init=False)

    @property
    def head(self) -> HostConnection:
        """The head node's connection."""
        return self.nodes["head"]

    def node(self, name: NodeName) -> HostConnection:
        """A node's connection; InvalidInputError if it is not configured."""
        conn = self.nodes.get(name)
        if conn is None:
            raise InvalidInputError("ssh_node", name, "this node is not configured")
        return conn

    async def checkout(self, *, refresh: bool = False) -> CheckoutInfo:
        """The head's spark-vllm-docker commit and capabilities (cached a few minutes)."""
        fresh = time.monotonic() - self._checkout_at < CHECKOUT_CACHE_SECONDS
        if self._checkout is not None and fresh and not refresh:
            return self._checkout
        result = await self.head.run(
            commands.checkout_probe(self.config.checkout_dir),
            name="checkout detection",
            timeout=self.status_timeout,
        )
        lines = [line.strip() for line in result.stdout.splitlines() if line.strip()]
        commit = lines[0] if lines else ""
        found = set(lines[1:])
        features = frozenset(
            name for name, pattern in commands.FEATURE_PATTERNS.items() if pattern in found
        )
        dialect: Dialect = "aug2026" if "daemon_exec" in features else "jan2026"
        self._checkout = CheckoutInfo(commit=commit, dialect=dialect, features=features)
        self._checkout_at = time.monotonic()
        return self._checkout

    def forget_checkout(self) -> None:
        """Drop the cached checkout info (after an update)."""
        self._checkout = None
