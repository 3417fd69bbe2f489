"""What the panel's subscriptions receive: one entry's changes as they happen.

The jobs hand over each swap and build log line and each progress report, the coordinators
their polls, health reports and transitions; the feed keeps the recent log lines and the
connectivity log (bounded, in memory) and pushes every change to the subscribers, once per
change (docs/panel-api.md §4). Unloading the entry ends every subscription.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from homeassistant.core import callback
from homeassistant.util import dt as dt_util

from .health import HealthReport
from .helpers import sanitize
from .snapshot import (
    catalog_part,
    download_part,
    health_counts,
    status_part,
    swap_part,
    update_part,
)

if TYPE_CHECKING:
    from .coordinator import SparkConfigEntry

MAX_LOG_LINES: Final = 500
MAX_LINE: Final = 500
MAX_CONNECTIVITY: Final = 200

Event = dict[str, Any]


@dataclass(slots=True)
class _Subscriber:
    send: Callable[[Event], None]
    closed: Callable[[], None]


class SparkFeed:
    """Recent log lines, the connectivity log and the subscribers of one entry."""

    def __init__(self) -> None:
        """Empty until `attach` binds it to the loaded entry."""
        self.swap_log: deque[str] = deque(maxlen=MAX_LOG_LINES)
        self.update_log: deque[str] = deque(maxlen=MAX_LOG_LINES)
        self.connectivity: deque[Event] = deque(maxlen=MAX_CONNECTIVITY)  # newest first
        self._entry: SparkConfigEntry | None = None
        self._subscribers: list[_Subscriber] = []
        self._sent: dict[str, Any] = {}
        self._check_error: str | None = None

    @callback
    def attach(self, entry: SparkConfigEntry) -> None:
        """Follow the entry's coordinators until it unloads (then end every subscription)."""
        self._entry = entry
        runtime = entry.runtime_data
        entry.async_on_unload(runtime.status.async_add_listener(self._status_polled))
        entry.async_on_unload(runtime.updates.async_add_listener(self._update_checked))
        entry.async_on_unload(runtime.activity.async_add_listener(self._activity_changed))
        entry.async_on_unload(self.async_close)

    # --- subscribers -------------------------------------------------------------------

    @callback
    def async_subscribe(
        self, send: Callable[[Event], None], closed: Callable[[], None]
    ) -> Callable[[], None]:
        """Push every later change to `send`; `closed` runs when the entry unloads.

        The caller sends the snapshot itself (after its result message); the returned
        function ends the subscription.
        """
        subscriber = _Subscriber(send, closed)
        self._subscribers.append(subscriber)

        @callback
        def unsubscribe() -> None:
            if subscriber in self._subscribers:
                self._subscribers.remove(subscriber)

        return unsubscribe

    @property
    def subscribers(self) -> int:
        """How many subscriptions are open."""
        return len(self._subscribers)

    @callback
    def async_close(self) -> None:
        """The entry unloads: tell each subscriber, then forget them."""
        subscribers, self._subscribers = self._subscribers, []
        for subscriber in subscribers:
            subscriber.send({"kind": "closed", "reason": "entry_unloaded"})
            subscriber.closed()

    def _emit(self, event: Event) -> None:
        for subscriber in list(self._subscribers):
            subscriber.send(event)

    def _publish(self, kind: str, payload: Any, marker: Any = None) -> None:
        """Send `payload` as a `kind` event unless it equals what was sent last."""
        marker = payload if marker is None else marker
        if kind in self._sent and self._sent[kind] == marker:
            return
        self._sent[kind] = marker
        self._emit({"kind": kind, kind: payload})

    # --- the snapshot ------------------------------------------------------------------

    def snapshot(self) -> Event:
        """§3: everything the panel shows, now.

        A part never pushed yet counts as pushed with this value: every subscriber starts from
        a snapshot, so only a later change is news.
        """
        entry = self._require_entry()
        swap = self._swap(entry)
        snapshot: Event = {
            "entry_id": entry.entry_id,
            "title": entry.title,
            "status": self._status(entry),
            "swap": swap,
            "swap_log": list(self.swap_log),
            "catalog": catalog_part(entry),
            "download": self._download(entry),
            "update": update_part(entry, self._check_error),
            "update_log": list(self.update_log),
            "health": {**health_counts(entry), "log": list(self.connectivity)},
        }
        markers = {kind: snapshot[kind] for kind in ("status", "catalog", "download", "update")}
        markers["swap"] = self._swap_marker(swap)
        for kind, marker in markers.items():
            self._sent.setdefault(kind, marker)
        return snapshot

    @staticmethod
    def _swap_marker(swap: dict[str, Any]) -> dict[str, Any]:
        """What makes a swap event news: anything but the last log line (swap_log has it)."""
        return {**swap, "last_log_line": None}

    def _require_entry(self) -> SparkConfigEntry:
        if self._entry is None:
            raise RuntimeError("feed used before attach")
        return self._entry

    @staticmethod
    def _status(entry: SparkConfigEntry) -> dict[str, Any] | None:
        return None if entry.runtime_data.status.data is None else status_part(entry)

    @staticmethod
    def _swap(entry: SparkConfigEntry) -> dict[str, Any]:
        runtime = entry.runtime_data
        return swap_part(runtime.client.swap_progress, runtime.jobs.swap_running)

    @staticmethod
    def _download(entry: SparkConfigEntry) -> dict[str, Any] | None:
        runtime = entry.runtime_data
        progress = runtime.client.download_progress
        catalog = runtime.client.catalog
        in_catalog = progress is not None and catalog.get(progress.repo_id) is not None
        running = runtime.jobs.download_running or runtime.activity.latest.download_running
        return download_part(progress, running, in_catalog)

    # --- changes from the coordinators -------------------------------------------------

    @callback
    def _status_polled(self) -> None:
        entry = self._require_entry()
        status = self._status(entry)
        if status is not None:
            self._publish("status", status)

    @callback
    def _update_checked(self) -> None:
        entry = self._require_entry()
        if entry.runtime_data.updates.last_update_success:
            self._check_error = None
        self._publish("update", update_part(entry, self._check_error))

    @callback
    def _activity_changed(self) -> None:
        entry = self._require_entry()
        self._publish("catalog", catalog_part(entry))
        self._publish("update", update_part(entry, self._check_error))
        self.swap_changed()
        self.download_changed()

    @callback
    def async_update_check_failed(self, error: str) -> None:
        """A check asked for now failed: show why until the next good one."""
        self._check_error = error
        self._publish("update", update_part(self._require_entry(), error))

    # --- changes from the jobs ---------------------------------------------------------

    @callback
    def swap_reset(self) -> None:
        """A swap begins: its log starts empty."""
        self.swap_log.clear()
        self._emit({"kind": "swap_log", "lines": [], "reset": True})

    @callback
    def swap_line(self, line: str) -> None:
        """One vLLM log line of the running swap, pushed at once."""
        text = sanitize(line, MAX_LINE)
        self.swap_log.append(text)
        self._emit({"kind": "swap_log", "lines": [text], "reset": False})

    @callback
    def swap_changed(self) -> None:
        """The swap's state, shard percent or running flag may have changed."""
        if self._entry is None:
            return
        swap = self._swap(self._entry)
        self._publish("swap", swap, self._swap_marker(swap))

    @callback
    def download_changed(self) -> None:
        """A download progress report (bytes, rate, ETA) or its start or end."""
        if self._entry is not None:
            self._publish("download", self._download(self._entry))

    @callback
    def install_reset(self) -> None:
        """An update install begins: its log starts empty."""
        self.update_log.clear()
        self._emit({"kind": "update_log", "lines": [], "reset": True})

    @callback
    def install_line(self, line: str) -> None:
        """One line of the update's build log, pushed at once."""
        text = sanitize(line, MAX_LINE)
        self.update_log.append(text)
        self._emit({"kind": "update_log", "lines": [text], "reset": False})

    # --- the connectivity log ----------------------------------------------------------

    @callback
    def health_report(self, report: HealthReport, changed: bool) -> None:
        """A report POSTed by a LAN app (already validated and sanitised)."""
        self._connectivity(
            {
                "time": report.received.isoformat(),
                "kind": "report",
                "service": report.service,
                "ok": report.ok,
                "source": report.source,
                "error": report.error,
                "ms": report.ms,
                "changed": changed,
            }
        )

    @callback
    def transition(self, service: str, ok: bool, reason: str | None) -> None:
        """The status poll saw a Spark or service go down or come back."""
        self._connectivity(
            {
                "time": dt_util.utcnow().isoformat(),
                "kind": "transition",
                "service": service,
                "ok": ok,
                "source": "poll",
                "error": None if ok or reason is None else sanitize(reason),
                "ms": None,
                "changed": True,
            }
        )

    def _connectivity(self, item: Event) -> None:
        self.connectivity.appendleft(item)
        if self._entry is not None and self._subscribers:
            self._emit({"kind": "health", "event": item, **health_counts(self._entry)})
