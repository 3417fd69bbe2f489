"""Catalog (bundled + custom + settings, persisted through the storage interface) and keys."""

from __future__ import annotations

from dataclasses import replace

import asyncssh
import pytest

from custom_components.spark_control.api import (
    Catalog,
    InvalidInputError,
    MemoryCatalogStorage,
    ModelSettings,
    generate_key_pair,
    keys,
    load_private_key,
)
from custom_components.spark_control.api import catalog as catalog_mod

SEED_KEYS = ["qwen3-vl", "gemma4", "qwen36", "qwen3-235b-fp8", "qwen2.5-72b"]


async def test_bundled_catalog_has_the_seed_models() -> None:
    catalog = Catalog()
    assert not catalog.loaded
    await catalog.load()
    assert catalog.loaded
    models = catalog.models()
    assert [m.key for m in models] == SEED_KEYS
    assert all(m.builtin for m in models)
    qwen36 = catalog.get("qwen36")
    assert qwen36 is not None
    assert qwen36.repo_id == "RedHatAI/Qwen3.6-35B-A3B-NVFP4"
    assert catalog.get("RedHatAI/Qwen3.6-35B-A3B-NVFP4") == qwen36
    assert {m.mode for m in models} == {"solo", "cluster"}
    assert catalog.get("nope") is None


async def test_custom_models_and_settings_persist() -> None:
    storage = MemoryCatalogStorage()
    catalog = Catalog(storage)
    await catalog.load()
    added = await catalog.add("Org/My-Model_1.5", mode="cluster")
    assert added.key == "my-model_1.5"
    assert not added.builtin
    with pytest.raises(InvalidInputError, match="already"):
        await catalog.add("Org/My-Model_1.5")
    with pytest.raises(InvalidInputError):
        await catalog.add("Org/x", key="BAD KEY")
    with pytest.raises(InvalidInputError):
        await catalog.add("Org/y", mode="tp4")  # type: ignore[arg-type]
    settings = ModelSettings(max_model_len=8192, gpu_memory_utilization=0.6, fp8_kv_cache=True)
    await catalog.set_settings("qwen36", settings)
    await catalog.set_settings(added.key, ModelSettings(prefix_caching=False))
    with pytest.raises(InvalidInputError):
        await catalog.set_settings("missing", settings)
    with pytest.raises(InvalidInputError):
        await catalog.set_settings("qwen36", ModelSettings(gpu_memory_utilization=1.2))
    assert storage.data is not None

    reloaded = Catalog(MemoryCatalogStorage(storage.data))
    await reloaded.load()
    assert reloaded.get("qwen36").settings == settings  # type: ignore[union-attr]
    custom = reloaded.get("my-model_1.5")
    assert custom is not None
    assert custom.mode == "cluster"
    assert custom.settings.prefix_caching is False

    with pytest.raises(InvalidInputError, match="bundled"):
        await reloaded.remove("qwen36")
    with pytest.raises(InvalidInputError):
        await reloaded.remove("missing")
    await reloaded.remove("my-model_1.5")
    assert reloaded.get("my-model_1.5") is None
    assert [m.key for m in reloaded.models()] == SEED_KEYS


async def test_stored_data_is_validated() -> None:
    bad = {"custom": [{"key": "x", "repo_id": "a/b;rm", "mode": "solo"}]}
    with pytest.raises(InvalidInputError):
        await Catalog(MemoryCatalogStorage(bad)).load()
    with pytest.raises(InvalidInputError):
        catalog_mod.settings_from_dict({"max_model_len": 1024, "evil": 1})
    with pytest.raises(InvalidInputError):
        catalog_mod.validate_settings(ModelSettings(prefix_caching="yes"))  # type: ignore[arg-type]
    assert catalog_mod.key_for_repo("Org/!!!") == "model"


