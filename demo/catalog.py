"""The two models the demo's simulated Sparks have on disk (both are in the bundled catalog)."""

from __future__ import annotations

INITIAL_MODEL = "RedHatAI/Qwen3.6-35B-A3B-NVFP4"  # loaded when the demo starts
SECOND_MODEL = "google/gemma-4-26B-A4B-it"  # what the guide and the E2E test swap to
