"""Concurrent cluster snapshot: each part has its own timeout and fails alone."""

from __future__ import annotations

import asyncio
import time

from . import commands, http, parsers
from .connection import HostConnection
from .context import Context
from .exceptions import (
    HostKeyChangedError,
    HostKeyUnknownError,
    SparkAuthError,
    SparkError,
)
from .models import (
    CheckoutInfo,
    ClusterStatus,
    NodeName,
    NodeProblem,
    NodeStatus,
    ServiceConfig,
    ServiceStatus,
    VllmStatus,
)

ENGINE_LOG_LINES = 80
ENGINE_DIED = "the vLLM engine stopped answering (/health is not 200)"
VLLM = commands.VLLM_CONTAINER
TIMED_OUT = (124, 137)  # `timeout` ran out, or had to kill the part
PART_SHARE = 0.6  # of the status timeout: a hung part ends before the whole probe is cut off


class StatusCollector:
    """Builds ClusterStatus snapshots; remembers the token counter for tokens/s."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx
        self._last_tokens: tuple[float, float] | None = None

    async def collect(self, *, node_figures: bool = True) -> ClusterStatus:
        """Gather nodes, vLLM, services and checkout at once.

        Without `node_figures` the Sparks are only checked for reachability and their speech
        containers (no nvidia-smi, no meminfo): GPU and memory stay None.
        """
        ctx = self._ctx
        configured = (ctx.config.parakeet, ctx.config.magpie, ctx.config.diarizer)
        services = [s for s in configured if s is not None]
        nodes = ctx.nodes.items()
        vllm, checkout, probes, probe_http = await asyncio.gather(
            self._vllm(),
            self._checkout(),
            asyncio.gather(
                *(self._node(name, conn, services, node_figures) for name, conn in nodes)
            ),
            asyncio.gather(*(_service_probe(ctx, service) for service in services)),
        )
        states: dict[str, str | None] = {}
        for _, node_states in probes:
            states.update(node_states)
        return ClusterStatus(
            nodes={node.name: node for node, _ in probes},
            vllm=vllm,
            services={
                service.key: _service_status(probe, states.get(service.key))
                for service, probe in zip(services, probe_http, strict=True)
            },
            checkout=checkout,
        )

    async def _node(
        self,
        name: NodeName,
        conn: HostConnection,
        services: list[ServiceConfig],
        figures: bool = True,
    ) -> tuple[NodeStatus, dict[str, str | None]]:
        """One probe command per node: GPU, memory and the state of its speech containers."""
        mine = [s for s in services if s.ssh_node == name]
        containers = [s.container for s in mine]
        try:
            async with asyncio.timeout(self._ctx.status_timeout):
                await conn.connection()
        except SparkError as err:
            return NodeStatus(name, False, problem=node_problem(err), detail=str(err)), {}
        except TimeoutError:
            waited = f"no SSH connection within {self._ctx.status_timeout:g} s"
            return NodeStatus(name, False, problem=NodeProblem.UNREACHABLE, detail=waited), {}
        parts: dict[str, commands.ProbePart] = {}
        if figures:
            parts["gpu"] = commands.ProbePart(commands.GPU_QUERY)
            parts["apps"] = commands.ProbePart(commands.APPS_QUERY)
            parts["memory"] = commands.ProbePart(commands.MEMINFO, can_hang=False)
        if mine:
            parts["containers"] = commands.ProbePart(
                commands.container_states(containers), keep_stderr=True
            )
        found, failure = await self._probe(conn, parts) if parts else ({}, None)
        gpu, apps, memory = (_output(found.get(key)) for key in ("gpu", "apps", "memory"))
        inspected = found.get("containers")
        states = (
            parsers.parse_container_states(inspected.output, containers)
            if inspected is not None and inspected.exit_status not in TIMED_OUT
            else {}
        )
        reachable = conn.connected
        problem: NodeProblem | None = None
        detail: str | None = None
        if not reachable:
            # The connection dropped under the probe and could not be made again: say why.
            problem = NodeProblem.UNREACHABLE if failure is None else node_problem(failure)
            detail = "the SSH connection dropped" if failure is None else str(failure)
        node = NodeStatus(
            name=name,
            reachable=reachable,
            gpu=parsers.parse_gpu(gpu, apps) if gpu is not None else None,
            memory=parsers.parse_meminfo(memory) if memory is not None else None,
            problem=problem,
            detail=detail,
        )
        return node, {s.key: states.get(s.container) for s in mine}

    async def _probe(
        self, conn: HostConnection, parts: dict[str, commands.ProbePart]
    ) -> tuple[dict[str, commands.PartResult], SparkError | None]:
        """The parts' results, or none and the error that stopped the probe."""
        timeout = self._ctx.status_timeout
        try:
            result = await conn.run(
                commands.host_probe(parts, part_timeout=timeout * PART_SHARE),
                name="status probe",
                timeout=timeout,
                check=False,
            )
        except SparkError as err:
            return {}, err
        return commands.parse_probe(result.stdout), None

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
        # The API server answers but is unhealthy: the engine died; its log says why.
        engine_dead = health.outcome is http.Outcome.OK and health.status != 200
        failure = await self._engine_failure() if engine_dead else None
        status = VllmStatus(ready=ready, model=model, max_model_len=max_len, failure=failure)
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
            failure=failure,
        )

    async def _engine_failure(self) -> str:
        """The root cause of a dead engine from the vLLM container's last log lines."""
        command = commands.join(["docker", "logs", "--tail", str(ENGINE_LOG_LINES), VLLM])
        try:
            result = await self._ctx.head.run(
                command + " 2>&1",
                name="vLLM log",
                timeout=self._ctx.status_timeout,
                check=False,
            )
        except SparkError:
            return ENGINE_DIED
        return engine_failure(result.stdout)

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


