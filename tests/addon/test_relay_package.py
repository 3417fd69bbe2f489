"""relay_lib installs as a package: `pip install ./relay_lib[ray]` gives a working `relay` command.

Installed with uv from its cache only (`--offline`: make setup has put every wheel there), into a
throwaway venv, from a copy of the folder (the build must not leave files in the repository), and
run from outside the repository so nothing but the installed package can be imported.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
UV = REPO / ".venv" / "tools" / "bin" / "uv"

pytestmark = pytest.mark.timeout(600)


def test_pip_install_gives_the_relay_command(tmp_path: Path) -> None:
    source = tmp_path / "src" / "relay_lib"
    shutil.copytree(REPO / "relay_lib", source, ignore=shutil.ignore_patterns("__pycache__"))
    venv = tmp_path / "venv"
    subprocess.run([str(UV), "venv", "-q", "--python", sys.executable, str(venv)], check=True)
    subprocess.run(
        [str(UV), "pip", "install", "-q", "--offline", "--python", str(venv / "bin" / "python"),
         f"{source}[ray]"],
        check=True, timeout=540,
    )  # fmt: skip
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    relay = venv / "bin" / "relay"
    help_text = subprocess.run(
        [str(relay), "batch", "--help"], cwd=outside, check=True, capture_output=True, text=True
    ).stdout
    assert "--ray local|ADDRESS" in help_text
    usage = subprocess.run(
        [str(relay), str(outside / "missing.wav"), "--addon", "http://127.0.0.1:9"],
        cwd=outside, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert usage.returncode == 3, usage.stderr  # the documented exit code for unreadable input
    probe = (
        "import relay_lib, ray, pathlib, sys;"
        "from relay_lib.result import SCHEMA_PATH;"
        "assert SCHEMA_PATH.is_file(), SCHEMA_PATH;"
        "assert 'site-packages' in relay_lib.__file__, relay_lib.__file__;"
        "print(ray.__version__)"
    )
    version = subprocess.run(
        [str(venv / "bin" / "python"), "-c", probe], cwd=outside, check=True,
        capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    assert version == "2.60.0"
