"""Simulated DGX Spark pair (SSH, real bash, shims, fake vLLM/Parakeet/Magpie) for tests and demo.

Exports are lazy so that the shims (`python -m spark_sim.tools.docker`) start without
importing asyncssh.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from spark_sim.config import Dialect, PairConfig
    from spark_sim.faults import FaultControl
    from spark_sim.node import SimNode
    from spark_sim.pair import SimPair

__all__ = ["Dialect", "FaultControl", "PairConfig", "SimNode", "SimPair"]
_HOMES = {
    "Dialect": "spark_sim.config",
    "PairConfig": "spark_sim.config",
    "FaultControl": "spark_sim.faults",
    "SimNode": "spark_sim.node",
    "SimPair": "spark_sim.pair",
}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        import importlib

        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(name)
