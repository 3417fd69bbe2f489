"""Our own version of what hassfest (translations, manifest, dependencies) and HACS check.

hassfest is not installable from PyPI and needs GitHub, so CI here cannot run it; the GitHub
workflow in .github/workflows/validate.yml runs the real one. These tests check the same rules,
written from reading script/hassfest/ in home-assistant/core, so a mistake fails `make test`.
"""

from __future__ import annotations

import ast
import json
import re
import string
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import homeassistant.components
import pytest
import yaml
from awesomeversion import AwesomeVersion, AwesomeVersionStrategy
from PIL import Image
from yarl import URL

from custom_components.spark_control.const import DOMAIN

ROOT = Path(__file__).parents[2]
PACKAGE = ROOT / "custom_components" / DOMAIN
CORE_COMPONENTS = Path(homeassistant.components.__file__).parent
TRANSLATION_FILES = ("strings.json", "translations/en.json")

# A translation key: lowercase letters, digits, _ and -, never doubled, never at either end.
KEY = re.compile(r"^(?![_-])(?!.*[_-]{2})[a-z0-9_-]+(?<![_-])$")
# Stricter than hassfest's own pattern: any scheme:// or www. counts as a URL.
URL_LIKE = re.compile(r"\b[a-z][a-z0-9+.-]*://|\bwww\.", re.IGNORECASE)
HTML_TAG = re.compile(r"<[a-z/!][^>]*>", re.IGNORECASE)
QUOTED_PLACEHOLDER = re.compile(r"'\{\w+\}'")
STEP_KEYS = {
    "title",
    "description",
    "data",
    "data_description",
    "menu_options",
    "menu_option_descriptions",
    "submit",
    "sections",
}


