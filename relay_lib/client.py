"""HTTP client for the diarization add-on(s) and the STT service: retries, Retry-After, failover.

Chunks are spread round-robin over the add-on URLs; a URL that refuses connections is avoided for a
while and the chunk moves on to the next one at once. 429/503 wait for Retry-After (capped), other
5xx and timeouts back off exponentially. A chunk that still fails raises ChunkFailedError.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import json
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import aiohttp

from relay_lib.audio import Chunk
from relay_lib.errors import ChunkFailedError, ResponseFormatError
from relay_lib.types import ChunkDiarization, ChunkTranscript, parse_diarization, parse_transcript

DIARIZE_PATH = "/v1/audio/diarize-chunk"
TRANSCRIBE_PATH = "/v1/audio/transcriptions"
_RETRY_AFTER_STATUSES = frozenset({429, 503})
_RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
_VERBOSE_REJECTED = frozenset({400, 404, 415, 422})
_BODY_EXCERPT = 300

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try one request before the chunk is declared failed."""

    attempts: int = 4
    backoff_s: float = 1.0
    max_backoff_s: float = 30.0
    max_retry_after_s: float = 120.0
    timeout_s: float = 900.0
    connect_timeout_s: float = 10.0
    down_for_s: float = 30.0

    def backoff(self, retry: int) -> float:
        """Exponential delay before retry number `retry` (1-based)."""
        return float(min(self.max_backoff_s, self.backoff_s * 2 ** (retry - 1)))


def service_url(base: str, path: str) -> str:
    """Join a base URL and an API path; a base that already ends in /v1 is not doubled."""
    base = base.rstrip("/")
    if base.endswith("/v1") and path.startswith("/v1/"):
        base = base[: -len("/v1")]
    return base + path


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (seconds or HTTP date); None if absent/bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    current = now if now is not None else datetime.now(UTC).timestamp()
    return max(0.0, when.timestamp() - current)


class _HttpFailure(Exception):
    """One failed attempt; `retry_after` is set when the server asked for a delay."""

    def __init__(
        self,
        cause: str,
        *,
        retryable: bool,
        status: int | None = None,
        retry_after: float | None = None,
        connection: bool = False,
    ) -> None:
        super().__init__(cause)
        self.cause = cause
        self.retryable = retryable
        self.status = status
        self.retry_after = retry_after
        self.connection = connection


def _error_text(status: int, body: bytes) -> str:
    """Short cause: the add-on's {"error": {code, message}} when present, else a body excerpt."""
    try:
        data = json.loads(body)
        err = data["error"]
        return f"HTTP {status} {err['code']}: {err['message']}"
    except (ValueError, KeyError, TypeError):
        text = body.decode("utf-8", "replace").strip()[:_BODY_EXCERPT]
        return f"HTTP {status}" + (f": {text}" if text else "")


class AddonPool(Protocol):
    """Chooses the add-on for each attempt; UrlPool in one process, an actor's proxy on Ray."""

    urls: list[str]

    async def acquire(self, chunk_index: int, attempt: int) -> str:
        """The URL for this attempt, counted in flight until release()."""
        ...

    def release(self, url: str, *, ok: bool, down: bool) -> None:
        """The attempt on url ended (ok, failed, or could not connect: down)."""
        ...

    async def can_move_on(self, url: str) -> bool:
        """Whether another healthy add-on can take a retry at once."""
        ...


