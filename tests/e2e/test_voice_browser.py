"""Voice in Home Assistant's real frontend: the pipeline listed, the Assist dialog answering.

tests/e2e/voice_scenario.py runs once per session in its own process (the demo stack plus the
system Chromium); each test here judges one of its steps.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.browser import require_chromium
from tests.e2e.conftest import OUT, REPO_ROOT
from tests.e2e.voice_scenario import STEPS

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

VOICE_OUT = Path(f"{OUT}-voice")
SCENARIO_TIMEOUT_S = 480


@pytest.fixture(scope="module")
def voice_report() -> dict[str, dict[str, Any]]:
    """The voice scenario's step results."""
    require_chromium()  # no browser is a failure, never a skip
    report = VOICE_OUT / "report.json"
    report.unlink(missing_ok=True)
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "tests.e2e.voice_scenario", "--out", str(VOICE_OUT)],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=SCENARIO_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired as err:
        pytest.fail(f"the voice scenario ran past {SCENARIO_TIMEOUT_S} s: {err.stderr!r}")
    (VOICE_OUT / "scenario.log").write_text(proc.stdout + proc.stderr)
    if not report.is_file():
        tail = proc.stderr[-4000:]
        pytest.fail(f"the voice scenario wrote no report (exit {proc.returncode}):\n{tail}")
    return dict(json.loads(report.read_text()))


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
