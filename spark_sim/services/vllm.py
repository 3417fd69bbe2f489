"""Fake `vllm serve`: vLLM's real start-up log over a configurable load time, then an OpenAI server.

Like real vLLM the port refuses connections until the engine is ready; load failures print vLLM's
real error lines and exit 1 (the container stays up); engine death turns /health into 503.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import re
import signal
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from spark_sim.services import chat_rules
from spark_sim.services.common import fault_middleware, serve, stop_on_signals
from spark_sim.tools import simenv

VERSION = "0.11.1"
BOOL_FLAGS = {
    "--headless",
    "--enable-prefix-caching",
    "--no-enable-prefix-caching",
    "--trust-remote-code",
    "--enforce-eager",
    "--enable-auto-tool-choice",
    "--enable-chunked-prefill",
    "--async-scheduling",
    "--disable-log-requests",
    "--enable-expert-parallel",
    "--disable-log-stats",
}
# The tool-call parsers vLLM registers (0.12 list, plus gemma4 from the Spark recipes).
TOOL_PARSERS = (
    "deepseek_v3",
    "deepseek_v31",
    "ernie45",
    "gemma4",
    "glm45",
    "granite",
    "granite-20b-fc",
    "hermes",
    "hunyuan_a13b",
    "internlm",
    "jamba",
    "kimi_k2",
    "llama3_json",
    "llama4_json",
    "llama4_pythonic",
    "longcat",
    "minimax",
    "minimax_m2",
    "mistral",
    "olmo3",
    "openai",
    "phi4_mini_json",
    "pythonic",
    "qwen3_coder",
    "qwen3_xml",
    "seed_oss",
    "step3",
    "xlam",
)
AUTO_TOOLS_ERROR = (
    '"auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set'
)
ROUTES = [
    ("/openapi.json", "HEAD, GET"),
    ("/docs", "HEAD, GET"),
    ("/health", "GET"),
    ("/load", "GET"),
    ("/ping", "POST"),
    ("/ping", "GET"),
    ("/tokenize", "POST"),
    ("/detokenize", "POST"),
    ("/v1/models", "GET"),
    ("/version", "GET"),
    ("/v1/responses", "POST"),
    ("/v1/chat/completions", "POST"),
    ("/v1/completions", "POST"),
    ("/v1/embeddings", "POST"),
    ("/metrics", "GET"),
]
WORDS = [
    "the",
    "quick",
    "brown",
    "fox",
    "jumps",
    "over",
    "the",
    "lazy",
    "dog",
    "while",
    "two",
    "sparks",
    "share",
    "one",
    "model",
]


@dataclass
class Args:
    """The `vllm serve` arguments the fake cares about."""

    model: str
    port: int = 8000
    host: str = "0.0.0.0"
    served_name: str | None = None
    max_model_len: int | None = None
    tp: int = 1
    headless: bool = False
    node_rank: int = 0
    nnodes: int = 1
    api_key: str | None = None
    gpu_mem: float = 0.9
    auto_tool_choice: bool = False
    tool_call_parser: str | None = None
    reasoning_parser: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)


def parse(argv: list[str]) -> Args:
    """Tolerant parser: every `--flag value` pair is kept, known ones are typed."""
    if not argv or argv[0] != "serve":
        raise SystemExit("usage: vllm serve <model_tag> [options]")
    rest = argv[1:]
    model = rest.pop(0) if rest and not rest[0].startswith("-") else "Qwen/Qwen3-0.6B"
    raw: dict[str, Any] = {}
    i = 0
    while i < len(rest):
        flag, sep, inline = rest[i].partition("=")
        if sep:
            raw[flag] = inline
            i += 1
        elif flag in BOOL_FLAGS or i + 1 >= len(rest) or rest[i + 1].startswith("--"):
            raw[flag] = True
            i += 1
        else:
            raw[flag] = rest[i + 1]
            i += 2
    if "--model" in raw:
        model = str(raw["--model"])

    def get(*names: str) -> Any:
        return next((raw[n] for n in names if n in raw), None)

    return Args(
        model=model,
        port=int(get("--port") or 8000),
        host=str(get("--host") or "0.0.0.0"),
        served_name=get("--served-model-name"),
        max_model_len=int(get("--max-model-len")) if get("--max-model-len") else None,
        tp=int(get("-tp", "--tensor-parallel-size") or 1),
        headless=bool(get("--headless")),
        node_rank=int(get("--node-rank") or 0),
        nnodes=int(get("--nnodes") or 1),
        api_key=get("--api-key"),
        gpu_mem=float(get("--gpu-memory-utilization") or 0.9),
        auto_tool_choice=bool(get("--enable-auto-tool-choice")),
        tool_call_parser=get("--tool-call-parser"),
        reasoning_parser=get("--reasoning-parser"),
        raw=raw,
    )


class Log:
    """vLLM's log format: `(APIServer pid=N) INFO MM-DD hh:mm:ss [file.py:line] message`."""

    def __init__(self) -> None:
        self.api = os.getpid()
        self.core = self.api + 137

    def line(self, text: str, *, who: str = "api", level: str = "INFO", where: str = "") -> None:
        prefix = (
            f"(APIServer pid={self.api})" if who == "api" else f"(EngineCore_DP0 pid={self.core})"
        )
        stamp = time.strftime("%m-%d %H:%M:%S")
        simenv.say(f"{prefix} {level} {stamp} [{where}] {text}")

    def raw(self, text: str, *, who: str = "api", err: bool = False) -> None:
        prefix = (
            f"(APIServer pid={self.api})" if who == "api" else f"(EngineCore_DP0 pid={self.core})"
        )
        simenv.say(f"{prefix} {text}", err=err)

    def bar(self, text: str) -> None:
        """tqdm output goes to stderr."""
        simenv.say(f"(EngineCore_DP0 pid={self.core}) {text}", err=True)