class UrlPool:
    """Spreads requests over base URLs: least busy first, skipping ones that refused connections."""

    def __init__(self, urls: list[str], down_for_s: float) -> None:
        if not urls:
            raise ValueError("at least one URL is needed")
        self.urls = list(dict.fromkeys(u.rstrip("/") for u in urls))
        self._down_until: dict[str, float] = {}
        self._busy: dict[str, int] = dict.fromkeys(self.urls, 0)
        self._down_for_s = down_for_s

    def pick(self, chunk_index: int, attempt: int) -> str:
        """The URL for this attempt: healthy first, then fewest requests in flight, then rotation.

        The rotation (by chunk and attempt) makes a retry move on to another URL.
        """
        n = len(self.urls)
        order = [self.urls[(chunk_index + attempt + k) % n] for k in range(n)]
        now = time.monotonic()
        return min(
            order,
            key=lambda u: (
                self._down_until.get(u, 0.0) > now,
                self._busy[u] if attempt == 0 else 0,
                order.index(u),
            ),
        )

    @contextlib.contextmanager
    def using(self, url: str) -> Iterator[None]:
        """Count a request in flight on url while the block runs."""
        self._busy[url] += 1
        try:
            yield
        finally:
            self._busy[url] -= 1

    async def acquire(self, chunk_index: int, attempt: int) -> str:
        """AddonPool: pick a URL for this attempt and count the request in flight on it."""
        url = self.pick(chunk_index, attempt)
        self._busy[url] += 1
        return url

    def release(self, url: str, *, ok: bool, down: bool) -> None:
        """AddonPool: the request on url ended; `down` when it could not connect at all."""
        self._busy[url] -= 1
        if down:
            self.mark_down(url)
        elif ok:
            self.mark_up(url)

    async def can_move_on(self, url: str) -> bool:
        """AddonPool: whether a retry can go to another healthy add-on right away."""
        return self.has_other_healthy(url)

    def has_other_healthy(self, url: str) -> bool:
        """Whether a retry can go somewhere else right away."""
        now = time.monotonic()
        return any(u != url and self._down_until.get(u, 0.0) <= now for u in self.urls)

    def mark_down(self, url: str) -> None:
        """Avoid url for a while (connection refused / unreachable)."""
        self._down_until[url] = time.monotonic() + self._down_for_s

    def mark_up(self, url: str) -> None:
        """url answered: use it normally again."""
        self._down_until.pop(url, None)


