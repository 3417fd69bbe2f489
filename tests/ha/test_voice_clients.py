"""Unit tests of the voice wire clients (chat.py, speech.py) against tiny local HTTP servers.

The servers answer with the shapes voice-contract.md §1-3 records (vLLM's SSE chunks, its tool
refusal body, NIM's voices list, raw PCM from the OpenAI-style Magpie); the end-to-end tests
use the simulator instead.
"""

from __future__ import annotations

import io
import json
import wave
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from custom_components.spark_control.chat import (
    ChatChunk,
    ChatConnectionError,
    ChatError,
    ToolsRefusedError,
    stream_chat,
)
from custom_components.spark_control.speech import (
    SpeechError,
    list_voices,
    parse_voices,
    pcm_to_wav,
    synthesize,
    transcribe,
)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@pytest.fixture
async def serve(socket_enabled: None) -> AsyncIterator[Callable[..., Awaitable[str]]]:
    """Start a local server with the given routes; its base URL."""
    runners: list[web.AppRunner] = []

    async def start(routes: dict[tuple[str, str], Handler]) -> str:
        app = web.Application()
        for (method, path), handler in routes.items():
            app.router.add_route(method, path, handler)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        runners.append(runner)
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return f"http://127.0.0.1:{port}"

    yield start
    for runner in runners:
        await runner.cleanup()


def sse(*events: Any) -> Handler:
    """A handler streaming `events` as vLLM does (each `data: <json>`, then [DONE])."""

    async def handler(request: web.Request) -> web.StreamResponse:
        request.app["body"] = await request.json()
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        for event in events:
            data = event if isinstance(event, str) else json.dumps(event)
            await response.write(f"data: {data}\n\n".encode())
        await response.write(b"data: [DONE]\n\n")
        return response

    return handler


def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    choice: dict[str, Any] = {"index": 0, "delta": delta, "logprobs": None}
    choice["finish_reason"] = finish
    return {"id": "chatcmpl-1", "object": "chat.completion.chunk", "choices": [choice]}


async def collect(base: str, payload: dict[str, Any] | None = None) -> list[ChatChunk]:
    async with aiohttp.ClientSession() as session:
        return [c async for c in stream_chat(session, f"{base}/v1", payload or {"messages": []})]


async def test_text_and_a_tool_call_in_fragments(serve: Any) -> None:
    """Content streams as it comes; a call split over three fragments is handed out once."""
    base = await serve(
        {
            ("POST", "/v1/chat/completions"): sse(
                chunk({"role": "assistant", "content": ""}),
                chunk({"content": "Turning"}),
                chunk({"content": " on."}),
                chunk(
                    {
                        "tool_calls": [
                            {
                                "id": "chatcmpl-tool-3f",
                                "type": "function",
                                "index": 0,
                                "function": {"name": "HassTurnOn"},
                            }
                        ]
                    }
                ),
                chunk({"tool_calls": [{"index": 0, "function": {"arguments": '{"name": "kit'}}]}),
                chunk({"tool_calls": [{"index": 0, "function": {"arguments": 'chen light"}'}}]}),
                chunk({}, finish="tool_calls"),
                {"id": "x", "choices": [], "usage": {"prompt_tokens": 3}},
            )
        }
    )
    chunks = await collect(base)
    assert [c.content for c in chunks if c.content] == ["Turning", " on."]
    calls = [call for c in chunks for call in c.tool_calls]
    assert len(calls) == 1
    assert calls[0].id == "chatcmpl-tool-3f"
    assert calls[0].name == "HassTurnOn"
    assert calls[0].arguments == {"name": "kitchen light"}
    # The tool call comes last: nothing after it was invented.
    assert chunks[-1].tool_calls