class Engine:
    """Counters and state behind the HTTP API."""

    def __init__(self, args: Args, config: dict[str, Any]) -> None:
        self.args = args
        self.name = args.served_name or args.model
        self.max_len = args.max_model_len or int(config.get("default_max_model_len", 40960))
        self.rate = float(config.get("tokens_per_second", 150.0))
        self.first_token = float(config.get("first_token_seconds", 0.05))
        self.kv_metric = str(config.get("kv_metric", "vllm:kv_cache_usage_perc"))
        self.dead = False
        self.created = int(time.time())
        self.prompt_tokens = 0
        self.generation_tokens = 0
        self.requests_ok = 0
        self.running = 0
        self.last_prompt = 0
        self.last_gen = 0

    def kv_usage(self) -> float:
        return min(1.0, 0.004 * self.running + (0.0015 if self.generation_tokens else 0.0))

    def metrics(self) -> str:
        labels = f'engine="0",model_name="{self.name}"'
        gauges = {
            "vllm:num_requests_running": float(self.running),
            "vllm:num_requests_waiting": 0.0,
            self.kv_metric: self.kv_usage(),
        }
        counters = {
            "vllm:prompt_tokens_total": self.prompt_tokens,
            "vllm:generation_tokens_total": self.generation_tokens,
            "vllm:num_preemptions_total": 0,
            "vllm:prefix_cache_queries_total": self.prompt_tokens,
            "vllm:prefix_cache_hits_total": self.prompt_tokens // 3,
        }
        out = []
        for name, value in gauges.items():
            help_text = (
                "DEPRECATED: Use vllm:kv_cache_usage_perc instead."
                if name == "vllm:gpu_cache_usage_perc"
                else f"{name.split(':')[1].replace('_', ' ')}."
            )
            out += [
                f"# HELP {name} {help_text}",
                f"# TYPE {name} gauge",
                f"{name}{{{labels}}} {value}",
            ]
        for name, count in counters.items():
            base = name.removesuffix("_total")
            out += [
                f"# HELP {base} Number of {base.split(':')[1]}.",
                f"# TYPE {base} counter",
                f"{name}{{{labels}}} {float(count)}",
            ]
        out += [
            "# HELP vllm:request_success_total Count of successfully processed requests.",
            "# TYPE vllm:request_success_total counter",
            f'vllm:request_success_total{{{labels},finished_reason="length"}} {float(self.requests_ok)}',  # noqa: E501
        ]
        return "\n".join(out) + "\n"


