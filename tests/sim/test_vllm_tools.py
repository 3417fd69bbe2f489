"""Fake vLLM with tool calling: the launch flags decide, SSE exactly as vLLM streams it."""

from __future__ import annotations

import json
from typing import Any

import aiohttp

from spark_sim.config import PairConfig
from spark_sim.fixtures import PairFactory

MODEL = "RedHatAI/Qwen3.6-35B-A3B-NVFP4"
TOOLS = [
    {"type": "function", "function": {"name": name, "parameters": {"type": "object"}}}
    for name in ("HassTurnOn", "HassTurnOff", "GetLiveContext")
]


def chunks(text: str) -> list[Any]:
    """The SSE events of a response body ([DONE] kept as the string)."""
    events = [line[6:] for line in text.split("\n\n") if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    return [json.loads(e) for e in events[:-1]] + ["[DONE]"]


async def test_tool_calls_stream_and_confirmation(sim_pair_factory: PairFactory) -> None:
    flags = ("--enable-auto-tool-choice", "--tool-call-parser", "hermes")
    pair = await sim_pair_factory(
        PairConfig(initial_model=MODEL, initial_vllm_args=(*flags, "--reasoning-parser", "qwen3"))
    )
    url = f"{pair.vllm_url}/v1/chat/completions"
    user = {"role": "user", "content": "Turn on the kitchen light."}
    body = {"model": MODEL, "messages": [user], "tools": TOOLS, "stream": True}
    async with aiohttp.ClientSession() as http:
        async with http.post(url, json={**body, "stream_options": {"include_usage": True}}) as resp:
            assert resp.status == 200 and resp.content_type == "text/event-stream"
            events = chunks(await resp.text())
        deltas = [e["choices"][0]["delta"] for e in events[:-2]]
        assert deltas[0] == {"role": "assistant", "content": ""}
        assert all(
            e["object"] == "chat.completion.chunk" and e["model"] == MODEL for e in events[:-1]
        )
        thinking = "".join(d.get("reasoning", "") for d in deltas)
        assert thinking and not any("content" in d for d in deltas[1:])
        calls = [d["tool_calls"][0] for d in deltas if "tool_calls" in d]
        first, fragments = calls[0], calls[1:]
        assert first["id"].startswith("chatcmpl-tool-") and first["type"] == "function"
        assert first["index"] == 0 and first["function"] == {"name": "HassTurnOn"}
        assert len(fragments) >= 3 and all(set(f) == {"index", "function"} for f in fragments)
        arguments = "".join(f["function"]["arguments"] for f in fragments)
        assert json.loads(arguments) == {"name": "kitchen light"}
        final = events[-2 - 1]["choices"][0]
        assert final["delta"] == {} and final["finish_reason"] == "tool_calls"
        assert events[-2]["choices"] == [] and events[-2]["usage"]["completion_tokens"] > 0
        # The tool result comes back: a short confirmation, no thinking when switched off.
        history = [
            user,
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": first["id"],
                        "type": "function",
                        "function": {"name": "HassTurnOn", "arguments": arguments},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": first["id"], "content": '{"success": true}'},
        ]
        quiet = {"chat_template_kwargs": {"enable_thinking": False}}
        async with http.post(url, json={**body, "messages": history, **quiet}) as resp:
            events = chunks(await resp.text())
        deltas = [e["choices"][0]["delta"] for e in events[:-1]]
        assert "".join(d.get("content", "") for d in deltas) == "The kitchen light is on."
        assert not any("reasoning" in d for d in deltas) and len(events) == 2 + 5 + 1
        assert events[-2]["choices"][0]["finish_reason"] == "stop"
        # Not streamed: the call in message.tool_calls; "switch off" finds HassTurnOff.
        plain = {
            **body,
            "stream": False,
            "messages": [{"role": "user", "content": "switch off the hallway fan"}],
        }
        async with http.post(url, json=plain) as resp:
            choice = (await resp.json())["choices"][0]
        assert choice["finish_reason"] == "tool_calls" and choice["message"]["content"] is None
        (call,) = choice["message"]["tool_calls"]
        assert call["function"] == {"name": "HassTurnOff", "arguments": '{"name": "hallway fan"}'}
        # No rule matches: an echo; tool_choice "none" never calls; a named choice must be offered.
        other = {**plain, "messages": [{"role": "user", "content": "What is the weather?"}]}
        async with http.post(url, json=other) as resp:
            message = (await resp.json())["choices"][0]["message"]
        assert (
            message["content"] == "You said: What is the weather." and message["tool_calls"] == []
        )
        async with http.post(url, json={**plain, "tool_choice": "none"}) as resp:
            assert (await resp.json())["choices"][0]["message"]["tool_calls"] == []
        named = {"type": "function", "function": {"name": "Nope"}}
        async with http.post(url, json={**plain, "tool_choice": named}) as resp:
            assert resp.status == 400 and "Nope" in (await resp.json())["error"]["message"]
        async with http.post(url, json={**plain, "tools": [], "tool_choice": "auto"}) as resp:
            assert resp.status == 400
        async with http.post(
            url, json={**plain, "stream_options": {"include_usage": True}}
        ) as resp:
            assert resp.status == 400
        async with http.post(url, json={**plain, "model": "other/model"}) as resp:
            assert resp.status == 404 and (await resp.json())["error"]["type"] == "NotFoundError"
    # A parser vLLM does not know: the server refuses to start.
    code, out, _ = await pair.run(
        "head",
        f"docker exec vllm_node vllm serve {MODEL} --port 1 --enable-auto-tool-choice "
        "--tool-call-parser made_up 2>&1",
    )
    assert code == 1
    assert (
        "--enable-auto-tool-choice requires tool_parser:'made_up' which has not been registered"
        in out
    )
    _, logs, _ = await pair.run("head", "docker logs vllm_node")
    assert '"auto" tool choice has been enabled' in logs
