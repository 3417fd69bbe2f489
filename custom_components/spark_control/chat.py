"""A small typed client for vLLM's streaming `/v1/chat/completions` (voice-contract §3).

It turns vLLM's server-sent events into content pieces and *complete* tool calls: argument
fragments are gathered per call index and a call is handed out only when the stream says the
model is done (`finish_reason` or `[DONE]`), because Home Assistant runs a tool the moment it
sees it. Reasoning (`reasoning`, `reasoning_content`, a leading `<think>` block) is never
passed on: it must not be spoken.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Final

import aiohttp

CONNECT_TIMEOUT: Final = 10.0
READ_TIMEOUT: Final = 120.0  # the longest silence between two events (a long prompt's prefill)
TOOLS_REFUSED: Final = "tool choice requires --enable-auto-tool-choice"
THINK_OPEN: Final = "<think>"
THINK_CLOSE: Final = "</think>"


class ChatError(Exception):
    """vLLM failed the request or the stream; the message is one line for the user's log."""


class ChatConnectionError(ChatError):
    """vLLM did not answer at all (stopped, swapping, unreachable)."""


class ToolsRefusedError(ChatError):
    """vLLM was launched without `--enable-auto-tool-choice --tool-call-parser`."""


@dataclass(frozen=True, slots=True)
class ToolCall:
    """One complete tool call: its id, the tool's name and the parsed arguments."""

    id: str
    name: str
    arguments: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ChatChunk:
    """What one event adds: spoken text and/or finished tool calls."""

    content: str | None = None
    tool_calls: tuple[ToolCall, ...] = ()


@dataclass(slots=True)
class _PendingCall:
    id: str = ""
    name: str = ""
    arguments: list[str] = field(default_factory=list)

    def finish(self, index: int) -> ToolCall:
        text = "".join(self.arguments).strip()
        try:
            parsed = json.loads(text) if text else {}
        except ValueError:
            parsed = {}
        if not isinstance(parsed, dict):
            parsed = {}
        return ToolCall(id=self.id or f"call_{index}", name=self.name, arguments=parsed)


class _ThinkFilter:
    """Drops a `<think>…</think>` block at the start of the content (no reasoning parser)."""

    def __init__(self) -> None:
        self._head = ""
        self._state = "start"  # start → (thinking →) speaking

    def feed(self, text: str) -> str:
        if self._state == "speaking":
            return text
        self._head += text
        if self._state == "start":
            stripped = self._head.lstrip()
            if len(stripped) < len(THINK_OPEN) and THINK_OPEN.startswith(stripped):
                return ""  # could still become "<think>"
            if not stripped.startswith(THINK_OPEN):
                self._state = "speaking"
                out, self._head = self._head, ""
                return out
            self._state = "thinking"
        end = self._head.find(THINK_CLOSE)
        if end < 0:
            return ""
        self._state = "speaking"
        out = self._head[end + len(THINK_CLOSE) :].lstrip()
        self._head = ""
        return out


def _error_text(body: object) -> str:
    """The message of vLLM's error body (new nested or old flat form)."""
    if isinstance(body, dict):
        inner = body.get("error")
        if isinstance(inner, dict) and isinstance(inner.get("message"), str):
            return str(inner["message"])
        if isinstance(inner, str):
            return inner
        if isinstance(body.get("message"), str):
            return str(body["message"])
    return json.dumps(body)[:300]


async def stream_chat(
    session: aiohttp.ClientSession, base_url: str, payload: dict[str, Any]
) -> AsyncIterator[ChatChunk]:
    """POST a streaming chat completion and yield its chunks as they arrive."""
    body = {**payload, "stream": True}
    timeout = aiohttp.ClientTimeout(total=None, connect=CONNECT_TIMEOUT, sock_read=READ_TIMEOUT)
    try:
        async with session.post(
            f"{base_url}/chat/completions", json=body, timeout=timeout
        ) as response:
            if response.status != 200:
                text = await response.text(errors="replace")
                try:
                    message = _error_text(json.loads(text))
                except ValueError:
                    message = text.strip()[:300] or str(response.reason)
                if response.status == 400 and TOOLS_REFUSED in message:
                    raise ToolsRefusedError(message)
                raise ChatError(f"HTTP {response.status}: {message}")
            async for chunk in _events(response.content):
                yield chunk
    except (aiohttp.ClientConnectionError, TimeoutError) as err:
        raise ChatConnectionError(str(err) or type(err).__name__) from err
    except aiohttp.ClientError as err:
        raise ChatError(str(err) or type(err).__name__) from err


async def _events(lines: aiohttp.StreamReader) -> AsyncIterator[ChatChunk]:
    """Parse `data: …` events; calls are handed out at the first finish or at `[DONE]`."""
    calls: dict[int, _PendingCall] = {}
    think = _ThinkFilter()
    async for raw in lines:
        line = raw.decode("utf-8", errors="replace").strip()
        if not line.startswith("data:"):
            continue  # blank separators, comments (": keep-alive"), other fields
        data = line[5:].strip()
        if data == "[DONE]":
            break
        try:
            event = json.loads(data)
        except ValueError as err:
            raise ChatError(f"unreadable event: {data[:100]}") from err
        if not isinstance(event, dict):
            continue
        if "error" in event:
            raise ChatError(_error_text(event))
        for choice in event.get("choices") or ():
            delta = choice.get("delta") or {}
            content = delta.get("content")
            if isinstance(content, str) and content:
                spoken = think.feed(content)
                if spoken:
                    yield ChatChunk(content=spoken)
            for fragment in delta.get("tool_calls") or ():
                _gather(calls, fragment)
            if choice.get("finish_reason") and calls:
                yield ChatChunk(tool_calls=_finish(calls))
    if calls:
        yield ChatChunk(tool_calls=_finish(calls))


def _gather(calls: dict[int, _PendingCall], fragment: dict[str, Any]) -> None:
    index = fragment.get("index", len(calls))
    call = calls.setdefault(int(index), _PendingCall())
    if fragment.get("id"):
        call.id = str(fragment["id"])
    function = fragment.get("function") or {}
    if function.get("name"):
        call.name = str(function["name"])
    arguments = function.get("arguments")
    if isinstance(arguments, str):
        call.arguments.append(arguments)
    elif isinstance(arguments, dict):  # some servers send parsed arguments
        call.arguments.append(json.dumps(arguments))


def _finish(calls: dict[int, _PendingCall]) -> tuple[ToolCall, ...]:
    done = tuple(calls[index].finish(index) for index in sorted(calls) if calls[index].name)
    calls.clear()
    return done
