"""Concurrent cluster snapshot: each part has its own timeout and fails alone."""

from __future__ import annotations

import asyncio
import time

from . import commands, http, parsers
from .connection import HostConnection
from .context import Context
from .exceptions import SparkError
from .models import (
    CheckoutInfo,
    ClusterStatus,
    NodeStatus,
    ServiceConfig,
    ServiceStatus,
    VllmStatus,
)


class StatusCollector:
    """Builds ClusterStatus snapshots; remembers the token counter for tokens/s."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx
        self._last_tokens: tuple[float, float] | None = None

    async def collect(self) -> ClusterStatus:
        """Gather nodes, vLLM, services and checkout at once."""
        ctx = self._ctx
        node_names = list(ctx.nodes)
        services = [s for s in (ctx.config.parakeet, ctx.config.magpie) if s is not None]
        results = await asyncio.gather(
            self._vllm(),
            self._checkout(),
            *(self._node(name, ctx.nodes[name]) for name in node_names),
            *(self._service(service) for service in services),
        )
        vllm, checkout = results[0], results[1]
        nodes = results[2 : 2 + len(node_names)]
        service_states = results[2 + len(node_names) :]
        if not isinstance(vllm, VllmStatus):  # pragma: no cover - gather keeps order
            raise TypeError(vllm)
        return ClusterStatus(
            nodes={n.name: n for n in nodes if isinstance(n, NodeStatus)},
            vllm=vllm,
            services={
                s.key: st
                for s, st in zip(services, service_states, strict=True)
                if isinstance(st, ServiceStatus)
            },
            checkout=checkout if isinstance(checkout, CheckoutInfo) else None,
        )

    async def _run(self, conn: HostConnection, command: str, name: str) -> str | None:
        try:
            result = await conn.run(
                command, name=name, timeout=self._ctx.status_timeout, check=False
            )
        except SparkError:
            return None
        return result.stdout if result.exit_status == 0 else None

    async def _node(self, name: str, conn: HostConnection) -> NodeStatus:
        try:
            async with asyncio.timeout(self._ctx.status_timeout):
                await conn.connection()
        except (SparkError, TimeoutError):
            return NodeStatus(name=name, reachable=False)
        gpu_out, apps_out, mem_out = await asyncio.gather(
            self._run(conn, commands.join(commands.GPU_QUERY), "nvidia-smi"),
            self._run(conn, commands.join(commands.APPS_QUERY), "nvidia-smi apps"),
            self._run(conn, commands.meminfo(), "meminfo"),
        )
        return NodeStatus(
            name=name,
            reachable=conn.connected,
            gpu=parsers.parse_gpu(gpu_out, apps_out) if gpu_out is not None else None,
            memory=parsers.parse_meminfo(mem_out) if mem_out is not None else None,
        )

    async def _checkout(self) -> CheckoutInfo | None:
        try:
            return await self._ctx.checkout()
        except SparkError:
            return None

    async def _vllm(self) -> VllmStatus:
        ctx = self._ctx
        host, port, timeout = ctx.config.head.host, ctx.config.vllm_port, ctx.status_timeout
        models, metrics, health = await asyncio.gather(
            http.get(ctx.session, host, port, "/v1/models", timeout),
            http.get(ctx.session, host, port, "/metrics", timeout),
            http.get(ctx.session, host, port, "/health", timeout),
        )
        ready: bool | None
        if health.outcome is http.Outcome.OK and health.status != 200:
            ready = False
        elif models.ok:
            ready = True
        elif models.outcome is http.Outcome.REFUSED or (
            models.outcome is http.Outcome.OK and models.status != 200
        ):
            ready = False
        else:
            ready = None
        model, max_len = http.served_model(models)
        status = VllmStatus(ready=ready, model=model, max_model_len=max_len)
        if not metrics.ok:
            if ready is False:
                self._last_tokens = None
            return status
        parsed = parsers.vllm_metrics(metrics.body)
        return VllmStatus(
            ready=ready,
            model=model,
            max_model_len=max_len,
            tokens_per_second=self._rate(parsed.generation_tokens),
            requests_running=parsed.running,
            requests_waiting=parsed.waiting,
            kv_cache_usage=parsed.kv_cache_usage,
        )

    def _rate(self, counter: float | None) -> float | None:
        now = time.monotonic()
        previous, self._last_tokens = (
            self._last_tokens,
            ((now, counter) if counter is not None else None),
        )
        if counter is None or previous is None:
            return None
        elapsed = now - previous[0]
        delta = counter - previous[1]
        if elapsed <= 0 or delta < 0:
            return None
        return delta / elapsed

    async def _service(self, service: ServiceConfig) -> ServiceStatus:
        return await service_status(self._ctx, service)


async def service_status(ctx: Context, service: ServiceConfig) -> ServiceStatus:
    """Container state (over SSH, if a node is set) and HTTP readiness of a speech service."""
    probe, state = await asyncio.gather(
        http.get(ctx.session, service.host, service.port, service.health_path, ctx.status_timeout),
        _container_state(ctx, service),
    )
    model, _ = http.served_model(probe)
    return ServiceStatus(container_state=state, ready=http.service_ready(probe), model=model)


async def _container_state(ctx: Context, service: ServiceConfig) -> str | None:
    if service.ssh_node is None or service.ssh_node not in ctx.nodes:
        return None
    try:
        result = await ctx.nodes[service.ssh_node].run(
            commands.container_state(service.container),
            name=f"{service.key} state",
            timeout=ctx.status_timeout,
            check=False,
        )
    except SparkError:
        return None
    lines = result.stdout.strip().splitlines()
    return lines[-1].strip() if lines else None