def test_generate_and_load_keys() -> None:
    pair = generate_key_pair()
    assert pair.public_key_line.startswith("ssh-ed25519 AAAA")
    assert pair.public_key_line.endswith(" spark_control@homeassistant")
    assert pair.fingerprint.startswith("SHA256:")
    loaded = load_private_key(pair.private_key)
    assert loaded.fingerprint == pair.fingerprint
    assert loaded.public_key_line == pair.public_key_line
    with pytest.raises(InvalidInputError):
        generate_key_pair("two words")


def test_encrypted_key_needs_the_right_passphrase() -> None:
    key = asyncssh.generate_private_key("ssh-ed25519", comment="me@laptop")
    text = key.export_private_key("openssh", passphrase="s3cret").decode()
    with pytest.raises(InvalidInputError, match="passphrase"):
        load_private_key(text)
    with pytest.raises(InvalidInputError, match="wrong"):
        load_private_key(text, "nope")
    pair = load_private_key(text, "s3cret")
    assert pair.fingerprint == key.get_fingerprint("sha256")
    assert "me@laptop" in pair.public_key_line
    assert "ENCRYPTED" not in pair.private_key or "BEGIN OPENSSH" in pair.private_key
    assert keys.import_client_key(pair.private_key).get_fingerprint("sha256") == pair.fingerprint


@pytest.mark.parametrize("text", ["", "not a key", "-----BEGIN OPENSSH PRIVATE KEY-----\nxx\n"])
def test_bad_private_keys(text: str) -> None:
    with pytest.raises(InvalidInputError, match=r"private_key|valid"):
        load_private_key(text)
    with pytest.raises(InvalidInputError):
        keys.import_client_key(text)


def test_public_key_helpers() -> None:
    pair = generate_key_pair()
    key = keys.import_public_key(pair.public_key_line)
    line, fingerprint = keys.describe_public_key(key)
    assert fingerprint == pair.fingerprint
    assert line == " ".join(pair.public_key_line.split()[:2])
    with pytest.raises(InvalidInputError):
        keys.import_public_key("ssh-ed25519 garbage")


async def test_bundled_tool_call_parsers_follow_the_family() -> None:
    catalog = Catalog()
    await catalog.load()
    parsers = {m.key: m.settings.tool_call_parser for m in catalog.models()}
    assert parsers == {
        "qwen3-vl": "hermes",
        "gemma4": "gemma4",
        "qwen36": "qwen3_xml",
        "qwen3-235b-fp8": "hermes",
        "qwen2.5-72b": "hermes",
    }


async def test_tool_call_parser_setting_persists_and_is_checked() -> None:
    # Saved before the setting existed: the bundled parser stays; a custom model has none.
    old = {"version": 1, "custom": [], "settings": {"gemma4": {"max_model_len": 8192}}}
    catalog = Catalog(MemoryCatalogStorage(old))
    await catalog.load()
    gemma = catalog.get("gemma4")
    assert gemma is not None
    assert gemma.settings == ModelSettings(max_model_len=8192, tool_call_parser="gemma4")
    added = await catalog.add("Org/Llama-Thing")
    assert added.settings.tool_call_parser is None
    await catalog.set_settings(added.key, ModelSettings(tool_call_parser="llama3_json"))
    await catalog.set_settings("gemma4", replace(gemma.settings, tool_call_parser=None))
    for hostile in ("hermes; reboot", "$(id)", "hermes --trust-remote-code"):
        with pytest.raises(InvalidInputError, match="tool_call_parser"):
            await catalog.set_settings("qwen36", ModelSettings(tool_call_parser=hostile))
    reloaded = Catalog(MemoryCatalogStorage(catalog.to_dict()))
    await reloaded.load()
    assert reloaded.get(added.key).settings.tool_call_parser == "llama3_json"  # type: ignore[union-attr]
    assert reloaded.get("gemma4").settings.tool_call_parser is None  # type: ignore[union-attr]
    assert reloaded.get("qwen36").settings.tool_call_parser == "qwen3_xml"  # type: ignore[union-attr]
    with pytest.raises(InvalidInputError):
        bad = {"version": 1, "custom": [], "settings": {"qwen36": {"tool_call_parser": "x;y"}}}
        await Catalog(MemoryCatalogStorage(bad)).load()
