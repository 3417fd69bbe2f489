"""Voice in Home Assistant's real frontend: the pipeline listed, the Assist dialog answering.

tests/e2e/voice_scenario.py runs once per session in its own process (the demo stack plus the
system Chromium); each test here judges one of its steps.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import OUT, run_scenario
from tests.e2e.voice_scenario import STEPS

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

VOICE_OUT = Path(f"{OUT}-voice")
SCENARIO_TIMEOUT_S = 480


@pytest.fixture(scope="module")
def voice_report() -> dict[str, dict[str, Any]]:
    """The voice scenario's step results."""
    return run_scenario("tests.e2e.voice_scenario", VOICE_OUT, SCENARIO_TIMEOUT_S)[0]


@pytest.mark.parametrize("step", STEPS)
def test_voice_step(step: str, voice_report: dict[str, dict[str, Any]]) -> None:
    """One user-visible step passed in the real browser."""
    result = voice_report[step]
    assert result["ok"], (
        f"{step} failed: {result['error']}\n(screenshot: {VOICE_OUT / f'FAILED-{step}.png'}; "
        f"log: {VOICE_OUT / 'scenario.log'})"
    )


@pytest.mark.parametrize("name", ["voice-assistants.png", "assist-dialog.png"])
def test_voice_screenshots_written(name: str, voice_report: dict[str, dict[str, Any]]) -> None:
    """The README's voice screenshots come from this run."""
    assert (VOICE_OUT / name).stat().st_size > 10_000
