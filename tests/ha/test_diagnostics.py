"""Diagnostics: runtime state, with keys, hosts, users and URLs redacted."""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import props


async def test_diagnostics(
    hass: HomeAssistant,
    init_integration: Any,
    hass_client: ClientSessionGenerator,
    snapshot: SnapshotAssertion,
) -> None:
    """Nothing secret or identifying leaves; the rest matches the snapshot."""
    result = await get_diagnostics_for_config_entry(hass, hass_client, init_integration)
    text = repr(result)
    for secret in ("127.0.0.1", "KEY", "ssh-ed25519", "spark'", "0123456789abcdef"):
        assert secret not in text
    for webhook_id in (
        init_integration.options[key] for key in ("webhook_discovery_id", "webhook_health_id")
    ):
        assert webhook_id not in text  # a webhook id is the only key to its tokenless URL
    assert result == snapshot(exclude=props("created_at", "modified_at"))
