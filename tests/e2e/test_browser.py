"""The product through Home Assistant's real frontend, one test per user-visible step.

The scenario (tests/e2e/scenario.py) runs once in its own process; each test here judges one
step of its report, so a failure names the step and carries the scenario's error and screenshot.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.browser import CHROMIUM, require_chromium
from tests.e2e.conftest import OUT
from tests.e2e.report import STEPS

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


def test_chromium_is_installed() -> None:
    """CI must have the system browser; its absence fails the suite rather than skipping it."""
    assert require_chromium() == CHROMIUM


def test_report_covers_every_step(e2e_report: dict[str, dict[str, Any]]) -> None:
    """The scenario ran (or at least recorded) every step the suite judges."""
    assert list(e2e_report) == list(STEPS)


@pytest.mark.parametrize("step", STEPS)
def test_step(step: str, e2e_report: dict[str, dict[str, Any]]) -> None:
    """One user-visible step passed in the real browser."""
    result = e2e_report[step]
    signals = OUT / "stack" / "sim" / "signals.log"  # who stopped a simulated service, and when
    assert result["ok"], (
        f"{step} failed: {result['error']}\n(details: {result['details']}; "
        f"screenshot: {OUT / f'FAILED-{step}.png'}; log: {OUT / 'scenario.log'})\n"
        f"stop signals: {signals.read_text() if signals.is_file() else 'none'}"
    )


def test_swap_went_through_every_state(e2e_report: dict[str, dict[str, Any]]) -> None:
    """The swap-state sensor walked the real state machine to ready (not a jump)."""
    seen = e2e_report["swap_model_via_select"]["details"].get("swap_states_seen", [])
    assert seen[-1:] == ["ready"]
    assert "loading" in seen


README_SHOTS = (
    "integration.png",
    "device.png",
    "dashboard.png",
    "logbook.png",
    "flow-3-host-keys.png",
)


@pytest.mark.parametrize("name", README_SHOTS)
def test_screenshots_written(name: str, e2e_report: dict[str, dict[str, Any]]) -> None:
    """The README's screenshots come from this run."""
    path = OUT / name
    assert path.is_file(), f"{path} missing"
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
