"""The supported Home Assistant versions: one declared minimum, snapshots kept per version."""

from __future__ import annotations

import json
import re
from pathlib import Path

from awesomeversion import AwesomeVersion
from homeassistant.const import __version__ as HA_VERSION

from custom_components.spark_control.compat import MIN_HA_VERSION

ROOT = Path(__file__).parents[2]
HERE = Path(__file__).parent
# What one release's registry serialisation has and the other's lacks, read from the two
# versions' own snapshots; anything else that differs between them is a real difference.
#   2025.4 only: device entries' `is_new` and `suggested_area`.
#   2026.2 only: entity entries' `object_id_base` and `suggested_object_id`, and a sensor's
#   suggested display precision copied into its registry options.
VERSION_ONLY = re.compile(
    r"^ *'(is_new|suggested_area|object_id_base|suggested_object_id)': .*,\n"
    r"|^ *'sensor': dict\(\{\n *'suggested_display_precision': \d+,\n *\}\),\n",
    re.MULTILINE,
)


def test_minimum_is_declared_once() -> None:
    """hacs.json, the README and the docs state the minimum compat.py declares."""
    hacs = json.loads((ROOT / "hacs.json").read_text(encoding="utf-8"))
    assert hacs["homeassistant"] == MIN_HA_VERSION
    series = ".".join(MIN_HA_VERSION.split(".")[:2])
    assert f"Home Assistant **{series}** or newer" in (ROOT / "README.md").read_text("utf-8")
    assert f"**Minimum: {series}.**" in (ROOT / "docs" / "ha-versions.md").read_text("utf-8")


def test_running_version_is_supported() -> None:
    """The suite never runs (and so never proves anything) below the declared minimum."""
    assert AwesomeVersion(HA_VERSION) >= AwesomeVersion(MIN_HA_VERSION)


def _normalised(path: Path) -> list[str]:
    return VERSION_ONLY.sub("", path.read_text(encoding="utf-8")).splitlines()


def test_snapshots_differ_only_in_serialisation() -> None:
    """Every version's snapshots say the same about the integration.

    Each version keeps its own snapshot files; this keeps them from drifting apart (one
    updated and not the other, or one regenerated over a behaviour change).
    """
    versions = sorted(HERE.glob("snapshots-*"), key=lambda p: AwesomeVersion(p.name[10:]))
    assert len(versions) >= 2, versions
    oldest, *newer = versions
    for other in newer:
        assert sorted(p.name for p in other.glob("*.ambr")) == sorted(
            p.name for p in oldest.glob("*.ambr")
        )
        for snap in oldest.glob("*.ambr"):
            assert _normalised(snap) == _normalised(other / snap.name), (
                f"{snap.name}: {oldest.name} and {other.name} differ beyond serialisation"
            )
