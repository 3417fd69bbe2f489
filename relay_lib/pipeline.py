"""The relay end to end: decode, chunk, post (bounded concurrency), cluster, stitch, merge.

Decoding runs in a private one-thread executor so the event loop never blocks on ffmpeg, and the
producer only decodes the next chunk when a concurrency slot is free: memory stays at about
`concurrency + 1` chunks whatever the recording length. The first chunk that fails for good cancels
the rest and its ChunkFailedError propagates; nothing is dropped silently.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from relay_lib.audio import SAMPLE_RATE, Chunk, ChunkPlan, iter_chunks, probe_duration
from relay_lib.client import RelayClient, RetryPolicy
from relay_lib.clustering import SpeakerHints
from relay_lib.merge import absolute_segments, utterances
from relay_lib.result import RelayResult, SpeakerSummary
from relay_lib.stitch import assign_global_speakers, owned_ranges, stitch, talk_time
from relay_lib.thresholds import threshold_for
from relay_lib.types import ChunkOutcome, TranscriptSegment


@dataclass(frozen=True)
class RelayOptions:
    """Everything that shapes one relay run."""

    addon_urls: list[str]
    stt_url: str | None = None
    chunk_seconds: float = 300.0
    overlap_seconds: float = 0.0
    concurrency: int | None = None
    hints: SpeakerHints = field(default_factory=SpeakerHints)
    threshold: float | None = None
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    stt_model: str | None = None
    addon_token: str | None = field(default=None, repr=False)  # Authorization: Bearer, if set

    def slots(self) -> int:
        """Chunks in flight at once: two per add-on by default (one running, one queued)."""
        return self.concurrency if self.concurrency else 2 * len(self.addon_urls)


@dataclass(frozen=True)
class Progress:
    """Sent after each finished chunk; totals are estimates from the container header."""

    chunks_done: int
    chunks_total: int | None
    audio_done_s: float
    audio_total_s: float | None
    elapsed_s: float


ProgressCallback = Callable[[Progress], None]


class _ChunkSource:
    """Pulls chunks from the blocking decoder in a private thread, one at a time."""

    def __init__(self, path: Path | str, plan: ChunkPlan) -> None:
        self._path = path
        self._iterator: Iterator[Chunk] = iter_chunks(path, plan)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="relay-decode")

    async def next(self) -> Chunk | None:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, next, self._iterator, None)

    async def probe(self) -> float | None:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, probe_duration, self._path)

    def close(self) -> None:
        # Idle by now (no pending job), so joining the worker is immediate.
        self._executor.shutdown(wait=True, cancel_futures=True)


async def process_chunk(client: RelayClient, chunk: Chunk, with_stt: bool) -> ChunkOutcome:
    """Post one chunk to the add-on (and the STT service): shared by both batch executors."""
    wav = chunk.to_wav()
    if with_stt:
        (diar, diar_tries), (text, stt_tries) = await asyncio.gather(
            client.diarize(chunk, wav), client.transcribe(chunk, wav)
        )
        attempts = {"addon": diar_tries, "stt": stt_tries}
    else:
        diar, diar_tries = await client.diarize(chunk, wav)
        text, attempts = None, {"addon": diar_tries}
    return ChunkOutcome(chunk.index, chunk.start_s, chunk.end_s, diar, text, attempts)


class _Dispatch:
    """Book-keeping of the chunk tasks: outcomes, the first failure and progress reports."""

    def __init__(
        self,
        slots: asyncio.Semaphore,
        progress: ProgressCallback | None,
        on_outcome: Callable[[ChunkOutcome], None] | None = None,
    ) -> None:
        self.slots = slots
        self._on_outcome = on_outcome
        self.pending: set[asyncio.Task[ChunkOutcome]] = set()
        self.outcomes: list[ChunkOutcome] = []
        self.failure: BaseException | None = None
        self.totals: tuple[int | None, float | None] = (None, None)
        self._progress = progress
        self._audio_done = 0.0
        self._started = time.monotonic()

    def start(self, coro: Coroutine[Any, Any, ChunkOutcome]) -> None:
        task = asyncio.create_task(coro)
        self.pending.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[ChunkOutcome]) -> None:
        self.pending.discard(task)
        self.slots.release()
        if task.cancelled():
            return
        if (err := task.exception()) is not None:
            self.failure = self.failure or err
            return
        outcome = task.result()
        self.outcomes.append(outcome)
        if self._on_outcome is not None:
            self._on_outcome(outcome)
        self._audio_done += outcome.end_s - outcome.start_s
        if self._progress is not None:
            chunks_total, audio_total = self.totals
            done = min(self._audio_done, audio_total) if audio_total else self._audio_done
            elapsed = time.monotonic() - self._started
            self._progress(Progress(len(self.outcomes), chunks_total, done, audio_total, elapsed))

    async def cancel_all(self) -> None:
        for task in self.pending:
            task.cancel()
        if self.pending:
            await asyncio.wait(set(self.pending))


async def process_chunks(
    client: RelayClient,
    path: Path | str,
    options: RelayOptions,
    progress: ProgressCallback | None = None,
    *,
    slots: asyncio.Semaphore | None = None,
    on_outcome: Callable[[ChunkOutcome], None] | None = None,
) -> tuple[list[ChunkOutcome], float]:
    """Run every chunk through the services; returns outcomes by index and the decoded duration.

    `slots` bounds the chunks in flight (a batch shares one semaphore across its recordings);
    `on_outcome` sees every finished chunk.
    """
    plan = ChunkPlan.from_seconds(options.chunk_seconds, options.overlap_seconds)
    source = _ChunkSource(path, plan)
    limit = slots if slots is not None else asyncio.Semaphore(max(1, options.slots()))
    dispatch = _Dispatch(limit, progress, on_outcome)
    duration = 0.0
    try:
        total_s = await source.probe()
        dispatch.totals = (
            plan.chunk_count(round(total_s * SAMPLE_RATE)) if total_s else None,
            total_s,
        )
        while dispatch.failure is None:
            await dispatch.slots.acquire()
            chunk = None if dispatch.failure is not None else await source.next()
            if chunk is None:
                dispatch.slots.release()
                break
            duration = max(duration, chunk.end_s)
            dispatch.start(process_chunk(client, chunk, client.stt_url is not None))
        while dispatch.pending and dispatch.failure is None:
            await asyncio.wait(set(dispatch.pending), return_when=asyncio.FIRST_EXCEPTION)
    finally:
        await dispatch.cancel_all()
        source.close()
    if dispatch.failure is not None:
        raise dispatch.failure
    return sorted(dispatch.outcomes, key=lambda o: o.index), duration


def _label_order(label: str) -> tuple[int, int]:
    number = label.rsplit(" ", 1)[-1]
    return (0, int(number)) if number.isdigit() else (1, 0)


def build_result(
    source: str, outcomes: list[ChunkOutcome], duration: float, options: RelayOptions
) -> RelayResult:
    """Cluster, stitch and merge the chunk outcomes into the final result (CPU only, no I/O)."""
    emb_models = sorted({o.diarization.embedding_model for o in outcomes})
    diar_models = sorted({o.diarization.diarization_model for o in outcomes})
    threshold = options.threshold
    if threshold is None:
        threshold = threshold_for(emb_models[0] if emb_models else None)
    clusters = assign_global_speakers(outcomes, threshold=threshold, hints=options.hints)
    turns = stitch(outcomes, clusters)
    segments: list[TranscriptSegment] = []
    stt_models: set[str] = set()
    for outcome, owned in zip(outcomes, owned_ranges(outcomes), strict=True):
        if outcome.transcript is not None:
            segments.extend(absolute_segments(outcome.transcript, outcome.start_s, owned))
            if outcome.transcript.model:
                stt_models.add(outcome.transcript.model)
    said = utterances(segments, turns) if options.stt_url else []
    totals = talk_time(turns)
    speakers = tuple(
        SpeakerSummary(label, totals[label]) for label in sorted(totals, key=_label_order)
    )
    models = {"diarization": ", ".join(diar_models), "embedding": ", ".join(emb_models)}
    if options.stt_url:
        models["stt"] = ", ".join(sorted(stt_models)) or options.stt_model or "unknown"
    return RelayResult(
        source=source,
        duration_s=duration,
        segments=tuple(turns),
        utterances=tuple(said),
        speakers=speakers,
        models=models,
        chunk_seconds=options.chunk_seconds,
        overlap_seconds=options.overlap_seconds,
        chunk_count=len(outcomes),
        threshold=threshold,
    )


async def run_relay(
    path: Path | str,
    options: RelayOptions,
    *,
    progress: ProgressCallback | None = None,
    session: aiohttp.ClientSession | None = None,
) -> RelayResult:
    """Diarize (and optionally transcribe) a recording via the add-on(s): library entry point."""
    own_session = session is None
    http = session or aiohttp.ClientSession()
    try:
        client = RelayClient(
            http,
            options.addon_urls,
            options.stt_url,
            policy=options.policy,
            stt_model=options.stt_model,
            addon_token=options.addon_token,
        )
        outcomes, duration = await process_chunks(client, path, options, progress)
    finally:
        if own_session:
            await http.close()
    # Clustering and the word merge are CPU work: keep them off the event loop.
    return await asyncio.to_thread(build_result, str(path), outcomes, duration, options)
