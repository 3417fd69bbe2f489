"""Setup outcomes, coordinator error mapping, unavailability, repairs and unload (client mocked)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from unittest.mock import MagicMock

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import STATE_OFF, STATE_ON, STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.spark_control.api import (
    CommandError,
    HostKeyChangedError,
    HostKeyUnknownError,
    SparkAuthError,
    SparkConnectionError,
    UpdateInfo,
)
from custom_components.spark_control.const import DOMAIN

from .conftest import cluster_status


@pytest.mark.parametrize(
    ("error", "state"),
    [
        (SparkConnectionError("127.0.0.1", 2201, "refused"), ConfigEntryState.SETUP_RETRY),
        (SparkAuthError("127.0.0.1", "spark"), ConfigEntryState.SETUP_ERROR),
        (
            HostKeyChangedError("127.0.0.1", 2201, "SHA256:a", "SHA256:b"),
            ConfigEntryState.SETUP_ERROR,
        ),
        (
            HostKeyUnknownError("127.0.0.1", 2201, "SHA256:a", "ssh-ed25519 A"),
            ConfigEntryState.SETUP_ERROR,
        ),
    ],
)
async def test_setup_errors(
    hass: HomeAssistant,
    mock_config_entry: Any,
    mock_cluster: MagicMock,
    error: Exception,
    state: ConfigEntryState,
) -> None:
    """Unreachable → retry; rejected key → reauth; changed host key → error + repair."""
    mock_cluster.test_connection.side_effect = error
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is state
    mock_cluster.close.assert_awaited_once()
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == (
        [SOURCE_REAUTH] if isinstance(error, SparkAuthError) else []
    )
    issue = ir.async_get(hass).async_get_issue(
        DOMAIN, f"host_key_changed_{mock_config_entry.entry_id}"
    )
    assert (issue is not None) is isinstance(error, HostKeyChangedError)


async def test_load_unload(
    hass: HomeAssistant, init_integration: Any, mock_cluster: MagicMock
) -> None:
    """Unload closes the client."""
    assert init_integration.state is ConfigEntryState.LOADED
    mock_cluster.close.assert_not_awaited()
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert init_integration.state is ConfigEntryState.NOT_LOADED
    mock_cluster.close.assert_awaited_once()


async def test_status_failure_makes_entities_unavailable(
    hass: HomeAssistant,
    init_integration: Any,
    mock_cluster: MagicMock,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A failed poll → unavailable, logged once; recovery → values again, logged once."""
    entity = "sensor.vllm_cluster_generation_throughput"
    assert hass.states.get(entity).state == "123.4"
    mock_cluster.status.side_effect = CommandError("status", 255, ["ssh: connection lost"])
    for _ in range(2):
        freezer.tick(timedelta(seconds=16))
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get(entity).state == STATE_UNAVAILABLE
    assert caplog.text.count("Error fetching spark_control status data") == 1
    assert "ssh: connection lost" in caplog.text

    mock_cluster.status.side_effect = None
    freezer.tick(timedelta(seconds=16))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get(entity).state == "123.4"
    assert caplog.text.count("Fetching spark_control status data recovered") == 1


