"""Read the add-on and STT URLs from the Home Assistant integration's discovery JSON."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import aiohttp

from relay_lib.errors import DiscoveryError, ServiceUnreachableError

DISCOVERY_PATH = "/api/spark_control/endpoints"
TOKEN_ENV_VARS = ("SPARK_CONTROL_TOKEN", "HA_TOKEN")


@dataclass(frozen=True)
class Endpoints:
    """What the relay needs from discovery; stt_url is None when Parakeet is not ready."""

    addon_url: str
    stt_url: str | None
    stt_model: str | None


def token_from_env(name: str | None = None) -> str:
    """The HA long-lived token from `name` or the first set of TOKEN_ENV_VARS."""
    names = (name,) if name else TOKEN_ENV_VARS
    for var in names:
        value = os.environ.get(var, "").strip()
        if value:
            return value
    raise DiscoveryError(f"no Home Assistant token: set {' or '.join(names)}")


def parse_endpoints(data: Any) -> Endpoints:
    """Pick the diarizer and parakeet entries out of the discovery JSON."""
    if not isinstance(data, dict):
        raise DiscoveryError("discovery JSON is not an object")
    diarizer = data.get("diarizer")
    if not isinstance(diarizer, dict) or not isinstance(diarizer.get("base_url"), str):
        raise DiscoveryError("discovery JSON has no diarizer.base_url")
    if not diarizer.get("ready"):
        raise DiscoveryError(f"the diarizer at {diarizer['base_url']} is not ready")
    stt_url: str | None = None
    stt_model: str | None = None
    parakeet = data.get("parakeet")
    if (
        isinstance(parakeet, dict)
        and parakeet.get("ready")
        and isinstance(parakeet.get("base_url"), str)
    ):
        stt_url = parakeet["base_url"]
        model = parakeet.get("model")
        stt_model = model if isinstance(model, str) else None
    return Endpoints(diarizer["base_url"], stt_url, stt_model)


async def discover(
    session: aiohttp.ClientSession, ha_url: str, token: str, timeout_s: float = 15.0
) -> Endpoints:
    """GET the discovery JSON with the bearer token; errors say which side failed."""
    url = ha_url.rstrip("/") + DISCOVERY_PATH
    try:
        async with session.get(
            url,
            headers={"Authorization": f"Bearer {token}"},
            timeout=aiohttp.ClientTimeout(total=timeout_s),
        ) as resp:
            if resp.status in (401, 403):
                raise DiscoveryError(f"Home Assistant refused the token (HTTP {resp.status})")
            if resp.status != 200:
                raise DiscoveryError(f"{url} answered HTTP {resp.status}")
            try:
                data = await resp.json(content_type=None)
            except ValueError as err:
                raise DiscoveryError(f"{url} did not return JSON: {err}") from err
    except aiohttp.ClientError as err:
        raise ServiceUnreachableError(f"cannot reach Home Assistant at {ha_url}: {err}") from err
    except TimeoutError as err:
        raise ServiceUnreachableError(f"Home Assistant at {ha_url} did not answer") from err
    return parse_endpoints(data)
