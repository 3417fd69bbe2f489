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


def run_scenario(module: str, out: Path, timeout_s: float) -> tuple[dict[str, dict[str, Any]], str]:
    """Run one browser scenario module in its own process; its step report and its stdout.

    No browser, a run past `timeout_s` or no report is a failure, never a skip.
    """
    require_chromium()
    report = out / "report.json"
    report.unlink(missing_ok=True)
    try:
        proc = subprocess.run(
            [sys.executable, "-m", module, "--out", str(out)],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )
    except subprocess.TimeoutExpired as err:
        pytest.fail(f"{module} ran past {timeout_s} s: {err.stderr!r}")
    out.mkdir(parents=True, exist_ok=True)
    (out / "scenario.log").write_text(proc.stdout + proc.stderr)
    if not report.is_file():
        tail = proc.stderr[-4000:]
        pytest.fail(f"{module} wrote no report (exit {proc.returncode}):\n{tail}")
    return load(report), proc.stdout


@pytest.fixture(scope="session")
def e2e_report() -> dict[str, dict[str, Any]]:
    """The scenario's step results (it starts HA, the Sparks, the add-on and Chromium itself)."""
    return run_scenario("tests.e2e.scenario", OUT, SCENARIO_TIMEOUT_S)[0]