async def test_unreachable_worker_only_affects_its_entities(
    hass: HomeAssistant,
    init_integration: Any,
    mock_cluster: MagicMock,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Partial data: the worker's sensors go unavailable, the rest stays."""
    mock_cluster.status.return_value = cluster_status(worker_reachable=False)
    freezer.tick(timedelta(seconds=16))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get("binary_sensor.spark_worker_reachable").state == STATE_OFF
    assert hass.states.get("sensor.spark_worker_gpu_temperature").state == STATE_UNAVAILABLE
    assert hass.states.get("sensor.spark_head_gpu_temperature").state == "55.0"
    assert hass.states.get("binary_sensor.spark_head_reachable").state == STATE_ON


async def test_no_model_loaded_is_unknown(
    hass: HomeAssistant,
    init_integration: Any,
    mock_cluster: MagicMock,
    freezer: FrozenDateTimeFactory,
) -> None:
    """No served model: vLLM down, metrics unavailable (never 0), select unknown."""
    mock_cluster.status.return_value = cluster_status(model=None)
    freezer.tick(timedelta(seconds=16))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get("sensor.vllm_cluster_generation_throughput").state == STATE_UNAVAILABLE
    assert hass.states.get("sensor.vllm_cluster_kv_cache_usage").state == STATE_UNAVAILABLE
    assert hass.states.get("sensor.vllm_cluster_engine_state").state == "down"
    assert hass.states.get("select.vllm_cluster_model").state == STATE_UNKNOWN
    assert hass.states.get("binary_sensor.vllm_cluster_ready").state == STATE_OFF


async def test_auth_failure_while_running_starts_reauth(
    hass: HomeAssistant,
    init_integration: Any,
    mock_cluster: MagicMock,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A key revoked after setup lands the entry in reauth."""
    mock_cluster.status.side_effect = SparkAuthError("127.0.0.1", "spark")
    freezer.tick(timedelta(seconds=16))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


async def test_host_key_change_while_running_raises_repair(
    hass: HomeAssistant,
    init_integration: Any,
    mock_cluster: MagicMock,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A changed host key mid-life: a repair issue, and the entry stops as it would at setup."""
    mock_cluster.status.side_effect = HostKeyChangedError("127.0.0.1", 2202, "SHA256:a", "SHA256:b")
    freezer.tick(timedelta(seconds=16))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert init_integration.state is ConfigEntryState.SETUP_ERROR
    assert hass.states.get("binary_sensor.spark_head_reachable").state == STATE_UNAVAILABLE
    issue = ir.async_get(hass).async_get_issue(
        DOMAIN, f"host_key_changed_{init_integration.entry_id}"
    )
    assert issue is not None
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["host"] == "127.0.0.1:2202"


async def test_missing_checkout_raises_repair(
    hass: HomeAssistant, mock_config_entry: Any, mock_cluster: MagicMock, aioclient_mock: Any
) -> None:
    """No spark-vllm-docker checkout on the head: a repair, and a failed update check is fine."""
    aioclient_mock.get("http://127.0.0.1:8010/health", status=503)
    status = cluster_status()
    mock_cluster.status.return_value = type(status)(
        nodes=status.nodes, vllm=status.vllm, services=status.services, checkout=None
    )
    mock_cluster.check_update.side_effect = CommandError("git fetch", 128, ["not a git repository"])
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    issue = ir.async_get(hass).async_get_issue(
        DOMAIN, f"checkout_missing_{mock_config_entry.entry_id}"
    )
    assert issue is not None
    assert hass.states.get("update.spark_head_spark_vllm_docker").state == STATE_UNAVAILABLE
    assert hass.states.get("binary_sensor.diarizer_add_on_ready").state == STATE_OFF

    mock_cluster.check_update.side_effect = None
    mock_cluster.check_update.return_value = UpdateInfo("358bf26", "358bf26", 0, [])
    await hass.services.async_call(
        "button", "press", {"entity_id": "button.spark_head_check_for_updates"}, blocking=True
    )
    state = hass.states.get("update.spark_head_spark_vllm_docker")
    assert state.state == STATE_OFF
    assert state.attributes["installed_version"] == "358bf26"


async def test_options_change_reloads_with_new_interval(
    hass: HomeAssistant, init_integration: Any, mock_cluster: MagicMock
) -> None:
    """Saving options reloads the entry; the coordinator uses the new interval."""
    result = await hass.config_entries.options.async_init(init_integration.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "settings"}
    )
    await hass.config_entries.options.async_configure(
        result["flow_id"], {"status_interval": 60, "update_interval": 30, "swap_timeout": 600}
    )
    await hass.async_block_till_done()
    runtime = init_integration.runtime_data
    assert runtime.status.update_interval == timedelta(seconds=60)
    assert runtime.updates.update_interval == timedelta(minutes=30)


async def test_remove_entry_cleans_up(hass: HomeAssistant, init_integration: Any) -> None:
    """Removing the entry deletes its catalog store and repair issues."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        f"restart_model_{init_integration.entry_id}",
        is_fixable=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key="restart_model",
    )
    await hass.config_entries.async_remove(init_integration.entry_id)
    await hass.async_block_till_done()
    assert (
        ir.async_get(hass).async_get_issue(DOMAIN, f"restart_model_{init_integration.entry_id}")
        is None
    )


async def test_stored_data_that_no_longer_validates(hass: HomeAssistant) -> None:
    """Entry data a newer validator refuses: a translated setup error, not a traceback."""
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from .conftest import MACHINE_ID, flow_entry_data

    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=MACHINE_ID,
        data=flow_entry_data() | {"head_host": "spark;reboot"},
    )
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert entry.error_reason_translation_key == "invalid_config"
    assert entry.reason is not None
    assert entry.reason.startswith("The stored settings are no longer valid (Invalid host")