def load_failure_lines(kind: str, args: Args, log: Log) -> None:
    """vLLM's real failure output (contract §3), then the engine-core wrapper line."""
    tb = [
        "Traceback (most recent call last):",
        '  File "/usr/local/lib/python3.12/dist-packages/vllm/v1/engine/core.py", line 699, in run_engine_core',  # noqa: E501
        "    engine_core = EngineCoreProc(*args, **kwargs)",
    ]
    gib = 119.63
    causes = {
        "free_memory": f"ValueError: Free memory on device (52.31/{gib} GiB) on startup is less than "  # noqa: E501
        f"desired GPU memory utilization ({args.gpu_mem}, {args.gpu_mem * gib:.2f} GiB). Decrease GPU "  # noqa: E501
        "memory utilization or reduce GPU memory used by other processes.",
        "no_cache_blocks": "ValueError: No available memory for the cache blocks. Try increasing "
        "`gpu_memory_utilization` when initializing the engine.",
        "kv_cache": "ValueError: To serve at least one request with the models's max seq len "
        f"({args.max_model_len or 262144}), (24.0 GiB KV cache is needed, which is larger than the "
        "available KV cache memory (11.25 GiB). Based on the available memory, the estimated maximum "  # noqa: E501
        "model length is 122880. Try increasing `gpu_memory_utilization` or decreasing "
        "`max_model_len` when initializing the engine.",
        "cuda_oom": "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB. GPU 0 has "  # noqa: E501
        "a total capacity of 119.63 GiB of which 1.21 GiB is free. Including non-PyTorch memory, this "  # noqa: E501
        "process has 112.40 GiB memory in use.",
        "cuda_error": "RuntimeError: CUDA error: an illegal memory access was encountered\nCUDA kernel "  # noqa: E501
        "errors might be asynchronously reported at some other API call, so the stacktrace below "
        "might be incorrect.",
        "engine_core": "RuntimeError: Worker failed with error 'NCCL error: unhandled system error "
        "(run with NCCL_DEBUG=INFO for details)', please check the stack trace above for the root cause",  # noqa: E501
    }
    log.line("EngineCore failed to start.", who="core", level="ERROR", where="core.py:708")
    for text in tb + causes[kind].split("\n"):
        log.line(text, who="core", level="ERROR", where="core.py:708")
    log.raw("Process EngineCore_DP0:", who="core", err=True)
    for text in tb:
        log.raw(text, who="core", err=True)
    for text in causes[kind].split("\n"):
        log.raw(text, who="core", err=True)
    for text in [
        "Traceback (most recent call last):",
        '  File "/usr/local/bin/vllm", line 10, in <module>',
        "    sys.exit(main())",
        '  File "/usr/local/lib/python3.12/dist-packages/vllm/v1/engine/utils.py", line 933, '
        "in wait_for_engine_startup",
        "    raise RuntimeError(",
        "RuntimeError: Engine core initialization failed. See root cause above. "
        "Failed core proc(s): {}",
    ]:
        log.raw(text, err=True)


def tool_flags_ok(args: Args, log: Log) -> bool:
    """vLLM refuses to start with auto tool choice but no (or an unregistered) parser."""
    if not args.auto_tool_choice:
        return True
    parser = args.tool_call_parser
    if parser in TOOL_PARSERS:
        log.line(
            '"auto" tool choice has been enabled please note that while the parallel_tool_calls '
            "client option is preset for compatibility reasons, it will be ignored.",
            where="serving_chat.py:93",
        )
        return True
    cause = (
        "TypeError: Error: --enable-auto-tool-choice requires --tool-call-parser"
        if not parser
        else f"TypeError: Error: --enable-auto-tool-choice requires tool_parser:'{parser}' "
        "which has not been registered"
    )
    for text in [
        "Traceback (most recent call last):",
        '  File "/usr/local/bin/vllm", line 10, in <module>',
        "    sys.exit(main())",
        cause,
    ]:
        log.raw(text, err=True)
    return False


def port_in_use_lines(log: Log) -> None:
    for text in [
        "Traceback (most recent call last):",
        '  File "/usr/local/lib/python3.12/dist-packages/vllm/entrypoints/openai/api_server.py", '
        "line 1848, in create_server_socket",
        "    sock.bind(addr)",
        "OSError: [Errno 98] Address already in use",
    ]:
        log.raw(text, err=True)


