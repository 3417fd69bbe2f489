"""Run the browser scenario once per session, in its own process, and share its report."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from homeassistant.const import MAJOR_VERSION, MINOR_VERSION

from custom_components.spark_control.compat import MIN_HA_VERSION
from tests.e2e.browser import require_chromium
from tests.e2e.report import load

REPO_ROOT = Path(__file__).resolve().parents[2]
# The suite runs once per supported Home Assistant version; each keeps its own report and
# screenshots: build/e2e for the oldest supported, build/e2e-<x.y> for newer ones.
SERIES = f"{MAJOR_VERSION}.{MINOR_VERSION}"
OUT = REPO_ROOT / "build" / ("e2e" if MIN_HA_VERSION.startswith(f"{SERIES}.") else f"e2e-{SERIES}")
SCENARIO_TIMEOUT_S = 540


@pytest.fixture(scope="session")
def e2e_report() -> dict[str, dict[str, Any]]:
    """The scenario's step results (it starts HA, the Sparks, the add-on and Chromium itself)."""
    require_chromium()  # no browser is a failure, never a skip
    report = OUT / "report.json"
    report.unlink(missing_ok=True)
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "tests.e2e.scenario", "--out", str(OUT)],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=SCENARIO_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired as err:
        pytest.fail(f"the browser scenario ran past {SCENARIO_TIMEOUT_S} s: {err.stderr!r}")
    (OUT / "scenario.log").write_text(proc.stdout + proc.stderr)
    if not report.is_file():
        tail = proc.stderr[-4000:]
        pytest.fail(f"the scenario wrote no report (exit {proc.returncode}):\n{tail}")
    return load(report)
