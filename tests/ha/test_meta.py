"""What hassfest would check for a custom integration: manifest, translations, services."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from awesomeversion import AwesomeVersion

from custom_components.spark_control.const import DOMAIN

PACKAGE = Path(__file__).parents[2] / "custom_components" / DOMAIN
KEY_PATTERN = re.compile(r"^[a-z0-9_-]+$")


def _json(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((PACKAGE / name).read_text(encoding="utf-8"))
    return data


def _ha_layer_sources() -> dict[Path, str]:
    return {
        path: path.read_text(encoding="utf-8")
        for path in PACKAGE.glob("*.py")  # the HA layer; api/ has no translations
    }


def test_manifest_keys_and_order() -> None:
    manifest = _json("manifest.json")
    keys = list(manifest)
    assert keys[:2] == ["domain", "name"]
    assert keys[2:] == sorted(keys[2:])
    assert manifest["domain"] == PACKAGE.name == DOMAIN
    for required in ("codeowners", "documentation", "issue_tracker", "iot_class", "version"):
        assert manifest[required], required
    assert AwesomeVersion(manifest["version"]).valid
    assert manifest["config_flow"] is True
    assert manifest["integration_type"] == "hub"
    assert manifest["iot_class"] == "local_polling"
    assert "http" in manifest["dependencies"]
    assert all("==" in req for req in manifest["requirements"])
    allowed = {
        "domain", "name", "after_dependencies", "codeowners", "config_flow", "dependencies",
        "documentation", "integration_type", "iot_class", "issue_tracker", "loggers",
        "requirements", "version",
    }  # fmt: skip
    assert set(keys) <= allowed


def test_strings_equal_english_translation() -> None:
    strings = (PACKAGE / "strings.json").read_text(encoding="utf-8")
    english = (PACKAGE / "translations" / "en.json").read_text(encoding="utf-8")
    assert json.loads(strings) == json.loads(english)
    assert "[%key:" not in english


def _walk_keys(node: Any, path: str = "") -> list[str]:
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            found.append(f"{path}{key}")
            found.extend(_walk_keys(value, f"{path}{key}."))
    return found


def test_translation_keys_are_lowercase() -> None:
    strings = _json("strings.json")
    for dotted in _walk_keys(strings):
        last = dotted.rsplit(".", 1)[-1]
        assert KEY_PATTERN.match(last), dotted


def test_every_config_field_has_a_description() -> None:
    strings = _json("strings.json")
    for section in ("config", "options"):
        for step_id, step in strings[section]["step"].items():
            assert set(step.get("data", {})) == set(step.get("data_description", {})), step_id


def test_every_translation_key_in_code_exists() -> None:
    strings = _json("strings.json")
    known: set[str] = set(strings["exceptions"]) | set(strings["issues"])
    known |= set(strings["selector"])
    for platform in strings["entity"].values():
        known |= set(platform)
    used: set[str] = set()
    for source in _ha_layer_sources().values():
        used |= set(re.findall(r'translation_key\s*=\s*"([a-z0-9_]+)"', source))
        used |= set(re.findall(r'TranslationError\(\s*"([a-z0-9_]+)"', source))
    assert used, "the HA layer uses translation keys"
    assert used <= known, sorted(used - known)


def test_entity_icons_exist_for_entity_translations() -> None:
    strings = _json("strings.json")
    icons = _json("icons.json")
    for platform, entries in strings["entity"].items():
        for key in entries:
            # a temperature device class brings its own icon
            has_icon = key in icons["entity"].get(platform, {}) or key == "gpu_temperature"
            assert has_icon, f"{platform}.{key}"
    for platform, entries in icons["entity"].items():
        assert set(entries) <= set(strings["entity"][platform]), platform


def test_services_yaml_matches_strings_and_icons() -> None:
    services = yaml.safe_load((PACKAGE / "services.yaml").read_text(encoding="utf-8"))
    strings = _json("strings.json")["services"]
    icons = _json("icons.json")["services"]
    assert set(services) == set(strings) == set(icons)
    for name, spec in services.items():
        assert strings[name]["name"] and strings[name]["description"]
        fields = spec.get("fields", {})
        assert "config_entry_id" in fields, name
        assert fields["config_entry_id"]["selector"] == {"config_entry": {"integration": DOMAIN}}
        assert set(fields) == set(strings[name]["fields"]), name
        for field in strings[name]["fields"].values():
            assert field["name"] and field["description"]
        for field in fields.values():
            translation_key = next(iter(field["selector"].values()) or [{}], None)
            if isinstance(translation_key, dict) and "translation_key" in translation_key:
                assert translation_key["translation_key"] in _json("strings.json")["selector"]


def test_quality_scale_lists_every_rule_honestly() -> None:
    rules = yaml.safe_load((PACKAGE / "quality_scale.yaml").read_text(encoding="utf-8"))["rules"]
    assert len(rules) == 52
    for rule, status in rules.items():
        if isinstance(status, dict):
            assert status["status"] in ("done", "exempt"), rule
            assert len(status["comment"]) > (20 if status["status"] == "exempt" else 5), rule
            if rule.startswith("docs-"):
                assert (PACKAGE / "DOCS.md").is_file()
        else:
            assert status == "done", rule


@pytest.mark.parametrize("name", ["strings.json", "icons.json", "manifest.json"])
def test_json_files_are_two_space_indented(name: str) -> None:
    text = (PACKAGE / name).read_text(encoding="utf-8")
    assert text == json.dumps(json.loads(text), indent=2, ensure_ascii=False) + "\n"
