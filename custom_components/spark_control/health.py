"""Health reports pushed by external apps (Recap Relay, Open WebUI): last report and counters."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util

from .const import EVENT_HEALTH_REPORT

HEALTH_SERVICES: Final = ("vllm", "parakeet", "magpie", "diarizer")


@dataclass(frozen=True, slots=True)
class HealthReport:
    """One validated report."""

    service: str
    ok: bool
    source: str | None
    error: str | None
    ms: float | None
    received: datetime

    def as_event_data(self, entry_id: str) -> dict[str, Any]:
        """Bus event payload (automation trigger data)."""
        return {
            "config_entry_id": entry_id,
            "service": self.service,
            "ok": self.ok,
            "source": self.source,
            "error": self.error,
            "ms": self.ms,
        }


@dataclass(slots=True)
class HealthLog:
    """What the sensors show: the last report and failures counted per service."""

    entry_id: str
    last: HealthReport | None = None
    failures: dict[str, int] = field(default_factory=lambda: dict.fromkeys(HEALTH_SERVICES, 0))

    def record(
        self,
        hass: HomeAssistant,
        service: str,
        ok: bool,
        *,
        source: str | None = None,
        error: str | None = None,
        ms: float | None = None,
    ) -> HealthReport:
        """Store a report, count a failure, and put it on the bus (and so in the logbook)."""
        report = HealthReport(service, ok, source, error, ms, dt_util.utcnow())
        self.last = report
        if not ok and service in self.failures:  # other names are recorded, not counted
            self.failures[service] += 1
        hass.bus.async_fire(EVENT_HEALTH_REPORT, report.as_event_data(self.entry_id))
        return report
