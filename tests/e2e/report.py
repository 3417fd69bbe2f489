"""Step-by-step outcome of the browser scenario, written as JSON for the pytest side to judge."""

from __future__ import annotations

import json
import time
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

# Every step the scenario runs, in order; the pytest side expects exactly these.
STEPS = (
    "start_stack",
    "login",
    "add_integration_ui",
    "integration_page",
    "device_page_live_values",
    "swap_model_via_select",
    "toggle_parakeet",
    "rest_sensor_base_url",
    "health_report_in_logbook",
    "dashboard",
    "blueprint_notifies",
    "blueprint_swaps_back",
    "relay_cli_via_discovery",
    "reconfigure_placement_ui",
    "stop_leaves_nothing",
)


@dataclass
class StepResult:
    """One step: passed or not, why, and what it saw."""

    ok: bool = False
    reached: bool = False
    error: str = ""
    seconds: float = 0.0
    details: dict[str, Any] = field(default_factory=dict)


class Report:
    """Results of every step, flushed to disk after each one (a crash still leaves a report)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.steps: dict[str, StepResult] = {name: StepResult() for name in STEPS}
        self.failed = False

    def save(self) -> None:
        """Write the JSON report."""
        data = {name: asdict(result) for name, result in self.steps.items()}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps(data, indent=1))

    async def run(
        self,
        name: str,
        body: Callable[[StepResult], Awaitable[None]],
        *,
        always: bool = False,
    ) -> bool:
        """Run a step unless an earlier one failed (or `always`); record the outcome."""
        result = self.steps[name]
        if self.failed and not always:
            result.error = "not reached: an earlier step failed"
            self.save()
            return False
        result.reached = True
        start = time.monotonic()
        try:
            await body(result)
        except Exception as err:
            result.error = f"{type(err).__name__}: {err}\n{traceback.format_exc(limit=6)}"
            self.failed = True
        else:
            result.ok = True
        result.seconds = round(time.monotonic() - start, 2)
        self.save()
        return result.ok


def load(path: Path) -> dict[str, dict[str, Any]]:
    """The report as written by Report.save()."""
    return dict(json.loads(path.read_text()))
