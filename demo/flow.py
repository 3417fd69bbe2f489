"""Add spark_control through the real config-flow REST API, step by step, as a user would."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from demo.haclient import HAClient, HAError

FLOW_PATH = "/api/config/config_entries/flow"


class FlowError(HAError):
    """The config flow went somewhere the demo did not expect."""


def _expect_form(result: dict[str, Any], step_id: str) -> dict[str, Any]:
    if result.get("type") != "form" or result.get("step_id") != step_id:
        raise FlowError(f"expected the {step_id!r} form, got {result}")
    if result.get("errors"):
        raise FlowError(f"{step_id!r} form shows errors: {result['errors']} {result}")
    return result


async def add_cluster(
    client: HAClient,
    address: dict[str, Any],
    services: dict[str, Any],
    authorize: Callable[[str], None],
    fingerprints: dict[str, str],
) -> dict[str, Any]:
    """Walk user → public_key → host_keys → services and return the created entry's result.

    `authorize` installs the shown public key on both Sparks (what the user does by hand);
    `fingerprints` ({"head": ..., "worker": ...}) are checked against the ones the flow shows.
    """
    result = await client.post(FLOW_PATH, {"handler": "spark_control"})
    flow_id = result["flow_id"]
    _expect_form(result, "user")
    result = await client.post(f"{FLOW_PATH}/{flow_id}", {**address, "key_mode": "generate"})
    public_key = _expect_form(result, "public_key")["description_placeholders"]["public_key"]
    authorize(public_key)
    result = await client.post(f"{FLOW_PATH}/{flow_id}", {})
    shown = _expect_form(result, "host_keys")["description_placeholders"]
    for node, fingerprint in fingerprints.items():
        if shown.get(f"{node}_fingerprint") != fingerprint:
            raise FlowError(
                f"{node} fingerprint shown {shown.get(f'{node}_fingerprint')!r}, "
                f"the Spark has {fingerprint!r}"
            )
    result = await client.post(f"{FLOW_PATH}/{flow_id}", {})
    _expect_form(result, "services")
    result = await client.post(f"{FLOW_PATH}/{flow_id}", services)
    if result.get("type") != "create_entry":
        raise FlowError(f"expected the entry to be created, got {result}")
    return dict(result)


OPTIONS_PATH = "/api/config/config_entries/options/flow"


async def create_pipeline(client: HAClient, entry_id: str) -> None:
    """The options flow's one-submit step: the "Spark Control" Assist pipeline, preferred."""
    result = await client.post(OPTIONS_PATH, {"handler": entry_id})
    if result.get("type") != "menu" or "pipeline" not in result.get("menu_options", []):
        raise FlowError(f"expected the options menu, got {result}")
    flow_id = result["flow_id"]
    result = await client.post(f"{OPTIONS_PATH}/{flow_id}", {"next_step_id": "pipeline"})
    _expect_form(result, "pipeline")
    result = await client.post(f"{OPTIONS_PATH}/{flow_id}", {"preferred": True})
    if result.get("type") != "abort" or result.get("reason") != "pipeline_created":
        raise FlowError(f"expected the pipeline to be created, got {result}")