def _strings(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((PACKAGE / name).read_text(encoding="utf-8"))
    return data


def _leaves(node: Any, path: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _leaves(value, f"{path}.{key}" if path else key)
    else:
        yield path, node


def _keys(node: Any, path: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield path, key
            yield from _keys(value, f"{path}.{key}" if path else key)


def _placeholders(text: str) -> list[str]:
    return [field for _, field, _, _ in string.Formatter().parse(text) if field is not None]


@pytest.mark.parametrize("name", TRANSLATION_FILES)
def test_translation_values(name: str) -> None:
    """Every string: no URL, no HTML, no quoted or malformed placeholder, no outer spaces."""
    problems: list[str] = []
    for path, value in _leaves(_strings(name)):
        if not isinstance(value, str):
            problems.append(f"{path}: not a string")
            continue
        if URL_LIKE.search(value):
            problems.append(f"{path}: contains a URL (use a description placeholder)")
        if HTML_TAG.search(value):
            problems.append(f"{path}: contains HTML")
        if QUOTED_PLACEHOLDER.search(value):
            problems.append(f"{path}: placeholder inside single quotes")
        if value != value.strip():
            problems.append(f"{path}: leading or trailing whitespace")
        if "[%key:" in value and not re.fullmatch(r"\[%key:[^%]+%\]", value):
            problems.append(f"{path}: reference combined with text")
        try:
            fields = _placeholders(value)
        except ValueError as err:
            problems.append(f"{path}: {err}")
            continue
        for field in fields:
            if not field.isidentifier():
                problems.append(f"{path}: placeholder {{{field}}} is not an identifier")
        if fields and (".state." in f".{path}." and path.startswith("entity.")):
            problems.append(f"{path}: entity states take no placeholders")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", TRANSLATION_FILES)
def test_translation_keys(name: str) -> None:
    """Keys below the top level follow hassfest's translation-key pattern."""
    bad = [
        f"{parent}.{key}"
        for parent, key in _keys(_strings(name))
        if parent and not KEY.match(key) and not parent.endswith(("data", "data_description"))
    ]
    assert not bad, bad


def _flows(strings: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for section in ("config", "options"):
        if section in strings:
            yield section, strings[section]
    for issue_id, issue in strings.get("issues", {}).items():
        if "fix_flow" in issue:
            yield f"issues.{issue_id}.fix_flow", issue["fix_flow"]


def test_flow_steps() -> None:
    """Steps use only known keys; every data_description names a field in data."""
    strings = _strings("strings.json")
    for where, flow in _flows(strings):
        assert set(flow) <= {"flow_title", "step", "error", "abort", "progress", "create_entry"}
        for step_id, step in flow["step"].items():
            assert set(step) <= STEP_KEYS, f"{where}.{step_id}"
            extra = set(step.get("data_description", {})) - set(step.get("data", {}))
            assert not extra, f"{where}.{step_id}: {extra}"


def test_issues_have_title_and_one_body() -> None:
    """An issue has a title and either a description or a fix flow, never both."""
    for issue_id, issue in _strings("strings.json")["issues"].items():
        assert issue.get("title"), issue_id
        assert ("description" in issue) != ("fix_flow" in issue), issue_id


def test_exceptions_have_messages() -> None:
    """Each exception translation is {"message": ...}."""
    for key, value in _strings("strings.json")["exceptions"].items():
        assert set(value) == {"message"} and value["message"], key


def _python_sources() -> dict[Path, ast.Module]:
    return {
        path: ast.parse(path.read_text(encoding="utf-8")) for path in sorted(PACKAGE.glob("*.py"))
    }


def test_flow_steps_in_code_have_strings() -> None:
    """Every step_id the flows show has a title or description, and menus name their options."""
    strings = _strings("strings.json")
    config_steps = set(strings["config"]["step"])
    options_steps = set(strings["options"]["step"])
    source = (PACKAGE / "config_flow.py").read_text(encoding="utf-8")
    shown = set(re.findall(r'step_id="([a-z_]+)"', source))
    shown |= set(re.findall(r'"addresses" if reconfigure else "([a-z_]+)"', source))
    assert shown <= config_steps | options_steps, sorted(shown - config_steps - options_steps)
    for step, menu in re.findall(r'step_id="([a-z_]+)", menu_options=\[([^\]]+)\]', source):
        options = set(re.findall(r'"([a-z_]+)"', menu))
        flow = "config" if step in config_steps else "options"
        steps = config_steps if flow == "config" else options_steps
        assert options == set(strings[flow]["step"][step]["menu_options"])
        assert options <= steps


def test_placeholders_in_issue_strings_are_supplied() -> None:
    """Placeholders of an issue's description are passed where the issue is created."""
    strings = _strings("strings.json")["issues"]
    code = "\n".join(path.read_text(encoding="utf-8") for path in PACKAGE.glob("*.py"))
    for issue_id, issue in strings.items():
        for field in _placeholders(issue.get("description", "")):
            assert f'"{field}"' in code, f"issues.{issue_id}: {{{field}}} is never supplied"


def test_manifest_like_hassfest() -> None:
    """Schema, domain, version strategies, URLs, codeowners, requirement pins, no collision."""
    manifest = _strings("manifest.json")
    assert manifest["domain"] == PACKAGE.name
    assert not (CORE_COMPONENTS / manifest["domain"]).exists(), "collides with a core domain"
    AwesomeVersion(
        manifest["version"],
        ensure_strategy=[
            AwesomeVersionStrategy.CALVER,
            AwesomeVersionStrategy.SEMVER,
            AwesomeVersionStrategy.SIMPLEVER,
            AwesomeVersionStrategy.BUILDVER,
            AwesomeVersionStrategy.PEP440,
        ],
    )
    for key in ("documentation", "issue_tracker"):
        url = URL(manifest[key])
        assert url.scheme == "https" and url.host, key
        assert url.host != "www.home-assistant.io", "custom docs cannot live on home-assistant.io"
    assert all(re.fullmatch(r"@[A-Za-z0-9-]+(/[A-Za-z0-9-]+)?", o) for o in manifest["codeowners"])
    assert all(
        re.fullmatch(r"[A-Za-z0-9_.-]+==[0-9][A-Za-z0-9.+-]*", r) for r in manifest["requirements"]
    )
    assert manifest["iot_class"] in {
        "assumed_state", "calculated", "cloud_polling", "cloud_push", "local_polling", "local_push",
    }  # fmt: skip
    assert manifest["integration_type"] in {
        "device", "entity", "hardware", "helper", "hub", "service", "system", "virtual",
    }  # fmt: skip
    for dependency in (*manifest.get("dependencies", []), *manifest.get("after_dependencies", [])):
        assert (CORE_COMPONENTS / dependency / "manifest.json").is_file(), dependency
    assert manifest["config_flow"] == (PACKAGE / "config_flow.py").is_file()


def test_used_components_are_declared() -> None:
    """Like hassfest's dependencies check: importing another integration needs it declared."""
    manifest = _strings("manifest.json")
    declared = {*manifest.get("dependencies", []), *manifest.get("after_dependencies", [])}
    # Entity platforms we provide, and helpers hassfest lets any integration use.
    platforms = {path.stem for path in PACKAGE.glob("*.py")} & {
        path.name for path in CORE_COMPONENTS.iterdir()
    }
    allowed = declared | platforms | {"diagnostics", "repairs", "system_health"}
    used: set[str] = set()
    for tree in _python_sources().values():
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                parts = node.module.split(".")
                if parts[:2] == ["homeassistant", "components"]:
                    if len(parts) > 2:
                        used.add(parts[2])
                    else:
                        used |= {alias.name for alias in node.names}
    assert used, "the HA layer imports entity components"
    assert used <= allowed, sorted(used - allowed)


def test_services_yaml_loads_and_is_described() -> None:
    """services.yaml parses and each action is translated (hassfest services plugin)."""
    services = yaml.safe_load((PACKAGE / "services.yaml").read_text(encoding="utf-8"))
    assert set(services) == set(_strings("strings.json")["services"])


# --- brand (HA >= 2026.3 reads custom_components/<domain>/brand/; HACS requires it) -----------


@pytest.mark.parametrize(
    ("name", "size"),
    [("icon.png", (256, 256)), ("icon@2x.png", (512, 512))],
)
def test_brand_icons(name: str, size: tuple[int, int]) -> None:
    """Square icons of the exact size, PNG with transparency, not blank."""
    with Image.open(PACKAGE / "brand" / name) as image:
        assert image.format == "PNG"
        assert image.size == size
        assert image.mode == "RGBA"
        alpha = image.getchannel("A")
        assert alpha.getextrema() == (0, 255)  # transparent corners, opaque artwork
        assert len(image.getcolors(maxcolors=1 << 20) or []) > 8


@pytest.mark.parametrize(
    ("name", "shortest"),
    [
        ("logo.png", (128, 256)),
        ("logo@2x.png", (256, 512)),
        ("dark_logo.png", (128, 256)),
        ("dark_logo@2x.png", (256, 512)),
    ],
)
def test_brand_logos(name: str, shortest: tuple[int, int]) -> None:
    """Landscape logos, shortest side within the rules, trimmed of empty borders."""
    with Image.open(PACKAGE / "brand" / name) as image:
        assert image.format == "PNG"
        assert image.mode == "RGBA"
        assert image.width >= image.height
        assert shortest[0] <= min(image.size) <= shortest[1]
        assert image.getchannel("A").getbbox() == (0, 0, image.width, image.height)


def test_brand_has_only_known_files() -> None:
    """Only the names HA's brand rules know."""
    allowed = {
        f"{dark}{kind}{dpi}.png"
        for dark in ("", "dark_")
        for kind in ("icon", "logo")
        for dpi in ("", "@2x")
    }
    present = {path.name for path in (PACKAGE / "brand").iterdir()}
    assert {"icon.png", "icon@2x.png", "logo.png"} <= present <= allowed


def test_hacs_json() -> None:
    """HACS: a name, a minimum HA version that parses, only known keys; one integration."""
    hacs = json.loads((ROOT / "hacs.json").read_text(encoding="utf-8"))
    assert hacs["name"]
    assert AwesomeVersion(hacs["homeassistant"]).valid
    known = {
        "name", "content_in_root", "zip_release", "filename", "hide_default_branch",
        "country", "homeassistant", "hacs", "persistent_directory",
    }  # fmt: skip
    assert set(hacs) <= known
    assert [path.name for path in (ROOT / "custom_components").iterdir() if path.is_dir()
            and not path.name.startswith("__")] == [DOMAIN]  # fmt: skip
    assert (ROOT / "README.md").is_file()


def test_validation_workflow_runs_hassfest_and_hacs() -> None:
    """The published repository validates itself on GitHub (it cannot run here)."""
    workflow = yaml.safe_load(
        (ROOT / ".github" / "workflows" / "validate.yml").read_text(encoding="utf-8")
    )
    steps = [step for job in workflow["jobs"].values() for step in job["steps"]]
    uses = [step.get("uses", "") for step in steps]
    assert any(use.startswith("home-assistant/actions/hassfest@") for use in uses)
    hacs = [step for step in steps if step.get("uses", "").startswith("hacs/action@")]
    assert hacs and hacs[0]["with"]["category"] == "integration"
