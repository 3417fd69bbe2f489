"""The Spark Control sidebar panel in Home Assistant's real frontend, one test per step.

tests/e2e/panel_scenario.py runs once per session in its own process (stack, Chromium, axe-core);
each test here judges one step of its report, so a failure names the step with its screenshot.
"""

from __future__ import annotations

from typing import Any

import pytest
from homeassistant.const import MAJOR_VERSION, MINOR_VERSION

from custom_components.spark_control.compat import MIN_HA_VERSION
from tests.e2e.conftest import REPO_ROOT, run_scenario
from tests.e2e.panel_scenario import AXE, PANEL_STEPS

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

SERIES = f"{MAJOR_VERSION}.{MINOR_VERSION}"
OUT = (
    REPO_ROOT
    / "build"
    / ("e2e-panel" if MIN_HA_VERSION.startswith(f"{SERIES}.") else f"e2e-panel-{SERIES}")
)
SCENARIO_TIMEOUT_S = 840


@pytest.fixture(scope="module")
def panel_report() -> dict[str, dict[str, Any]]:
    """The panel scenario's step results (it starts HA, the Sparks and Chromium itself)."""
    if not AXE.is_file():
        pytest.fail(f"{AXE} missing: run `make setup` (npm ci in frontend/)")
    report, stdout = run_scenario("tests.e2e.panel_scenario", OUT, SCENARIO_TIMEOUT_S)
    print(stdout)  # the figures: panel_first_data_ms, panel_log_latency_ms
    return report


def test_report_covers_every_step(panel_report: dict[str, dict[str, Any]]) -> None:
    """The scenario ran (or at least recorded) every step."""
    assert list(panel_report) == list(PANEL_STEPS)


@pytest.mark.parametrize("step", PANEL_STEPS)
def test_panel_step(step: str, panel_report: dict[str, dict[str, Any]]) -> None:
    """One user-visible step passed in the real browser."""
    result = panel_report[step]
    assert result["ok"], (
        f"{step} failed: {result['error']}\n(details: {result['details']}; "
        f"screenshot: {OUT / f'FAILED-{step}.png'}; log: {OUT / 'scenario.log'})"
    )


def test_swap_walked_the_states(panel_report: dict[str, dict[str, Any]]) -> None:
    """The log pane's state went through loading to ready in both looks (not a jump)."""
    details = panel_report["swap_watching_log"]["details"]
    states = details["swap_states_desktop-light"]
    assert states[-1] == "ready" and "loading" in states, states
    phone = panel_report["phone_dark"]["details"]["swap_states_phone-dark"]
    assert phone[-1] == "ready", phone


def test_figures_measured(panel_report: dict[str, dict[str, Any]]) -> None:
    """First data and log latency were measured (printed, not asserted against a budget)."""
    assert panel_report["open_panel"]["details"]["panel_first_data_ms"] > 0
    latency = panel_report["swap_watching_log"]["details"]["log_latency_desktop-light"]
    assert latency["lines"] > 0, latency


README_SHOTS = (
    "panel-desktop-light-swap-log.png",
    "panel-desktop-light-settings-error.png",
    "panel-desktop-light-download-progress.png",
    "panel-desktop-light-add-to-catalog.png",
    "panel-desktop-light-update-banner.png",
    "panel-desktop-light-update-log.png",
    "panel-desktop-light-connectivity.png",
    "panel-desktop-light-services-stopped.png",
    "panel-phone-dark-models.png",
    "panel-phone-dark-download-progress.png",
)


@pytest.mark.parametrize("name", README_SHOTS)
def test_screenshots_written(name: str, panel_report: dict[str, dict[str, Any]]) -> None:
    """The README's panel screenshots (docs/screenshots/panel-*.png) come from this run."""
    path = OUT / name
    assert path.is_file(), f"{path} missing"
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
