"""Parakeet/Magpie/diarizer container control via docker on their own SSH node."""

from __future__ import annotations

from . import commands, parsers
from .context import Context
from .exceptions import InvalidInputError
from .models import (
    CacheOwnershipProblem,
    ServiceAction,
    ServiceConfig,
    ServiceKey,
    ServiceStatus,
)
from .status import service_status


def service_config(ctx: Context, key: ServiceKey) -> ServiceConfig:
    """The configured service, or InvalidInputError."""
    service = {
        "parakeet": ctx.config.parakeet,
        "magpie": ctx.config.magpie,
        "diarizer": ctx.config.diarizer,
    }.get(key)
    if service is None:
        raise InvalidInputError("service", key, "this service is not configured")
    return service


async def action(ctx: Context, key: ServiceKey, verb: ServiceAction) -> ServiceStatus:
    """Run docker start/stop/restart, then read the state back from the host."""
    service = service_config(ctx, key)
    if service.ssh_node is None:
        raise InvalidInputError(
            "ssh_node", None, f"{key} has no SSH node set, so its container cannot be controlled"
        )
    conn = ctx.node(service.ssh_node)
    await conn.run(
        commands.service_action(service.container, verb),
        name=f"docker {verb} {service.container}",
        timeout=max(ctx.command_timeout, 60),
        retry=False,
    )
    return await service_status(ctx, service)


async def diagnose_crash(ctx: Context, key: ServiceKey) -> CacheOwnershipProblem | None:
    """Why a speech container keeps restarting, when it is the known cache-ownership crash.

    Reads `docker inspect` (for the volume behind the path) and the last log lines on the
    service's own Spark; None when the log shows no permission error or no node is set.
    """
    service = service_config(ctx, key)
    if service.ssh_node is None:
        return None
    conn = ctx.node(service.ssh_node)
    result = await conn.run(
        commands.crash_facts(service.container),
        name=f"{key} crash facts",
        timeout=ctx.command_timeout,
        check=False,
    )
    found = parsers.parse_cache_denial(result.stdout, commands.CRASH_SEPARATOR)
    if found is None:
        return None
    denied_path, host_path = found
    return CacheOwnershipProblem(
        service=key,
        node=service.ssh_node,
        host=conn.host.host,
        container=service.container,
        host_path=host_path,
        denied_path=denied_path,
    )
