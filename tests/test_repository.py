"""Promises about the repository itself that a fresh clone on another machine depends on."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PINNED = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(\[[A-Za-z0-9,._-]+\])?==[A-Za-z0-9.+!_-]+$")


@pytest.mark.parametrize("lock", ["ha.lock", "addon.lock"])
def test_lock_pins_index_releases_only(lock: str) -> None:
    """Every line is `name==version`: a `name @ file:///...` line installs only where it lies."""
    lines = [
        line.strip()
        for line in (ROOT / "requirements" / lock).read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert lines
    unpinned = [line for line in lines if not PINNED.match(line)]
    assert unpinned == []