def engine_failure(log: str) -> str:
    """The line that names why the engine died: a recognised cause, else the engine's error."""
    lines = [parsers.strip_log_prefix(line) for line in log.splitlines() if line.strip()]
    for line in reversed(lines):
        if parsers.classify_failure(line) is not None:
            return line[:300]
    for line in reversed(lines):
        if "EngineDeadError" in line or "fatal error" in line:
            return line[:300]
    return ENGINE_DIED


def node_problem(err: SparkError) -> NodeProblem:
    """Classify a failed connection: credentials need the user, the rest is retried."""
    if isinstance(err, SparkAuthError):
        return NodeProblem.AUTH_REJECTED
    if isinstance(err, HostKeyChangedError):
        return NodeProblem.HOST_KEY_CHANGED
    if isinstance(err, HostKeyUnknownError):
        return NodeProblem.HOST_KEY_UNKNOWN
    return NodeProblem.UNREACHABLE


def _output(part: commands.PartResult | None) -> str | None:
    """A part's output if it succeeded; None (unknown) if it failed, timed out or is missing."""
    return part.output if part is not None and part.exit_status == 0 else None


async def _service_probe(ctx: Context, service: ServiceConfig) -> http.Probe:
    return await http.get(
        ctx.session,
        service.host,
        service.port,
        service.health_path,
        ctx.status_timeout,
        bearer_token=service.bearer_token,
    )


def _service_status(probe: http.Probe, container_state: str | None) -> ServiceStatus:
    model, _ = http.served_model(probe)
    return ServiceStatus(
        container_state=container_state, ready=http.service_ready(probe), model=model
    )


async def service_status(ctx: Context, service: ServiceConfig) -> ServiceStatus:
    """Container state (over SSH, if a node is set) and HTTP readiness of one speech service."""
    probe, state = await asyncio.gather(
        _service_probe(ctx, service), _container_state(ctx, service)
    )
    return _service_status(probe, state)


async def _container_state(ctx: Context, service: ServiceConfig) -> str | None:
    if service.ssh_node is None or service.ssh_node not in ctx.nodes:
        return None
    try:
        result = await ctx.nodes[service.ssh_node].run(
            commands.join(commands.container_states([service.container])) + " 2>&1",
            name=f"{service.key} state",
            timeout=ctx.status_timeout,
            check=False,
        )
    except SparkError:
        return None
    return parsers.parse_container_states(result.stdout, [service.container])[service.container]
