"""Fake vLLM: start-up log, refused until ready, OpenAI API, metrics that move, faults."""

from __future__ import annotations

import asyncio
import json
import socket

import aiohttp
import pytest

from spark_sim.config import PairConfig
from spark_sim.faults import LOAD_FAILURES
from spark_sim.fixtures import PairFactory
from tests.sim.conftest import eventually, run, ssh

MODEL = "RedHatAI/Qwen3.6-35B-A3B-NVFP4"


def metric(text: str, name: str) -> float:
    """Value of the first sample of a metric family."""
    for line in text.splitlines():
        if line.startswith(name + "{"):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{name} not in metrics")


async def test_ready_server_api_metrics_and_faults(sim_pair_factory: PairFactory) -> None:
    pair = await sim_pair_factory(PairConfig(initial_model=MODEL, vllm_log_interval=0.3))
    url = pair.vllm_url
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{url}/health") as resp:
            assert resp.status == 200 and await resp.read() == b""
        async with http.get(f"{url}/version") as resp:
            assert "version" in await resp.json()
        async with http.get(f"{url}/v1/models") as resp:
            card = (await resp.json())["data"][0]
        assert card["id"] == card["root"] == MODEL
        assert card["max_model_len"] == pair.config.default_max_model_len
        assert card["owned_by"] == "vllm" and card["object"] == "model"
        async with http.get(f"{url}/metrics") as resp:
            before = await resp.text()
        assert metric(before, "vllm:generation_tokens_total") == 0.0
        assert 'vllm:num_requests_running{engine="0",model_name="' + MODEL + '"} 0.0' in before
        assert "vllm:kv_cache_usage_perc{" in before and "vllm:gpu_cache_usage_perc{" not in before
        body = {
            "model": MODEL,
            "messages": [{"role": "user", "content": "say hi"}],
            "max_tokens": 20,
        }
        async with http.post(f"{url}/v1/chat/completions", json=body) as resp:
            answer = await resp.json()
        assert answer["usage"]["completion_tokens"] == 4
        assert answer["choices"][0]["message"]["content"] == "You said: say hi."
        assert answer["choices"][0]["finish_reason"] == "stop"
        async with http.post(f"{url}/v1/chat/completions", json={**body, "stream": True}) as resp:
            events = [
                line for line in (await resp.text()).splitlines() if line.startswith("data: ")
            ]
        assert events[-1] == "data: [DONE]"
        assert len(events) == 7  # role, four content pieces, finish, [DONE]
        assert json.loads(events[0][6:])["choices"][0]["delta"]["role"] == "assistant"
        async with http.post(f"{url}/v1/completions", json={**body, "prompt": "x"}) as resp:
            assert (await resp.json())["usage"]["completion_tokens"] == 20
        async with http.get(f"{url}/metrics") as resp:
            after = await resp.text()
        assert metric(after, "vllm:generation_tokens_total") == 28.0
        # Launched without the tool flags: tools with auto choice are refused exactly as vLLM does.
        tool = {"type": "function", "function": {"name": "HassTurnOn", "parameters": {}}}
        for extra in ({"tools": [tool]}, {"tools": [tool], "tool_choice": "auto"}):
            async with http.post(f"{url}/v1/chat/completions", json={**body, **extra}) as resp:
                assert resp.status == 400
                assert await resp.json() == {
                    "error": {
                        "message": '"auto" tool choice requires --enable-auto-tool-choice and '
                        "--tool-call-parser to be set",
                        "type": "BadRequestError",
                        "param": None,
                        "code": 400,
                    }
                }
        async with http.post(
            f"{url}/v1/chat/completions", json={**body, "tools": [tool], "tool_choice": "required"}
        ) as resp:  # structured outputs work without the flags
            call = (await resp.json())["choices"][0]["message"]["tool_calls"][0]
            assert call["function"]["name"] == "HassTurnOn"
        assert metric(after, "vllm:prompt_tokens_total") > metric(
            before, "vllm:prompt_tokens_total"
        )
        # Periodic engine line, slow and hung responses.
        _, logs, _ = await pair.run("head", "docker logs vllm_node")
        assert "Engine 000: Avg prompt throughput:" in logs
        pair.faults.set("http_delay", 3)
        with pytest.raises(TimeoutError):
            async with http.get(f"{url}/health", timeout=aiohttp.ClientTimeout(total=0.5)):
                pass
        pair.faults.clear("http_delay")
        pair.faults.set("http_hang")
        with pytest.raises(TimeoutError):
            async with http.get(f"{url}/v1/models", timeout=aiohttp.ClientTimeout(total=0.5)):
                pass
        pair.faults.clear("http_hang")
        # Engine death after ready: /health 503, container keeps running.
        pair.faults.set("engine_death")

        async def unhealthy() -> bool:
            async with http.get(f"{url}/health") as resp:
                return resp.status == 503

        await eventually(unhealthy, 20)
        async with http.post(f"{url}/v1/chat/completions", json=body) as resp:
            assert resp.status == 500
    _, logs, _ = await pair.run("head", "docker logs vllm_node; docker ps --format '{{.Names}}'")
    assert "EngineDeadError" in logs
    assert logs.splitlines()[-1] == "vllm_node"