async def test_two_parallel_calls_and_bad_arguments(serve: Any) -> None:
    """Calls are kept apart by index; unreadable arguments become an empty object."""
    base = await serve(
        {
            ("POST", "/v1/chat/completions"): sse(
                chunk(
                    {
                        "tool_calls": [
                            {"id": "a", "index": 0, "function": {"name": "One", "arguments": "{"}},
                            {"id": "b", "index": 1, "function": {"name": "Two", "arguments": "{}"}},
                        ]
                    }
                ),
                chunk({}, finish="tool_calls"),
            )
        }
    )
    calls = [call for c in await collect(base) for call in c.tool_calls]
    assert [(c.id, c.name, c.arguments) for c in calls] == [("a", "One", {}), ("b", "Two", {})]


async def test_reasoning_is_never_spoken(serve: Any) -> None:
    """`reasoning`, `reasoning_content` and a leading <think> block are dropped."""
    base = await serve(
        {
            ("POST", "/v1/chat/completions"): sse(
                chunk({"role": "assistant", "reasoning": "hmm"}),
                chunk({"reasoning_content": "more"}),
                chunk({"content": "<thi"}),
                chunk({"content": "nk>plan</th"}),
                chunk({"content": "ink>\n\nHello"}),
                chunk({"content": " there"}, finish="stop"),
            )
        }
    )
    assert "".join(c.content or "" for c in await collect(base)) == "Hello there"


async def test_the_request_is_streamed(serve: Any) -> None:
    """`stream: true` is always sent; the rest of the payload as given."""
    holder: dict[str, Any] = {}

    async def handler(request: web.Request) -> web.StreamResponse:
        holder["body"] = await request.json()
        return await sse(chunk({"content": "ok"}, finish="stop"))(request)

    base = await serve({("POST", "/v1/chat/completions"): handler})
    await collect(base, {"model": "m", "messages": [{"role": "user", "content": "hi"}]})
    assert holder["body"] == {
        "model": "m",
        "messages": [{"role": "user", "content": "hi"}],
        "stream": True,
    }


async def test_tool_refusal_is_typed(serve: Any) -> None:
    """vLLM without the tool flags: its 400 body (new nested form) is ToolsRefusedError."""
    message = (
        '"auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set'
    )

    async def refuse(request: web.Request) -> web.Response:
        body = {
            "error": {"message": message, "type": "BadRequestError", "param": None, "code": 400}
        }
        return web.json_response(body, status=400)

    base = await serve({("POST", "/v1/chat/completions"): refuse})
    with pytest.raises(ToolsRefusedError, match="enable-auto-tool-choice"):
        await collect(base)


async def test_errors(serve: Any) -> None:
    """The old flat error form, a mid-stream error event, an unreadable event, no server."""

    async def not_found(request: web.Request) -> web.Response:
        body = {"object": "error", "message": "The model `x` does not exist.", "code": 404}
        return web.json_response(body, status=404)

    base = await serve(
        {
            ("POST", "/v1/chat/completions"): not_found,
            ("POST", "/mid/chat/completions"): sse(
                chunk({"content": "Hi"}), {"error": {"message": "engine died", "code": 500}}
            ),
            ("POST", "/bad/chat/completions"): sse("{not json"),
        }
    )
    with pytest.raises(ChatError, match=r"HTTP 404: The model `x` does not exist\."):
        await collect(base)
    async with aiohttp.ClientSession() as session:
        seen: list[ChatChunk] = []
        with pytest.raises(ChatError, match="engine died"):
            async for piece in stream_chat(session, f"{base}/mid", {}):
                seen.append(piece)
        assert seen == [ChatChunk(content="Hi")]
        with pytest.raises(ChatError, match="unreadable event"):
            async for _ in stream_chat(session, f"{base}/bad", {}):
                pass
        with pytest.raises(ChatConnectionError):
            async for _ in stream_chat(session, "http://127.0.0.1:9/v1", {}):
                pass


NIM_VOICES = {
    "en-US,es-US,fr-FR,de-DE": {
        "voices": [
            "Magpie-Multilingual.EN-US.Aria",
            "Magpie-Multilingual.EN-US.Aria.Calm",
            "Magpie-Multilingual.ES-US.Diego",
            "Magpie-Multilingual.DE-DE.Leo",
        ]
    }
}