class RelayClient:
    """Posts chunks to the add-on(s) and the optional STT service over one aiohttp session."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        addon_urls: list[str],
        stt_url: str | None = None,
        *,
        policy: RetryPolicy | None = None,
        stt_model: str | None = None,
        addon_token: str | None = None,
        sleep: Sleep = asyncio.sleep,
        pool: AddonPool | None = None,
    ) -> None:
        self._session = session
        # sent to the add-on(s) only: the STT service has its own auth, if any
        self._addon_headers = {"Authorization": f"Bearer {addon_token}"} if addon_token else {}
        self.policy = policy or RetryPolicy()
        # the batch executor on Ray passes a pool shared by every worker (one actor)
        self.addons: AddonPool = pool or UrlPool(addon_urls, self.policy.down_for_s)
        self.stt_url = stt_url.rstrip("/") if stt_url else None
        self.stt_model = stt_model
        self._sleep = sleep
        self._verbose_ok = True  # flips off once the STT rejects verbose_json

    def _timeout(self) -> aiohttp.ClientTimeout:
        return aiohttp.ClientTimeout(
            total=self.policy.timeout_s, sock_connect=self.policy.connect_timeout_s
        )

    async def _post(
        self,
        url: str,
        form_fields: list[tuple[str, str]],
        wav: bytes,
        name: str,
        headers: dict[str, str] | None = None,
    ) -> tuple[bytes, str]:
        form = aiohttp.FormData()
        form.add_field("file", wav, filename=name, content_type="audio/wav")
        for key, value in form_fields:
            form.add_field(key, value)
        try:
            async with self._session.post(
                url, data=form, headers=headers, timeout=self._timeout()
            ) as resp:
                body = await resp.read()
                if resp.status >= 400:
                    retry_after = None
                    if resp.status in _RETRY_AFTER_STATUSES:
                        retry_after = parse_retry_after(resp.headers.get("Retry-After"))
                    raise _HttpFailure(
                        _error_text(resp.status, body),
                        retryable=resp.status in _RETRYABLE_STATUSES,
                        status=resp.status,
                        retry_after=retry_after,
                    )
                return body, resp.headers.get("Content-Type", "")
        except aiohttp.ClientConnectorError as err:
            raise _HttpFailure(f"cannot connect: {err}", retryable=True, connection=True) from err
        except (aiohttp.ServerDisconnectedError, aiohttp.ClientPayloadError) as err:
            raise _HttpFailure(f"connection lost: {err!r}", retryable=True) from err
        except aiohttp.ClientError as err:
            raise _HttpFailure(f"request failed: {err!r}", retryable=True) from err
        except TimeoutError as err:
            raise _HttpFailure(
                f"no answer within {self.policy.timeout_s:g} s", retryable=True
            ) from err

    async def _with_retries(
        self,
        chunk: Chunk,
        service: str,
        pick: Callable[[int], str],
        attempt_once: Callable[[str], Awaitable[Any]],
        pool: AddonPool | None,
    ) -> tuple[Any, int]:
        attempts = max(self.policy.attempts, len(pool.urls) + 1 if pool else 1)
        last: _HttpFailure | None = None
        url = ""
        attempt = 0
        for attempt in range(attempts):
            url = await pool.acquire(chunk.index, attempt) if pool is not None else pick(attempt)
            try:
                result = await attempt_once(url)
            except _HttpFailure as failure:
                last = failure
                if pool is not None:
                    pool.release(url, ok=False, down=failure.connection)
                if not failure.retryable or attempt == attempts - 1:
                    break
                if failure.connection and pool is not None and await pool.can_move_on(url):
                    continue  # another add-on can take it now
                delay = self.policy.backoff(attempt + 1)
                if failure.retry_after is not None:
                    delay = min(failure.retry_after, self.policy.max_retry_after_s)
                await self._sleep(delay)
            except ResponseFormatError as err:
                if pool is not None:
                    pool.release(url, ok=False, down=False)
                raise ChunkFailedError(
                    chunk.index,
                    chunk.start_s,
                    chunk.end_s,
                    f"{service} {url}",
                    f"invalid response: {err}",
                ) from err
            except BaseException:  # cancelled (or a bug): the slot must not leak
                if pool is not None:
                    pool.release(url, ok=False, down=False)
                raise
            else:
                if pool is not None:
                    pool.release(url, ok=True, down=False)
                return result, attempt + 1
        tries = attempt + 1
        cause = last.cause if last is not None else "no attempt was made"
        raise ChunkFailedError(
            chunk.index,
            chunk.start_s,
            chunk.end_s,
            f"{service} {url}",
            f"{cause} (after {tries} attempt{'s' if tries > 1 else ''})",
        )

    async def diarize(self, chunk: Chunk, wav: bytes) -> tuple[ChunkDiarization, int]:
        """Diarize one chunk; returns the parsed response and the number of attempts used."""

        async def once(url: str) -> ChunkDiarization:
            body, _ = await self._post(
                service_url(url, DIARIZE_PATH),
                [],
                wav,
                f"chunk_{chunk.index:05d}.wav",
                self._addon_headers,
            )
            try:
                data = json.loads(body)
            except ValueError as err:
                raise ResponseFormatError(f"body is not JSON: {err}") from err
            return parse_diarization(data)

        return await self._with_retries(chunk, "add-on", lambda _a: "", once, self.addons)

    async def transcribe(self, chunk: Chunk, wav: bytes) -> tuple[ChunkTranscript, int]:
        """Transcribe one chunk: verbose_json with word/segment times, plain text as fallback."""
        if self.stt_url is None:
            raise ValueError("no STT URL configured")
        url = service_url(self.stt_url, TRANSCRIBE_PATH)
        name = f"chunk_{chunk.index:05d}.wav"
        model = [("model", self.stt_model)] if self.stt_model else []

        async def once(_: str) -> ChunkTranscript:
            if self._verbose_ok:
                fields = [
                    *model,
                    ("response_format", "verbose_json"),
                    ("timestamp_granularities[]", "word"),
                    ("timestamp_granularities[]", "segment"),
                ]
                try:
                    body, _ctype = await self._post(url, fields, wav, name)
                except _HttpFailure as failure:
                    if failure.status not in _VERBOSE_REJECTED:
                        raise
                    self._verbose_ok = False
                else:
                    try:
                        return parse_transcript(json.loads(body))
                    except (ValueError, ResponseFormatError):
                        self._verbose_ok = False  # answered, but not verbose_json: use text
            body, _ctype = await self._post(url, [*model, ("response_format", "text")], wav, name)
            text = body.decode("utf-8", "replace")
            try:
                return parse_transcript(json.loads(text))  # some servers still answer JSON
            except (ValueError, ResponseFormatError):
                return parse_transcript(text)

        return await self._with_retries(chunk, "STT", lambda _a: url, once, None)


async def probe(
    session: aiohttp.ClientSession, base_url: str, path: str = "/health", timeout_s: float = 5.0
) -> str | None:
    """None if base_url answers HTTP at all (any status), else the reason it is unreachable."""
    try:
        async with session.get(
            base_url.rstrip("/") + path, timeout=aiohttp.ClientTimeout(total=timeout_s)
        ) as resp:
            await resp.read()
            return None
    except aiohttp.ClientError as err:
        return f"{type(err).__name__}: {err}"
    except TimeoutError:
        return f"no answer within {timeout_s:g} s"