async def test_deprecated_kv_metric_name_and_worker_serves_nothing(
    sim_pair_factory: PairFactory,
) -> None:
    pair = await sim_pair_factory(
        PairConfig(initial_model=MODEL, kv_metric="vllm:gpu_cache_usage_perc")
    )
    async with aiohttp.ClientSession() as http, http.get(f"{pair.vllm_url}/metrics") as resp:
        text = await resp.text()
    assert "vllm:gpu_cache_usage_perc{" in text and "vllm:kv_cache_usage_perc{" not in text
    assert "DEPRECATED: Use vllm:kv_cache_usage_perc" in text
    _, out, _ = await pair.run("worker", "docker logs vllm_node")
    assert "Route: /v1/models" not in out and "headless" in out


EXPECTED = {
    "kv_cache": "ValueError: To serve at least one request with the models's max seq len",
    "free_memory": "ValueError: Free memory on device (",
    "no_cache_blocks": "ValueError: No available memory for the cache blocks.",
    "cuda_oom": "torch.OutOfMemoryError: CUDA out of memory.",
    "cuda_error": "RuntimeError: CUDA error:",
    "engine_core": "RuntimeError: Worker failed with error",
    "port_in_use": "OSError: [Errno 98] Address already in use",
}
WRAPPER = (
    "RuntimeError: Engine core initialization failed. See root cause above. Failed core proc(s): {}"
)


async def test_every_load_failure_prints_vllms_lines(sim_pair_factory: PairFactory) -> None:
    pair = await sim_pair_factory(PairConfig(vllm_load_seconds=0.3))
    serve = f"vllm serve org/M-1B --host 0.0.0.0 --port {pair.vllm_port}"
    async with ssh(pair) as conn:
        code, out, _ = await run(
            conn, "cd spark-vllm-docker && ./launch-cluster.sh --solo -d start"
        )
        assert code == 0, out
        for kind in LOAD_FAILURES:
            pair.faults.set("vllm_load_failure", kind)
            code, out, err = await run(conn, f"docker exec vllm_node bash -c '{serve}'")
            assert code == 1, kind
            assert EXPECTED[kind] in out + err, kind
            if kind != "port_in_use":
                assert (out + err).rstrip().endswith(WRAPPER), kind
        pair.faults.clear()
        # A real conflict on the port gives the same line; the container stays up throughout.
        with socket.socket() as blocker:
            blocker.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            blocker.bind(("127.0.0.1", pair.vllm_port))
            blocker.listen()
            code, out, err = await run(conn, f"docker exec vllm_node bash -c '{serve}'")
        assert code == 1 and EXPECTED["port_in_use"] in err
        assert (await run(conn, "docker ps --format '{{.Names}}'"))[1].split() == ["vllm_node"]
        # Refused while loading, then up.
        proc = await conn.create_process(f"docker exec vllm_node {serve} --max-model-len 16384")
        first = await asyncio.wait_for(proc.stdout.readline(), 30)
        assert "non-default args" in first
        with pytest.raises(OSError):
            await asyncio.open_connection("127.0.0.1", pair.vllm_port)
        line = ""
        while "Application startup complete." not in line:
            line = await asyncio.wait_for(proc.stdout.readline(), 30)
        async with aiohttp.ClientSession() as http, http.get(f"{pair.vllm_url}/v1/models") as resp:
            assert (await resp.json())["data"][0]["max_model_len"] == 16384
        proc.terminate()


async def test_a_stop_signal_is_logged_with_its_sender(sim_pair_factory: PairFactory) -> None:
    """A SIGTERM reaching vLLM becomes a line in signals.log naming its sender (post-mortems)."""
    pair = await sim_pair_factory(PairConfig(initial_model=MODEL))
    code, _, err = await pair.run("head", "kill -TERM $(basename -s .json ~/.sim/vllm/*.json)")
    assert code == 0, err
    log = pair.root / "signals.log"

    async def logged() -> bool:
        return log.is_file() and "got SIGTERM from" in log.read_text()

    await eventually(logged)
    line = log.read_text().splitlines()[0]
    assert " head vllm pid " in line
    assert "(kill -TERM" in line or "(bash" in line, line
