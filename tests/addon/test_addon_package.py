"""The gpu_addon folder is a valid Home Assistant add-on, and its options reach the service."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from spark_diarizer.config import Settings, load_settings

ADDON = Path(__file__).resolve().parents[2] / "gpu_addon"
REQUIRED = {"name", "version", "slug", "description", "arch"}
KNOWN_KEYS = REQUIRED | {
    "url", "startup", "boot", "init", "ports", "ports_description", "map", "watchdog", "options",
    "schema", "image", "environment", "host_network", "devices", "privileged", "panel_icon",
    "webui", "ingress", "ingress_port", "stage", "timeout", "homeassistant", "backup",
}  # fmt: skip
ARCHES = {"armhf", "armv7", "aarch64", "amd64", "i386"}
MAP_TYPES = {
    "homeassistant_config", "addon_config", "ssl", "addons", "backup", "share", "media",
    "all_addon_configs", "data",
}  # fmt: skip
# https://developers.home-assistant.io/docs/add-ons/configuration#options--schema
SCHEMA_TYPE = re.compile(
    r"^(str(\(\d*,\d*\))?|bool|int(\(-?\d*,-?\d*\))?|float(\(-?[\d.]*,-?[\d.]*\))?|email|url"
    r"|password|port|device(\(.+\))?|match\(.+\)|list\([^|()]+(\|[^|()]+)*\))\??$"
)


@pytest.fixture(scope="module")
def config() -> dict:
    return yaml.safe_load((ADDON / "config.yaml").read_text())


def test_config_yaml_follows_addon_rules(config: dict) -> None:
    assert set(config) >= REQUIRED
    assert set(config) <= KNOWN_KEYS, set(config) - KNOWN_KEYS
    assert re.fullmatch(r"[a-z0-9_]+", config["slug"])
    assert isinstance(config["version"], str)
    assert {"aarch64", "amd64"} <= set(config["arch"]) <= ARCHES
    assert config["startup"] in {"initialize", "system", "services", "application", "once"}
    assert config["boot"] in {"auto", "manual"}
    for port, host_port in config["ports"].items():
        assert re.fullmatch(r"\d+/(tcp|udp)", port)
        assert host_port is None or 1 <= host_port <= 65535
    assert set(config["ports_description"]) <= set(config["ports"])
    for entry in config["map"]:
        kind = entry["type"] if isinstance(entry, dict) else entry.split(":")[0]
        assert kind in MAP_TYPES
    kinds = [e["type"] if isinstance(e, dict) else e.split(":")[0] for e in config["map"]]
    assert "share" in kinds


def test_options_and_schema_agree(config: dict) -> None:
    options, schema = config["options"], config["schema"]
    assert set(options) <= set(schema)
    # an optional option (type ending in ?) cannot have a default, so it is absent from options
    assert {k for k, kind in schema.items() if not kind.endswith("?")} == set(options)
    assert schema["api_token"] == "password?"
    for key, kind in schema.items():
        assert SCHEMA_TYPE.match(kind), f"{key}: {kind}"
        if key not in options:
            continue
        value = options[key]
        if kind.startswith("list("):
            assert str(value) in kind[5:-1].split("|")
        elif kind.startswith("match("):
            assert re.fullmatch(kind[6:-1], str(value))
        elif kind.startswith(("int", "float")):
            low, high = (float(x) if x else None for x in kind[kind.index("(") + 1 : -1].split(","))
            assert (low is None or value >= low) and (high is None or value <= high)
    fields = set(Settings.__dataclass_fields__)
    assert set(schema) <= fields, "every add-on option must be a service setting"


def test_options_json_reaches_the_service(config: dict, tmp_path: Path) -> None:
    """What Home Assistant writes to /data/options.json is what the service runs with."""
    options_path = tmp_path / "options.json"
    options_path.write_text(json.dumps({**config["options"], "max_queue": 11}))
    settings = load_settings([], {"SPARK_DIARIZER_OPTIONS": str(options_path)})
    assert settings.max_queue == 11
    assert settings.backend == config["options"]["backend"]
    assert settings.sortformer_model_path == config["options"]["sortformer_model_path"]


def test_translations_cover_every_option(config: dict) -> None:
    translations = yaml.safe_load((ADDON / "translations" / "en.yaml").read_text())
    assert set(translations["configuration"]) == set(config["schema"])
    assert all(
        entry["name"] and entry["description"] for entry in translations["configuration"].values()
    )
    assert set(translations["network"]) == set(config["ports"])


def test_container_files() -> None:
    dockerfile = (ADDON / "Dockerfile").read_text()
    assert re.search(r"^FROM \$\{BUILD_FROM\}", dockerfile, re.MULTILINE)
    assert "nvcr.io/nvidia/" in dockerfile  # a CUDA base image
    assert "EXPOSE 8010" in dockerfile
    build = yaml.safe_load((ADDON / "build.yaml").read_text())
    assert {"aarch64", "amd64"} <= set(build["build_from"])
    run_sh = ADDON / "run.sh"
    assert run_sh.stat().st_mode & 0o111
    subprocess.run(["bash", "-n", str(run_sh)], check=True, timeout=30)
    docs = (ADDON / "DOCS.md").read_text()
    for needle in ("/share/spark_diarizer", "diarize-chunk", "Retry-After", "max_speakers"):
        assert needle in docs
