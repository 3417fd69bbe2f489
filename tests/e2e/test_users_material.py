"""Fast checks of the users' material (the browser test loads the same files into a real HA).

hacs.json and the repository layout against HACS's published rules, the blueprint against HA's
blueprint schema and the integration's real event, the dashboard and REST example for shape.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml
from awesomeversion import AwesomeVersion
from homeassistant.components.blueprint import models, schemas
from homeassistant.const import __version__ as HA_VERSION
from homeassistant.util.yaml import load_yaml_dict

from custom_components.spark_control.api.models import SwapState
from custom_components.spark_control.const import EVENT_SWAP

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"
BLUEPRINT = DOCS / "blueprints" / "automation" / "spark_control" / "swap_failed_notify.yaml"
# hacs/documentation source/docs/publish/start.md: the keys hacs.json may carry.
HACS_KEYS = {
    "name",
    "content_in_root",
    "zip_release",
    "filename",
    "hide_default_branch",
    "country",
    "homeassistant",
    "hacs",
    "persistent_directory",
}
# What HACS requires of an integration's manifest (publish/integration.md).
HACS_MANIFEST_KEYS = {"domain", "documentation", "issue_tracker", "codeowners", "name", "version"}
ENTITY_ID = re.compile(r"^[a-z_]+\.[a-z0-9_]+$")
PLATFORMS = {"select", "sensor", "binary_sensor", "switch", "button", "update"}


def test_hacs_json_follows_hacs_rules() -> None:
    """Only known keys, a name, and a minimum HA version this project's HA satisfies."""
    data = json.loads((REPO / "hacs.json").read_text())
    assert set(data) <= HACS_KEYS, set(data) - HACS_KEYS
    assert isinstance(data["name"], str)
    assert data["name"]
    minimum = AwesomeVersion(data["homeassistant"])
    assert minimum.valid
    assert minimum <= AwesomeVersion(HA_VERSION)
    assert not data.get("content_in_root", False)


def test_repository_layout_is_what_hacs_expects() -> None:
    """Exactly one integration under custom_components/, a README, a HACS-complete manifest."""
    integrations = [
        p for p in (REPO / "custom_components").iterdir() if p.is_dir() and p.name != "__pycache__"
    ]
    assert [p.name for p in integrations] == ["spark_control"]
    assert (REPO / "README.md").is_file()
    manifest = json.loads((integrations[0] / "manifest.json").read_text())
    assert set(manifest) >= HACS_MANIFEST_KEYS
    assert manifest["domain"] == integrations[0].name
    assert AwesomeVersion(manifest["version"]).valid


def test_time_blueprint_is_valid_and_selects_a_spark_control_model() -> None:
    """The time-of-day blueprint validates and acts through the model select."""
    data = load_yaml_dict(DOCS / "blueprints/automation/spark_control/swap_model_at_time.yaml")
    blueprint = models.Blueprint(
        data, expected_domain="automation", schema=schemas.BLUEPRINT_SCHEMA
    )
    assert set(blueprint.inputs) == {"model_select", "model", "at", "swap_state"}
    (action,) = data["actions"]
    assert action["action"] == "select.select_option"


def test_blueprint_is_valid_and_listens_to_the_real_event() -> None:
    """HA's own blueprint schema accepts it and it triggers on our swap event's failed state."""
    data = load_yaml_dict(BLUEPRINT)
    blueprint = models.Blueprint(
        data, expected_domain="automation", schema=schemas.BLUEPRINT_SCHEMA
    )
    assert blueprint.domain == "automation"
    assert set(blueprint.inputs) == {"title", "extra_actions"}
    (trigger,) = data["triggers"]
    assert trigger["event_type"] == EVENT_SWAP
    assert trigger["event_data"]["state"] == SwapState.FAILED.value


def _entities(node: Any) -> list[str]:
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("entity", "entity_id") and isinstance(value, str):
                found.append(value)
            else:
                found.extend(_entities(value))
    elif isinstance(node, list):
        for item in node:
            found.extend(_entities(item))
    return found


def test_dashboard_names_only_spark_control_and_discovery_entities() -> None:
    """Every entity is a well-formed id on one of our platforms (the E2E checks they render)."""
    dashboard = yaml.safe_load((DOCS / "dashboard.yaml").read_text())
    entities = _entities(dashboard["views"])
    assert len(entities) >= 20
    for entity_id in entities:
        assert ENTITY_ID.match(entity_id), entity_id
        assert entity_id.split(".")[0] in PLATFORMS, entity_id
    assert "select.vllm_cluster_model" in entities
    assert "sensor.spark_vllm_base_url" in entities


class _SecretLoader(yaml.SafeLoader):
    """SafeLoader that shows `!secret name` as `<secret name>`."""


_SecretLoader.add_constructor("!secret", lambda _loader, node: f"<secret {node.value}>")


def test_rest_example_reads_the_discovery_view_with_a_token() -> None:
    """The REST example points at our view, sends the bearer secret and reads vllm.base_url."""
    text = (DOCS / "rest_sensor.yaml").read_text()
    data = yaml.load(text, Loader=_SecretLoader)  # noqa: S506 - a SafeLoader subclass
    (rest,) = data["rest"]
    assert rest["resource"].endswith("/api/spark_control/endpoints")
    assert rest["headers"]["Authorization"] == "<secret spark_control_bearer>"
    templates = [sensor["value_template"] for sensor in rest["sensor"]]
    assert any("value_json" in t and ".vllm.base_url" in t for t in templates), templates
