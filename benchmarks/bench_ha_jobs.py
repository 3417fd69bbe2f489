"""Issue 18 and 14 figures from a real Home Assistant against the simulated Sparks; name=value.

Runs benchmarks/ha/measure_jobs.py under pytest (Home Assistant's test
harness gives a real core, recorder, logbook and websocket API without a config directory):
download_state_writes_per_s (target <= 1.0), health_reports_logbook_ratio (1,000-report burst
of unchanged status; target <= 0.01), and panel_log_latency_ms (a swap log line from the
simulated vLLM to a websocket client subscribed like the panel; target <= 200).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIGURES = ("download_state_writes", "health_", "panel_log_")


def main() -> int:
    """Run the measurements; relay their figure lines."""
    result = subprocess.run(
        [
            sys.executable,
            *("-m", "pytest", "benchmarks/ha/measure_jobs.py", "-q", "-s"),
            *("-p", "no:cacheprovider", "-o", "addopts="),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith(FIGURES)]
    print("\n".join(lines))
    if result.returncode != 0:
        print(result.stdout[-4000:] + result.stderr[-2000:], file=sys.stderr)
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
