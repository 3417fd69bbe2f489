"""Health reports pushed by external apps (Recap Relay, Open WebUI): last report and counters."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any, Final

from homeassistant.util import dt as dt_util

from .helpers import sanitize

HEALTH_SERVICES: Final = ("vllm", "parakeet", "magpie", "diarizer")
# Any service name a client reports is recorded as given (the four above also count failures),
# so it must be short and harmless in logs, events and the logbook.
SERVICE_NAME: Final = re.compile(r"[a-z][a-z0-9_-]{0,31}")
SERVICE_NAME_RULE: Final = (
    "service must be a short lowercase name (letters, digits, _ or -, at most 32)"
)
MAX_SOURCE: Final = 100
MAX_ERROR: Final = 1000
MAX_VERDICTS: Final = 64


@dataclass(frozen=True, slots=True)
class HealthReport:
    """One validated report; `source` and `error` hold no control characters."""

    service: str
    ok: bool
    source: str | None
    error: str | None
    ms: float | None
    received: datetime

    @classmethod
    def create(
        cls,
        service: str,
        ok: bool,
        *,
        source: str | None = None,
        error: str | None = None,
        ms: float | None = None,
    ) -> HealthReport:
        """A report received now; free text is made one printable line (bus, logbook)."""
        return cls(
            service,
            ok,
            None if source is None else sanitize(source, MAX_SOURCE) or None,
            None if error is None else sanitize(error, MAX_ERROR) or None,
            ms,
            dt_util.utcnow(),
        )

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


def _no_failures() -> Mapping[str, int]:
    return MappingProxyType(dict.fromkeys(HEALTH_SERVICES, 0))


@dataclass(frozen=True, slots=True)
class HealthState:
    """What the sensors show: the last report and failures counted per service."""

    last: HealthReport | None = None
    failures: Mapping[str, int] = field(default_factory=_no_failures)
    verdicts: Mapping[str, bool] = field(default_factory=lambda: MappingProxyType({}))
    changed: datetime | None = None  # when a report last flipped its service's verdict

    def changes(self, report: HealthReport) -> bool:
        """Whether `report` flips its service between ok and failed (or is its first).

        Only such reports reach the logbook: a client reporting every call would otherwise
        write one logbook line per request.
        """
        return self.verdicts.get(report.service) != report.ok

    def with_report(self, report: HealthReport) -> HealthState:
        """The state after `report` (a failure counts once)."""
        failures = dict(self.failures)
        if not report.ok and report.service in failures:  # other names are recorded, not counted
            failures[report.service] += 1
        verdicts = {**self.verdicts, report.service: report.ok}
        while len(verdicts) > MAX_VERDICTS:  # names are free text from LAN clients
            del verdicts[next(iter(verdicts))]
        changed = report.received if self.changes(report) else self.changed
        return HealthState(report, MappingProxyType(failures), MappingProxyType(verdicts), changed)
