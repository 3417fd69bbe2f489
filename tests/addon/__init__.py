"""Tests of gpu_addon (add-on environment: Python 3.11, CPU torch, NeMo)."""
