"""Fault injection shared by Python, the CLI and the shims: one file per fault under <root>/faults/.

Files (not memory) so that the bash/Python shims, the fake HTTP services and a second process
(`python -m spark_sim fault ...`) all see the same switches.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

LOAD_FAILURES = (
    "kv_cache",
    "free_memory",
    "no_cache_blocks",
    "cuda_oom",
    "cuda_error",
    "engine_core",
    "port_in_use",
)
FLAG_FAULTS = (
    "engine_death",
    "http_hang",
    "dirty_tree",
    "build_failure",
    "gated_download",
    "autodetect_failure",
    "port_in_use",
    "gpu_hang",
    "magpie_cache_owner",
)
NUMBER_FAULTS = ("http_delay", "ssh_drop_after")
NODE_FAULTS = ("unreachable",)
MAGPIE_APIS = ("nim", "openai")
FAULT_NAMES = ("vllm_load_failure", *FLAG_FAULTS, *NUMBER_FAULTS, *NODE_FAULTS, "magpie_api")
DIRTY_MARK = "\nLocal edit made by the simulator's dirty_tree fault.\n"

ReachHook = Callable[[str, bool], None]


def _normalise(name: str, value: str | float | bool) -> str:
    """Validate a fault value and return its file text."""
    if name == "vllm_load_failure":
        text = str(value)
        if text not in LOAD_FAILURES:
            raise ValueError(f"vllm_load_failure must be one of {', '.join(LOAD_FAILURES)}")
        return text
    if name == "magpie_api":
        text = str(value)
        if text not in MAGPIE_APIS:
            raise ValueError(f"magpie_api must be one of {', '.join(MAGPIE_APIS)}")
        return text
    if name in NUMBER_FAULTS:
        number = float(value)
        if number < 0:
            raise ValueError(f"{name} must be >= 0")
        return repr(number)
    if name in NODE_FAULTS:
        text = "worker" if value is True else str(value)
        wanted = {"head", "worker"} if text == "both" else set(text.split(","))
        if not wanted or not wanted <= {"head", "worker"}:
            raise ValueError(f"{name} must name nodes: head, worker, head,worker or both")
        return ",".join(node for node in ("head", "worker") if node in wanted)
    if name in FLAG_FAULTS:
        return "1"
    raise ValueError(f"unknown fault {name!r}; known: {', '.join(FAULT_NAMES)}")


class FaultControl:
    """Set and clear faults of one simulated pair (state lives under its root dir)."""

    def __init__(self, root: Path, reach_hook: ReachHook | None = None) -> None:
        self.root = Path(root)
        self.dir = self.root / "faults"
        self.dir.mkdir(parents=True, exist_ok=True)
        self._reach_hook = reach_hook

    def set(self, name: str, value: str | float | bool = True) -> None:
        """Switch a fault on (value as documented per fault)."""
        text = _normalise(name, value)
        if name in NODE_FAULTS:
            old = set((self.get(name) or "").split(",")) - {""}
            back = ",".join(sorted(old - set(text.split(","))))
            if back:
                self._apply(name, back, on=False)
        (self.dir / name).write_text(text)
        self._apply(name, text, on=True)

    def clear(self, name: str | None = None) -> None:
        """Switch one fault (or all) off."""
        names = [name] if name else [p.name for p in self.dir.iterdir()]
        for item in names:
            if item not in FAULT_NAMES:
                raise ValueError(f"unknown fault {item!r}")
            old = self.get(item)
            (self.dir / item).unlink(missing_ok=True)
            if old is not None:
                self._apply(item, old, on=False)

    def get(self, name: str) -> str | None:
        """Current value text of a fault, None when off."""
        try:
            return (self.dir / name).read_text()
        except FileNotFoundError:
            return None

    def active(self) -> dict[str, str]:
        """Every fault currently set."""
        return {p.name: p.read_text() for p in sorted(self.dir.iterdir())}

    def _apply(self, name: str, value: str, *, on: bool) -> None:
        """Side effects on the sandboxes for faults that are not read by a shim."""
        if name == "dirty_tree":
            readme = self.root / "head" / "home" / "spark-vllm-docker" / "README.md"
            if on:
                text = readme.read_text()
                if DIRTY_MARK not in text:
                    readme.write_text(text + DIRTY_MARK)
            else:
                subprocess.run(
                    ["git", "-C", str(readme.parent), "checkout", "--", "README.md"],
                    check=True,
                    capture_output=True,
                )
        elif name == "autodetect_failure":
            for node in ("head", "worker"):
                bin_dir = self.root / node / "home" / "bin"
                live, hidden = bin_dir / "ibdev2netdev", bin_dir / ".ibdev2netdev.hidden"
                src, dst = (live, hidden) if on else (hidden, live)
                if src.exists():
                    src.rename(dst)
        elif name == "unreachable":
            for node in value.split(","):
                flag = self.root / node / "unreachable"
                if on:
                    flag.touch()
                else:
                    flag.unlink(missing_ok=True)
                if self._reach_hook is not None:
                    self._reach_hook(node, not on)
