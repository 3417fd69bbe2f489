"""Health reports pushed by external apps (Recap Relay, Open WebUI): last report and counters."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from http import HTTPStatus
from types import MappingProxyType
from typing import Any, Final

from aiohttp import web
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
MAX_MS: Final = 86_400_000.0
MAX_BODY: Final = 8192
MAX_VERDICTS: Final = 64
REPORT_FIELDS: Final = frozenset({"service", "ok", "source", "error", "ms"})


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


class ReportError(ValueError):
    """A health report refused with `status` (400 or 413) and this message."""

    def __init__(self, message: str, status: HTTPStatus = HTTPStatus.BAD_REQUEST) -> None:
        super().__init__(message)
        self.status = status


def parse_report(body: Any, extra_fields: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The seed's report body (service, ok, source, error, ms), or ReportError naming the fault.

    The authenticated view and the tokenless webhook share this rule, so a client gets the same
    answer from both.
    """
    if not isinstance(body, dict):
        raise ReportError("body must be a JSON object")
    unknown = set(body) - REPORT_FIELDS - extra_fields
    if unknown:
        raise ReportError(f"unknown fields: {', '.join(sorted(unknown))[:200]}")
    service = body.get("service")
    if not isinstance(service, str) or SERVICE_NAME.fullmatch(service) is None:
        raise ReportError(SERVICE_NAME_RULE)
    if not isinstance(body.get("ok"), bool):
        raise ReportError("ok must be true or false")
    for name, limit in (("source", MAX_SOURCE), ("error", MAX_ERROR)):
        value = body.get(name)
        if value is not None and not isinstance(value, str):
            raise ReportError(f"{name} must be a string")
        if value is not None and len(value) > limit:
            raise ReportError(f"{name} is longer than {limit} characters")
    ms = body.get("ms")
    if ms is not None and (
        isinstance(ms, bool) or not isinstance(ms, int | float) or not 0 <= ms <= MAX_MS
    ):
        raise ReportError(f"ms must be a number from 0 to {MAX_MS:.0f}")
    return body


async def read_report(
    request: web.Request, extra_fields: frozenset[str] = frozenset()
) -> tuple[HealthReport, dict[str, Any]]:
    """Read and validate a report body of at most MAX_BODY bytes: (report, its raw fields)."""
    too_large = ReportError("body too large", HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise too_large
    raw = await request.content.read(MAX_BODY + 1)
    if len(raw) > MAX_BODY:
        raise too_large
    try:
        fields = parse_report(json.loads(raw), extra_fields)
    except ReportError:
        raise
    except (ValueError, UnicodeDecodeError) as err:  # not JSON, or not UTF-8
        raise ReportError(str(err)) from err
    report = HealthReport.create(
        fields["service"],
        fields["ok"],
        source=fields.get("source"),
        error=fields.get("error"),
        ms=fields.get("ms"),
    )
    return report, fields


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
