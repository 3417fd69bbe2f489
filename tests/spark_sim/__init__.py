"""Simulated DGX Spark pair (SSH, real bash, shims, fake vLLM/Parakeet/Magpie) for tests and demo.

Exports are lazy so that the shims (`python -m tests.spark_sim.tools.docker`) start without
importing asyncssh.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.spark_sim.config import Dialect, PairConfig
    from tests.spark_sim.faults import FaultControl
    from tests.spark_sim.node import SimNode
    from tests.spark_sim.pair import SimPair

__all__ = ["Dialect", "FaultControl", "PairConfig", "SimNode", "SimPair"]
_HOMES = {
    "Dialect": "tests.spark_sim.config",
    "PairConfig": "tests.spark_sim.config",
    "FaultControl": "tests.spark_sim.faults",
    "SimNode": "tests.spark_sim.node",
    "SimPair": "tests.spark_sim.pair",
}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        import importlib

        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(name)
