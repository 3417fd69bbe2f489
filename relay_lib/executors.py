"""Where a batch's chunk work runs: the in-process asyncio executor (the default).

An executor turns one recording into its chunk outcomes; everything after that (clustering,
stitching, merge, writing) is the same pure code on the driver for every executor. The Ray
executor (`relay_lib.ray_executor`, imported only for `--ray`) implements the same protocol.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import aiohttp

from relay_lib.client import RelayClient
from relay_lib.pipeline import RelayOptions, process_chunks
from relay_lib.types import ChunkOutcome

ChunkDone = Callable[[ChunkOutcome], None]


class Executor(Protocol):
    """Runs the chunk work of one recording at a time (several may be in flight)."""

    name: str

    async def diarize(
        self, key: str, path: Path, options: RelayOptions, on_chunk: ChunkDone
    ) -> tuple[list[ChunkOutcome], float]:
        """Chunk outcomes by index and the decoded duration; raises RelayError on failure."""
        ...

    async def close(self) -> None:
        """Release what the executor holds (sessions, actors, a runtime it started)."""
        ...


class AsyncioExecutor:
    """One process, one aiohttp session: chunks of every recording share the add-on pool.

    One semaphore bounds the chunks in flight across all recordings of the batch (two per
    add-on by default), so running several recordings at once never floods the add-ons.
    """

    name = "asyncio"

    def __init__(self, options: RelayOptions) -> None:
        self._options = options
        self._session: aiohttp.ClientSession | None = None
        self._client: RelayClient | None = None
        self._slots = asyncio.Semaphore(max(1, options.slots()))

    def _ready(self) -> RelayClient:
        if self._client is None:
            self._session = aiohttp.ClientSession()
            opts = self._options
            self._client = RelayClient(
                self._session,
                opts.addon_urls,
                opts.stt_url,
                policy=opts.policy,
                stt_model=opts.stt_model,
                addon_token=opts.addon_token,
            )
        return self._client

    async def diarize(
        self, key: str, path: Path, options: RelayOptions, on_chunk: ChunkDone
    ) -> tuple[list[ChunkOutcome], float]:
        """Decode and post the recording's chunks in this process."""
        del key  # chunks are told apart by their recording's task here
        return await process_chunks(
            self._ready(), path, options, slots=self._slots, on_outcome=on_chunk
        )

    async def close(self) -> None:
        """Close the HTTP session."""
        if self._session is not None:
            await self._session.close()
            self._session = None
            self._client = None
