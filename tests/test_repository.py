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


def _imported_modules(path: Path) -> set[str]:
    """Every module a Python file imports (absolute names; relative ones resolved by level)."""
    import ast

    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = list(path.relative_to(ROOT).with_suffix("").parts[:-1])
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                found.add(".".join([*base, *([node.module] if node.module else [])]))
            elif node.module:
                found.add(node.module)
    return found


def test_imported_modules_reads_absolute_and_relative_imports() -> None:
    """The parser below must see every import form, or the next two tests prove nothing."""
    sample = ROOT / "custom_components" / "spark_control" / "api" / "client.py"
    modules = _imported_modules(sample)
    assert "asyncssh" in modules
    assert "custom_components.spark_control.api.catalog" in modules
    assert "custom_components.spark_control.api" in modules  # `from . import commands`


def test_api_imports_no_home_assistant() -> None:
    """The Spark client is a plain asyncio library: nothing under api/ imports homeassistant."""
    api = ROOT / "custom_components" / "spark_control" / "api"
    files = sorted(api.rglob("*.py"))
    assert files
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            name for name in _imported_modules(path) if name.split(".")[0] == "homeassistant"
        )
        for path in files
    }
    assert {path: names for path, names in offenders.items() if names} == {}


@pytest.mark.parametrize("folder", ["demo", "benchmarks"])
def test_demo_and_benchmarks_import_nothing_from_tests(folder: str) -> None:
    """Simulator and evaluation helpers are packages: demo/ and benchmarks/ never use tests/."""
    files = sorted((ROOT / folder).rglob("*.py"))
    assert files
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            name for name in _imported_modules(path) if name.split(".")[0] == "tests"
        )
        for path in files
    }
    assert {path: names for path, names in offenders.items() if names} == {}
