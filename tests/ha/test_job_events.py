"""Recorder- and logbook-friendly reporting: one logbook line per change, not per report."""

from __future__ import annotations

import asyncio
from typing import Any

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import async_capture_events

from custom_components.spark_control.const import EVENT_HEALTH_CHANGE, EVENT_HEALTH_REPORT
from custom_components.spark_control.health import HealthReport

LAST = "sensor.vllm_cluster_last_health_report"


async def test_a_burst_of_unchanged_reports_is_one_logbook_line(
    hass: HomeAssistant, init_integration: Any
) -> None:
    activity = init_integration.runtime_data.activity
    reports = async_capture_events(hass, EVENT_HEALTH_REPORT)
    changes = async_capture_events(hass, EVENT_HEALTH_CHANGE)
    for _ in range(1000):
        activity.async_record_health(HealthReport.create("parakeet", ok=False, error="503"))
    await hass.async_block_till_done()
    assert len(reports) == 1000  # every report is an event (automations)
    assert len(changes) == 1  # only the flip is a logbook line
    first = hass.states.get(LAST)
    assert first is not None and first.state != "unknown"
    # The counters take every report, published within a second.
    async with asyncio.timeout(10):
        while hass.states.get("sensor.parakeet_reported_failures").state != "1000":
            await asyncio.sleep(0.1)
    # Same verdict again: the sensor's state (time of the last flip) does not move.
    assert hass.states.get(LAST).state == first.state
    assert hass.states.get(LAST).attributes["ok"] is False
    activity.async_record_health(HealthReport.create("parakeet", ok=True))
    await hass.async_block_till_done()
    assert len(changes) == 2 and changes[-1].data["ok"] is True
    assert hass.states.get(LAST).attributes["ok"] is True