class Server:
    """One fake vLLM process."""

    def __init__(self, args: Args) -> None:
        self.args = args
        self.config = simenv.config()
        self.log = Log()
        self.engine = Engine(args, self.config)
        self.stop = asyncio.Event()
        self.pidfile = simenv.state_dir() / "vllm" / f"{os.getpid()}.json"

    def mark(self, phase: str) -> None:
        """Publish our phase for nvidia-smi / meminfo shims."""
        self.pidfile.parent.mkdir(parents=True, exist_ok=True)
        info = {
            "pid": os.getpid(),
            "model": self.args.model,
            "port": self.args.port,
            "phase": phase,
            "headless": self.args.headless,
        }
        self.pidfile.write_text(json.dumps(info))

    async def step(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stop.wait(), seconds)
        if self.stop.is_set():
            raise SystemExit(143)

    async def run(self) -> int:
        stop_on_signals(self.stop.set, "vllm")
        self.mark("loading")
        try:
            return await self.lifecycle()
        finally:
            self.pidfile.unlink(missing_ok=True)

    async def lifecycle(self) -> int:  # noqa: PLR0911
        args, log = self.args, self.log
        load = float(
            os.environ.get("SPARK_SIM_VLLM_LOAD_SECONDS", self.config["vllm_load_seconds"])
        )
        instant = simenv.state_dir() / "vllm" / "instant-load"
        if instant.exists():  # SimPair's initial_model: already loaded at start
            instant.unlink(missing_ok=True)
            load = 0.05
        failure = simenv.fault("vllm_load_failure")
        if simenv.fault("port_in_use") is not None:
            failure = "port_in_use"
        if not args.headless:
            nondefault = {
                "model_tag": args.model,
                "host": args.host,
                "port": args.port,
                "model": args.model,
            }
            if args.max_model_len:
                nondefault["max_model_len"] = args.max_model_len
            if args.tp > 1:
                nondefault["tensor_parallel_size"] = args.tp
            log.line(f"non-default args: {nondefault}", where="utils.py:233")
            log.line(f"vLLM API server version {VERSION}", where="api_server.py:1839")
            if failure == "port_in_use":
                port_in_use_lines(log)
                return 1
            if not tool_flags_ok(args, log):
                return 1
        else:
            log.line(
                f"Launching vLLM engine in headless mode (node rank {args.node_rank} of "
                f"{args.nnodes})",
                where="api_server.py:1781",
            )
        log.line("Resolved architecture: Qwen3MoeForCausalLM", where="model.py:547")
        log.line(f"Using max model len {self.engine.max_len}", where="model.py:1510")
        log.line(
            f"Initializing a V1 LLM engine (v{VERSION}) with config: model='{args.model}', "
            f"tokenizer='{args.model}', max_seq_len={self.engine.max_len}, "
            f"tensor_parallel_size={args.tp}, quantization=compressed-tensors",
            who="core",
            where="core.py:93",
        )
        await self.step(load * 0.08)
        if failure == "free_memory":
            load_failure_lines(failure, args, log)
            return 1
        log.line(
            f"rank {args.node_rank} in world size {max(args.tp, args.nnodes)} is assigned as "
            f"DP rank 0, PP rank 0, TP rank {args.node_rank}, EP rank {args.node_rank}",
            who="core",
            where="parallel_state.py:1208",
        )
        log.line(
            f"Starting to load model {args.model}...", who="core", where="gpu_model_runner.py:2602"
        )
        shards = 4
        started = time.monotonic()
        for done in range(shards + 1):
            pct = done * 100 // shards
            took = time.monotonic() - started
            rate = f"{took / done:.2f}s/it" if done else "?it/s"
            log.bar(
                f"Loading safetensors checkpoint shards: {pct:3d}% Completed | {done}/{shards} "
                f"[00:{int(took):02d}<00:00, {rate}]"
            )
            if done < shards:
                await self.step(load * 0.12)
            if failure == "cuda_oom" and done == 2:
                load_failure_lines(failure, args, log)
                return 1
        log.line(
            f"Loading weights took {load * 0.48:.2f} seconds",
            who="core",
            where="default_loader.py:267",
        )
        log.line(
            f"Model loading took 21.3 GiB and {load * 0.5:.2f} seconds",
            who="core",
            where="gpu_model_runner.py:2653",
        )
        if failure in ("kv_cache", "no_cache_blocks", "cuda_error", "engine_core"):
            await self.step(load * 0.05)
            load_failure_lines(failure, args, log)
            return 1
        log.line("Available KV cache memory: 62.30 GiB", who="core", where="gpu_worker.py:298")
        log.line("GPU KV cache size: 1,361,024 tokens", who="core", where="kv_cache_utils.py:1087")
        log.line(
            f"Maximum concurrency for {self.engine.max_len:,} tokens per request: 41.54x",
            who="core",
            where="kv_cache_utils.py:1091",
        )
        await self.step(load * 0.2)
        log.bar(
            "Capturing CUDA graphs (mixed prefill-decode, PIECEWISE): 100%|██████████| 67/67 "
            "[00:05<00:00, 12.57it/s]"
        )
        log.line(
            f"init engine (profile, create kv cache, warmup model) took {load * 0.9:.2f} seconds",
            who="core",
            where="core.py:210",
        )
        if args.headless:
            self.mark("ready")
            log.line(
                "Engine core running in headless mode; waiting for the head node.",
                who="core",
                where="core.py:812",
            )
            await self.stop.wait()
            return 0
        await self.step(load * 0.1)
        return await self.serve_http()

    async def serve_http(self) -> int:
        args, log = self.args, self.log
        log.line("Supported_tasks: ['generate']", where="api_server.py:1634")
        log.line(
            f"Starting vLLM API server 0 on http://{args.host}:{args.port}",
            where="api_server.py:1912",
        )
        log.line("Available routes are:", where="launcher.py:34")
        for path, methods in ROUTES:
            log.line(f"Route: {path}, Methods: {methods}", where="launcher.py:42")
        try:
            runner = await serve(self.app(), args.port)
        except OSError:
            port_in_use_lines(log)
            return 1
        try:
            log.raw(f"INFO:     Started server process [{os.getpid()}]")
            log.raw("INFO:     Waiting for application startup.")
            log.raw("INFO:     Application startup complete.")
            self.mark("ready")
            ticker = asyncio.create_task(self.ticker())
            watcher = asyncio.create_task(self.watch_faults())
            await self.stop.wait()
            ticker.cancel()
            watcher.cancel()
            log.raw("INFO:     Shutting down")
        finally:
            await runner.cleanup()
        return 0

    async def ticker(self) -> None:
        interval = float(self.config.get("vllm_log_interval", 10.0))
        engine = self.engine
        while True:
            await asyncio.sleep(interval)
            prompt = (engine.prompt_tokens - engine.last_prompt) / interval
            gen = (engine.generation_tokens - engine.last_gen) / interval
            engine.last_prompt, engine.last_gen = engine.prompt_tokens, engine.generation_tokens
            if not engine.dead:
                self.log.line(
                    f"Engine 000: Avg prompt throughput: {prompt:.1f} tokens/s, Avg generation "
                    f"throughput: {gen:.1f} tokens/s, Running: {engine.running} reqs, Waiting: 0 "
                    f"reqs, GPU KV cache usage: {engine.kv_usage() * 100:.1f}%, Prefix cache hit "
                    "rate: 33.3%",
                    where="loggers.py:127",
                )

    async def watch_faults(self) -> None:
        while not self.engine.dead:
            if simenv.fault("engine_death") is not None:
                self.die()
            await asyncio.sleep(0.2)

    def die(self) -> None:
        """Engine death after ready: the API server stays up and /health answers 503."""
        self.engine.dead = True
        log = self.log
        log.line(
            "EngineCore encountered a fatal error.", who="core", level="ERROR", where="core.py:710"
        )
        log.line(
            "RuntimeError: CUDA error: unspecified launch failure",
            who="core",
            level="ERROR",
            where="core.py:710",
        )
        log.line("AsyncLLM output_handler failed.", level="ERROR", where="async_llm.py:480")
        log.line(
            "vllm.v1.engine.exceptions.EngineDeadError: EngineCore encountered an issue. See "
            "stack trace (above) for the root cause.",
            level="ERROR",
            where="async_llm.py:480",
        )
        self.mark("dead")

    # HTTP ----------------------------------------------------------------------------------
    def app(self) -> web.Application:
        app = web.Application(middlewares=[fault_middleware, self.auth])
        app.router.add_get("/health", self.health)
        app.router.add_get("/ping", self.health)
        app.router.add_get("/version", self.version)
        app.router.add_get("/v1/models", self.models)
        app.router.add_get("/metrics", self.metrics)
        app.router.add_post("/v1/chat/completions", self.chat)
        app.router.add_post("/v1/completions", self.chat)
        return app

    @web.middleware
    async def auth(self, request: web.Request, handler: Any) -> web.StreamResponse:
        key = self.args.api_key
        if (
            key
            and request.path.startswith("/v1")
            and request.headers.get("Authorization") != f"Bearer {key}"
        ):
            return web.json_response({"error": "Unauthorized"}, status=401)
        response: web.StreamResponse = await handler(request)
        return response

    async def health(self, _request: web.Request) -> web.Response:
        return web.Response(status=503 if self.engine.dead else 200)

    async def version(self, _request: web.Request) -> web.Response:
        return web.json_response({"version": VERSION})

    async def models(self, _request: web.Request) -> web.Response:
        engine = self.engine
        card = {
            "id": engine.name,
            "object": "model",
            "created": engine.created,
            "owned_by": "vllm",
            "root": self.args.model,
            "parent": None,
            "max_model_len": engine.max_len,
            "permission": [
                {
                    "id": f"modelperm-{os.getpid():x}{engine.created:x}",
                    "object": "model_permission",
                    "created": engine.created,
                    "allow_create_engine": False,
                    "allow_sampling": True,
                    "allow_logprobs": True,
                    "allow_search_indices": False,
                    "allow_view": True,
                    "allow_fine_tuning": False,
                    "organization": "*",
                    "group": None,
                    "is_blocking": False,
                }
            ],
        }
        return web.json_response({"object": "list", "data": [card]})

    async def metrics(self, _request: web.Request) -> web.Response:
        return web.Response(text=self.engine.metrics(), content_type="text/plain", charset="utf-8")

    async def chat(self, request: web.Request) -> web.StreamResponse:  # noqa: PLR0911
        """`/v1/chat/completions` (rule-based answers, tools) and `/v1/completions` (filler)."""
        engine = self.engine
        if engine.dead:
            return api_error("EngineCore encountered an issue.", "InternalServerError", 500)
        try:
            body = await request.json()
        except ValueError:
            return api_error("Invalid JSON body", "BadRequestError", 400)
        if not isinstance(body, dict):
            return api_error("Request body must be a JSON object", "BadRequestError", 400)
        model = body.get("model", engine.name)
        if model not in (engine.name, self.args.model):
            return api_error(f"The model `{model}` does not exist.", "NotFoundError", 404)
        chat = request.path.endswith("chat/completions")
        if chat and (problem := self.check_chat(body)):
            return api_error(problem, "BadRequestError", 400)
        text_in = json.dumps(body.get("messages", body.get("prompt", "")))
        prompt_tokens = max(1, len(text_in.split()))
        max_tokens = int(body.get("max_tokens") or body.get("max_completion_tokens") or 32)
        max_tokens = max(1, min(max_tokens, 2048))
        engine.running += 1
        engine.prompt_tokens += prompt_tokens
        rid = f"chatcmpl-{random.getrandbits(64):016x}"
        try:
            if not chat:
                return await self.complete(
                    request,
                    body,
                    rid=rid,
                    model=model,
                    max_tokens=max_tokens,
                    prompt_tokens=prompt_tokens,
                )
            reply = chat_rules.decide(body)
            turn = Turn.of(reply, max_tokens, self.thinking(body))
            if body.get("stream"):
                return await self.stream_chat(
                    request, body, rid=rid, model=model, turn=turn, prompt_tokens=prompt_tokens
                )
            await asyncio.sleep(self.engine.first_token + turn.tokens / engine.rate)
            engine.generation_tokens += turn.tokens
            engine.requests_ok += 1
            return web.json_response(
                {
                    "id": rid,
                    "object": "chat.completion",
                    "created": int(time.time()),
                    "model": model,
                    "choices": [
                        {
                            "index": 0,
                            "message": turn.message(),
                            "logprobs": None,
                            "finish_reason": turn.finish_reason,
                            "stop_reason": None,
                        }
                    ],
                    "usage": usage(prompt_tokens, turn.tokens),
                }
            )
        finally:
            engine.running -= 1

    def check_chat(self, body: dict[str, Any]) -> str | None:  # noqa: PLR0911
        """vLLM's request validation for tools and streaming; the error text or None."""
        tools = body.get("tools") or []
        choice = body.get("tool_choice")
        if choice is not None and not tools and choice != "none":
            return "When using `tool_choice`, `tools` must be set."
        if body.get("stream_options") is not None and not body.get("stream"):
            return "Stream options can only be defined when `stream=True`."
        if not tools:
            return None
        if choice is None:
            choice = "auto"  # vLLM's check_tool_usage default
        if isinstance(choice, dict):
            wanted = (choice.get("function") or {}).get("name")
            if wanted not in chat_rules.tool_names(tools):
                return f"Tool '{wanted}' has not been passed in `tools`."
        elif choice not in ("none", "auto", "required"):
            return f"Invalid value for `tool_choice`: {choice}"
        if choice == "auto" and not (self.args.auto_tool_choice and self.args.tool_call_parser):
            return AUTO_TOOLS_ERROR
        return None

    def thinking(self, body: dict[str, Any]) -> bool:
        """Reasoning text is produced when a reasoning parser is set and not switched off."""
        kwargs = body.get("chat_template_kwargs") or {}
        enabled = not (isinstance(kwargs, dict) and kwargs.get("enable_thinking") is False)
        return bool(self.args.reasoning_parser) and enabled and body.get("include_reasoning", True)

    async def stream_chat(
        self,
        request: web.Request,
        body: dict[str, Any],
        *,
        rid: str,
        model: str,
        turn: Turn,
        prompt_tokens: int,
    ) -> web.StreamResponse:
        """vLLM's SSE: role chunk, reasoning/content/tool-call deltas, finish, usage, [DONE]."""
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream; charset=utf-8"})
        await response.prepare(request)
        created = int(time.time())

        async def send(delta: dict[str, Any], finish: str | None = None) -> None:
            choice: dict[str, Any] = {"index": 0, "delta": delta, "logprobs": None}
            choice["finish_reason"] = finish
            if finish is not None:
                choice["stop_reason"] = None
            chunk = {
                "id": rid,
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "choices": [choice],
            }
            await response.write(f"data: {json.dumps(chunk)}\n\n".encode())

        step = 1 / self.engine.rate
        await asyncio.sleep(self.engine.first_token)
        await send({"role": "assistant", "content": ""})
        for piece in turn.reasoning:
            await asyncio.sleep(step)
            await send({"reasoning": piece})
        for piece in turn.content:
            await asyncio.sleep(step)
            await send({"content": piece})
        for index, call in enumerate(turn.calls):
            await asyncio.sleep(step)
            await send(
                {
                    "tool_calls": [
                        {
                            "id": call.id,
                            "type": "function",
                            "index": index,
                            "function": {"name": call.name},
                        }
                    ]
                }
            )
            for fragment in call.fragments():
                await asyncio.sleep(step)
                await send({"tool_calls": [{"index": index, "function": {"arguments": fragment}}]})
        await send({}, turn.finish_reason)
        self.engine.generation_tokens += turn.tokens
        options = body.get("stream_options") or {}
        if isinstance(options, dict) and options.get("include_usage"):
            chunk = {
                "id": rid,
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "choices": [],
                "usage": usage(prompt_tokens, turn.tokens),
            }
            await response.write(f"data: {json.dumps(chunk)}\n\n".encode())
        self.engine.requests_ok += 1
        await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
        return response

    async def complete(
        self,
        request: web.Request,
        body: dict[str, Any],
        *,
        rid: str,
        model: str,
        max_tokens: int,
        prompt_tokens: int,
    ) -> web.StreamResponse:
        """`/v1/completions`: `max_tokens` filler words (load, not language)."""
        engine = self.engine
        if body.get("stream"):
            response = web.StreamResponse(
                headers={"Content-Type": "text/event-stream; charset=utf-8"}
            )
            await response.prepare(request)
            await asyncio.sleep(engine.first_token)
            for i in range(max_tokens):
                await asyncio.sleep(1 / engine.rate)
                choice = {
                    "index": 0,
                    "text": WORDS[i % len(WORDS)] + " ",
                    "logprobs": None,
                    "finish_reason": "length" if i == max_tokens - 1 else None,
                }
                chunk = {
                    "id": rid,
                    "object": "text_completion",
                    "created": int(time.time()),
                    "model": model,
                    "choices": [choice],
                }
                await response.write(f"data: {json.dumps(chunk)}\n\n".encode())
                engine.generation_tokens += 1
            engine.requests_ok += 1
            await response.write(b"data: [DONE]\n\n")
            await response.write_eof()
            return response
        await asyncio.sleep(engine.first_token + max_tokens / engine.rate)
        engine.generation_tokens += max_tokens
        engine.requests_ok += 1
        text = " ".join(WORDS[i % len(WORDS)] for i in range(max_tokens))
        return web.json_response(
            {
                "id": rid,
                "object": "text_completion",
                "created": int(time.time()),
                "model": model,
                "choices": [
                    {"index": 0, "text": text, "logprobs": None, "finish_reason": "length"}
                ],
                "usage": usage(prompt_tokens, max_tokens),
            }
        )


