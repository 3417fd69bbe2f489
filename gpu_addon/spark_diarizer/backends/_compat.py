"""Import shims for third-party packages that still expect a removed setuptools API."""

from __future__ import annotations

import importlib.util
import sys
import types
from importlib.metadata import version


def ensure_pkg_resources() -> None:
    """Give the legacy `webrtcvad` module (pulled in by resemblyzer) the one call it makes.

    The plain `webrtcvad` sdist imports `pkg_resources` only to read its own version; current
    setuptools no longer ships it, and when that sdist is installed over `webrtcvad-wheels` the
    import of resemblyzer fails. A stub with `get_distribution(name).version` is enough.
    """
    if "pkg_resources" in sys.modules or importlib.util.find_spec("pkg_resources") is not None:
        return
    stub = types.ModuleType("pkg_resources")

    def get_distribution(name: str) -> types.SimpleNamespace:
        return types.SimpleNamespace(project_name=name, version=version(name))

    stub.get_distribution = get_distribution  # type: ignore[attr-defined]
    sys.modules["pkg_resources"] = stub
