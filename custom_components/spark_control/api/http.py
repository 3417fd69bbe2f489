"""HTTP probes of vLLM and the speech services over the injected aiohttp session.

Hosts are resolved to IPv4 first; each call has its own timeout; outcomes are typed so a
refused port ("not ready") is told apart from a timeout ("unknown").
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from enum import Enum
from typing import Any

import aiohttp

from .exceptions import SparkConnectionError
from .net import resolve_ipv4


class Outcome(Enum):
    """How an HTTP probe ended."""

    OK = "ok"
    REFUSED = "refused"
    TIMEOUT = "timeout"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class Probe:
    """Result of one GET."""

    outcome: Outcome
    status: int | None = None
    body: str = ""

    @property
    def ok(self) -> bool:
        """HTTP 200."""
        return self.outcome is Outcome.OK and self.status == 200

    def json(self) -> Any:
        """Parsed JSON body, or None if it is not JSON."""
        try:
            return json.loads(self.body)
        except ValueError:
            return None


async def get(
    session: aiohttp.ClientSession,
    host: str,
    port: int,
    path: str,
    timeout: float,  # noqa: ASYNC109 - per-call limit
    *,
    bearer_token: str | None = None,
) -> Probe:
    """GET http://<ipv4 of host>:port/path; never raises for network trouble."""
    headers = {"Authorization": f"Bearer {bearer_token}"} if bearer_token else None
    try:
        async with asyncio.timeout(timeout):
            ip = await resolve_ipv4(host, port)
            async with session.get(
                f"http://{ip}:{port}{path}", allow_redirects=False, headers=headers
            ) as resp:
                body = await resp.text(errors="replace")
                return Probe(Outcome.OK, resp.status, body)
    except TimeoutError:
        return Probe(Outcome.TIMEOUT)
    except aiohttp.ClientConnectorError as err:
        if isinstance(err.os_error, ConnectionRefusedError):
            return Probe(Outcome.REFUSED)
        return Probe(Outcome.ERROR, body=str(err))
    except (aiohttp.ClientError, SparkConnectionError, OSError) as err:
        return Probe(Outcome.ERROR, body=str(err))


def served_model(probe: Probe) -> tuple[str | None, int | None]:
    """(first model id, max_model_len) from a `/v1/models` answer."""
    data = probe.json() if probe.ok else None
    if not isinstance(data, dict):
        return None, None
    models = data.get("data")
    if not isinstance(models, list) or not models or not isinstance(models[0], dict):
        return None, None
    first = models[0]
    model_id = first.get("id")
    max_len = first.get("max_model_len")
    return (
        model_id if isinstance(model_id, str) else None,
        max_len if isinstance(max_len, int) and not isinstance(max_len, bool) else None,
    )


def service_ready(probe: Probe) -> bool | None:
    """Readiness from a health answer: 200 and not reporting `loading`; refused → False."""
    if probe.outcome is Outcome.REFUSED:
        return False
    if probe.outcome is not Outcome.OK:
        return None
    if probe.status != 200:
        return False
    data = probe.json()
    if isinstance(data, dict):
        for flag in ("ready", "loaded", "model_loaded"):
            if data.get(flag) is False:
                return False
        if data.get("status") in ("loading", "starting"):
            return False
    return True
