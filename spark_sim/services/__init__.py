"""Fake HTTP services (vLLM, Parakeet, Magpie) that run as real processes inside fake containers."""
