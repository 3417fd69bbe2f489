"""Fixtures for the HA-side job benchmarks (run by benchmarks/bench_ha_jobs.py, not make test)."""

from __future__ import annotations

from spark_sim.fixtures import *  # noqa: F403

# No autouse fixture here: the recorder must be set up before `hass`, so each measurement
# asks for `enable_custom_integrations` itself, after `recorder_mock` where it needs one.
