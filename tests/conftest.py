"""Root conftest: imported by both environments, so it must not import Home Assistant or torch.

Environment-specific fixtures live next to the tests that use them (tests/ha/conftest.py,
tests/addon/conftest.py, ...).
"""
