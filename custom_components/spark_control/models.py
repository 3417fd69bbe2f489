"""What the coordinators hold: the polled snapshot and the integration's own activity."""

from __future__ import annotations

from dataclasses import dataclass, field

from .api import CatalogModel, ClusterStatus, DownloadProgress, SwapProgress
from .health import HealthState


@dataclass(frozen=True, slots=True)
class SparkData:
    """One status poll: the cluster snapshot plus the add-on's readiness."""

    status: ClusterStatus
    addon_ready: bool | None


@dataclass(frozen=True, slots=True)
class InstallProgress:
    """A spark-vllm-docker update install: running, and the log seen so far."""

    running: bool = True
    log_lines: int = 0
    last_log_line: str | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class SparkActivity:
    """What the integration itself runs or receives: jobs, catalog and health reports.

    Pushed (never polled) into the activity coordinator, so entities read one source.
    """

    catalog: tuple[CatalogModel, ...] = ()
    swap: SwapProgress = field(default_factory=SwapProgress)
    swap_running: bool = False
    download: DownloadProgress | None = None
    download_running: bool = False
    install: InstallProgress | None = None
    health: HealthState = field(default_factory=HealthState)

    @property
    def install_running(self) -> bool:
        """Whether an update install runs."""
        return self.install is not None and self.install.running

    @property
    def busy(self) -> bool:
        """Any long job running: the status poll runs fast while this holds."""
        return self.swap_running or self.download_running or self.install_running