def api_error(message: str, kind: str, status: int) -> web.Response:
    """vLLM's error body: `{"error": {message, type, param, code}}`."""
    return web.json_response(
        {"error": {"message": message, "type": kind, "param": None, "code": status}},
        status=status,
    )


def usage(prompt: int, completion: int) -> dict[str, int]:
    return {
        "prompt_tokens": prompt,
        "total_tokens": prompt + completion,
        "completion_tokens": completion,
    }


def tokens(text: str) -> list[str]:
    """Word-sized 'tokens' that concatenate back to the text."""
    return re.findall(r"\S+\s*|\s+", text)


@dataclass
class Call:
    id: str
    name: str
    arguments: str

    def fragments(self) -> list[str]:
        """The argument JSON in at least three pieces, as parsers emit it while decoding."""
        text = self.arguments
        if len(text) < 3:
            return [text] if text else []
        cuts = sorted({len(text) // 3, 2 * len(text) // 3})
        return [text[: cuts[0]], text[cuts[0] : cuts[1]], text[cuts[1] :]]


@dataclass
class Turn:
    """One assistant turn cut into what the stream sends."""

    reasoning: list[str]
    content: list[str]
    calls: list[Call]
    finish_reason: str
    tokens: int

    @classmethod
    def of(cls, reply: chat_rules.Reply, max_tokens: int, thinking: bool) -> Turn:
        reasoning = tokens(reply.reasoning) if thinking else []
        content = tokens(reply.content)
        calls = [
            Call(f"chatcmpl-tool-{random.getrandbits(128):032x}", c.name, json.dumps(c.arguments))
            for c in reply.tool_calls
        ]
        budget = max_tokens - len(reasoning)
        finish = "tool_calls" if calls else "stop"
        if len(content) > budget:
            content, calls, finish = content[: max(0, budget)], [], "length"
        count = len(reasoning) + len(content) + sum(1 + len(c.fragments()) for c in calls)
        return cls(reasoning, content, calls, finish, max(1, count))

    def message(self) -> dict[str, Any]:
        """The non-streamed `choices[0].message`."""
        message: dict[str, Any] = {
            "role": "assistant",
            "content": "".join(self.content) or None,
            "tool_calls": [
                {
                    "id": call.id,
                    "type": "function",
                    "function": {"name": call.name, "arguments": call.arguments},
                }
                for call in self.calls
            ],
        }
        if self.reasoning:
            message["reasoning"] = "".join(self.reasoning)
        return message


def main(argv: list[str]) -> int:
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # a closed output pipe kills us, like a C tool
    if argv[:1] in (["--version"], ["-v"]):
        simenv.say(VERSION)
        return 0
    try:
        args = parse(argv)
    except (ValueError, IndexError) as err:
        simenv.say(f"vllm: error: {err}", err=True)
        return 2
    try:
        return asyncio.run(Server(args).run())
    except SystemExit as done:
        return int(done.code or 0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
