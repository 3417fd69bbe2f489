"""The spark-vllm-docker update entity: versions, release notes, install with progress."""

from __future__ import annotations

import asyncio
from typing import Any
from unittest.mock import MagicMock

import pytest
from homeassistant.components.update import ATTR_IN_PROGRESS
from homeassistant.const import STATE_OFF, STATE_ON
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.spark_control.api import UpdateError, UpdateInfo
from custom_components.spark_control.const import DOMAIN
from custom_components.spark_control.coordinator import ACTIVITY_MIN_INTERVAL

ENTITY = "update.spark_head_spark_vllm_docker"


async def test_release_notes(
    hass: HomeAssistant, init_integration: Any, hass_ws_client: WebSocketGenerator
) -> None:
    """'N commits behind' as summary, the changelog as release notes."""
    state = hass.states.get(ENTITY)
    assert state.state == STATE_ON
    assert state.attributes["installed_version"] == "74c02c3"
    assert state.attributes["latest_version"] == "358bf26"
    assert state.attributes["release_summary"] == "3 commits behind upstream"
    client = await hass_ws_client(hass)
    await client.send_json({"id": 1, "type": "update/release_notes", "entity_id": ENTITY})
    result = await client.receive_json()
    assert result["result"] == "- 358bf26 Add recipes\n- b3caac6 Pull image\n- 09a847f Fix -d"


async def test_install_then_suggest_restart(
    hass: HomeAssistant, init_integration: Any, mock_cluster: MagicMock
) -> None:
    """Install streams log lines, shows progress, ends up to date and raises a restart repair."""
    release = asyncio.Event()
    seen: list[Any] = []

    async def apply(on_log: Any) -> UpdateInfo:
        on_log("Already on 'main'")
        on_log("Done preparing vllm-node.")
        seen.append(hass.states.get(ENTITY).attributes[ATTR_IN_PROGRESS])
        await release.wait()
        return UpdateInfo("358bf26", "358bf26", 0, [])

    mock_cluster.apply_update.side_effect = apply
    task = hass.async_create_task(
        hass.services.async_call("update", "install", {"entity_id": ENTITY}, blocking=True)
    )
    await asyncio.sleep(0.05)
    assert hass.states.get(ENTITY).attributes[ATTR_IN_PROGRESS] is True
    # Log lines are coalesced: the newest one shows within one publish interval.
    await asyncio.sleep(ACTIVITY_MIN_INTERVAL + 0.2)
    assert hass.states.get(ENTITY).attributes["last_log_line"] == "Done preparing vllm-node."
    assert hass.states.get(ENTITY).attributes["log_lines"] == 2
    assert init_integration.runtime_data.status.update_interval.total_seconds() == 2
    release.set()
    await task
    assert seen == [True]
    state = hass.states.get(ENTITY)
    assert state.state == STATE_OFF
    assert state.attributes[ATTR_IN_PROGRESS] is False
    assert state.attributes["release_summary"] is None
    assert init_integration.runtime_data.status.update_interval.total_seconds() == 15
    issue_id = f"restart_model_{init_integration.entry_id}"
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None


async def test_install_failure_is_translated(
    hass: HomeAssistant, init_integration: Any, mock_cluster: MagicMock
) -> None:
    """A dirty tree names its cause."""
    mock_cluster.apply_update.side_effect = UpdateError(
        "dirty_tree", "Your local changes would be overwritten by merge"
    )
    with pytest.raises(HomeAssistantError, match="local changes would be overwritten") as err:
        await hass.services.async_call("update", "install", {"entity_id": ENTITY}, blocking=True)
    assert err.value.translation_key == "install_failed"
    assert hass.states.get(ENTITY).attributes[ATTR_IN_PROGRESS] is False


async def test_up_to_date_has_no_notes(
    hass: HomeAssistant,
    init_integration: Any,
    mock_cluster: MagicMock,
    hass_ws_client: WebSocketGenerator,
) -> None:
    """Up to date: latest equals installed, no summary, no notes."""
    mock_cluster.check_update.return_value = UpdateInfo("358bf26", "358bf26", 0, [])
    await init_integration.runtime_data.updates.async_refresh()
    await hass.async_block_till_done()
    state = hass.states.get(ENTITY)
    assert state.state == STATE_OFF
    assert state.attributes["latest_version"] == "358bf26"
    client = await hass_ws_client(hass)
    await client.send_json({"id": 1, "type": "update/release_notes", "entity_id": ENTITY})
    assert (await client.receive_json())["result"] is None


async def test_check_for_updates_button_reports_failures(
    hass: HomeAssistant, init_integration: Any, mock_cluster: MagicMock
) -> None:
    """Pressing the button with no reachable checkout raises a translated error, not silence."""
    mock_cluster.check_update.side_effect = UpdateError("git_failed", "fatal: unable to access")
    with pytest.raises(HomeAssistantError, match="unable to access") as err:
        await hass.services.async_call(
            "button", "press", {"entity_id": "button.spark_head_check_for_updates"}, blocking=True
        )
    assert err.value.translation_key == "command_failed"
    assert hass.states.get(ENTITY).attributes["latest_version"] == "358bf26"  # unchanged
    mock_cluster.check_update.side_effect = None
    mock_cluster.check_update.return_value = UpdateInfo("358bf26", "358bf26", 0, [])
    await hass.services.async_call(
        "button", "press", {"entity_id": "button.spark_head_check_for_updates"}, blocking=True
    )
    assert hass.states.get(ENTITY).state == STATE_OFF


async def test_switch_failure_is_translated_and_polls(
    hass: HomeAssistant, init_integration: Any, mock_cluster: MagicMock
) -> None:
    """A docker command that fails: a translated error with its cause, and a fresh poll."""
    from custom_components.spark_control.api import CommandError

    mock_cluster.service_action.side_effect = CommandError("docker start magpie", 1, ["no such"])
    polls = mock_cluster.status.call_count
    with pytest.raises(HomeAssistantError, match="no such") as err:
        await hass.services.async_call(
            "switch", "turn_on", {"entity_id": "switch.magpie_container"}, blocking=True
        )
    assert err.value.translation_key == "command_failed"
    assert mock_cluster.status.call_count == polls + 1
