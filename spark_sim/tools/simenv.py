"""What a shim knows about its pair: the run_env() environment and <root>/sim-config.json."""

from __future__ import annotations

import json
import os
import sys
from functools import cache
from pathlib import Path
from typing import Any


def root() -> Path:
    """The pair's state dir."""
    return Path(os.environ["SPARK_SIM_ROOT"])


def node() -> str:
    """Name of the node this process runs on (head | worker)."""
    return os.environ.get("SPARK_SIM_NODE", "head")


def state_dir() -> Path:
    """~/.sim of this node."""
    return Path(os.environ.get("SPARK_SIM_STATE", str(root() / node() / "home" / ".sim")))


@cache
def config() -> dict[str, Any]:
    """The pair's configuration and ports, written by SimPair.start()."""
    data: dict[str, Any] = json.loads((root() / "sim-config.json").read_text())
    return data


def fault(name: str) -> str | None:
    """Value of an injected fault, None when off."""
    try:
        return (root() / "faults" / name).read_text()
    except FileNotFoundError:
        return None


def say(text: str, *, err: bool = False) -> None:
    """Print a line; a closed pipe ends the process quietly, as a C tool would die of SIGPIPE."""
    stream = sys.stderr if err else sys.stdout
    try:
        stream.write(text + "\n")
        stream.flush()
    except BrokenPipeError:
        os._exit(141)