def test_voices_per_locale() -> None:
    """Each locale of the comma-joined key gets the voices that carry it; empty ones drop."""
    voices = parse_voices(NIM_VOICES)
    assert voices.voices["en-US"] == [
        "Magpie-Multilingual.EN-US.Aria",
        "Magpie-Multilingual.EN-US.Aria.Calm",
    ]
    assert voices.voices["de-DE"] == ["Magpie-Multilingual.DE-DE.Leo"]
    assert voices.languages == ["en-US", "es-US", "de-DE"]
    with pytest.raises(SpeechError):
        parse_voices(["not", "a", "dict"])


def _wav_info(data: bytes) -> tuple[int, int, int]:
    with wave.open(io.BytesIO(data)) as wav:
        return wav.getframerate(), wav.getnchannels(), wav.getnframes()


async def test_magpie_both_flavours(serve: Any) -> None:
    """NIM: multipart with a sample rate, WAV back. OpenAI: JSON, raw PCM gets a header."""
    seen: dict[str, Any] = {}

    async def nim(request: web.Request) -> web.Response:
        seen["nim"] = dict(await request.post())
        return web.Response(body=pcm_to_wav(b"\0\0" * 100, 22050), content_type="audio/wav")

    async def openai(request: web.Request) -> web.Response:
        seen["openai"] = await request.json()
        return web.Response(body=b"\1\0" * 240, headers={"X-Sample-Rate": "24000"})

    async def voices(request: web.Request) -> web.Response:
        return web.json_response(NIM_VOICES)

    base = await serve(
        {
            ("POST", "/v1/audio/synthesize"): nim,
            ("POST", "/v1/audio/speech"): openai,
            ("GET", "/v1/audio/list_voices"): voices,
        }
    )
    async with aiohttp.ClientSession() as session:
        audio = await synthesize(
            session,
            base,
            "nim",
            text="Hi",
            language="en-US",
            voice="Magpie-Multilingual.EN-US.Aria",
        )
        assert _wav_info(audio) == (22050, 1, 100)
        assert seen["nim"] == {
            "text": "Hi",
            "language": "en-US",
            "voice": "Magpie-Multilingual.EN-US.Aria",
            "sample_rate_hz": "22050",
            "encoding": "LINEAR_PCM",
        }
        audio = await synthesize(session, base, "openai", text="Hi", language="en-US", voice="aria")
        assert _wav_info(audio) == (24000, 1, 240)
        assert seen["openai"]["input"] == "Hi"
        assert seen["openai"]["voice"] == "aria"
        assert (await list_voices(session, base)).voices["es-US"] == [
            "Magpie-Multilingual.ES-US.Diego"
        ]


async def test_parakeet_upload_and_errors(serve: Any) -> None:
    """A WAV file upload with the model name; FastAPI `detail` errors become SpeechError."""
    seen: dict[str, Any] = {}

    async def ok(request: web.Request) -> web.Response:
        form = await request.post()
        upload = form["file"]
        assert isinstance(upload, web.FileField)
        seen["wav"] = upload.file.read()
        seen["fields"] = {k: v for k, v in form.items() if k != "file"}
        return web.json_response({"text": " turn on the kitchen light "})

    async def empty(request: web.Request) -> web.Response:
        return web.json_response({"detail": "Empty audio payload"}, status=400)

    base = await serve(
        {
            ("POST", "/v1/audio/transcriptions"): ok,
            ("POST", "/e/v1/audio/transcriptions"): empty,
        }
    )
    wav = pcm_to_wav(b"\0\0" * 1600)
    async with aiohttp.ClientSession() as session:
        assert await transcribe(session, base, wav, "en-US") == "turn on the kitchen light"
        assert seen["wav"] == wav
        assert seen["fields"] == {
            "model": "nvidia/parakeet-tdt-0.6b-v3",
            "response_format": "json",
            "language": "en",
        }
        with pytest.raises(SpeechError, match="HTTP 400: Empty audio payload"):
            await transcribe(session, f"{base}/e", wav, None)
        with pytest.raises(SpeechError):
            await transcribe(session, "http://127.0.0.1:9", wav, None)
