"""Config, options, reauth and reconfigure flows: every step and every error path (unit level)."""

from __future__ import annotations

from typing import Any
from unittest.mock import AsyncMock, MagicMock

import pytest
from homeassistant.config_entries import SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.spark_control.api import (
    HostKeyChangedError,
    HostKeyUnknownError,
    SparkAuthError,
    SparkConnectionError,
    SparkTimeoutError,
    generate_key_pair,
)
from custom_components.spark_control.const import (
    CONF_KEY_MODE,
    CONF_KNOWN_HOSTS,
    CONF_PASSPHRASE,
    CONF_PRIVATE_KEY,
    CONF_REGENERATE_WEBHOOKS,
    CONF_STATUS_INTERVAL,
    CONF_SWAP_TIMEOUT,
    CONF_UPDATE_INTERVAL,
    CONF_WEBHOOK_DISCOVERY_ID,
    CONF_WEBHOOK_HEALTH_ID,
    CONF_WEBHOOKS_ENABLED,
    DOMAIN,
)

from .conftest import MACHINE_ID, flow_entry_data, host_key_line

pytestmark = pytest.mark.usefixtures("mock_setup_entry")

ADDRESSES = {
    "head_host": "192.168.1.11",
    "worker_host": "192.168.1.12",
    "ssh_port": 22,
    "worker_ssh_port": 2222,
    "username": "spark",
    "vllm_port": 8888,
}
WEBHOOK_OPTIONS = {
    CONF_WEBHOOKS_ENABLED: True,
    CONF_WEBHOOK_DISCOVERY_ID: "discovery-id",
    CONF_WEBHOOK_HEALTH_ID: "health-id",
}
SERVICES = {
    "parakeet_node": "worker",
    "parakeet_port": 8000,
    "parakeet_container": "parakeet",
    "magpie_node": "head",
    "magpie_port": 9000,
    "magpie_container": "magpie",
    "tts_flavour": "nim",
    "addon_url": "http://192.168.1.20:8010",
}


async def _start(hass: HomeAssistant, key_mode: str = "generate") -> dict[str, Any]:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    return await hass.config_entries.flow.async_configure(
        result["flow_id"], {**ADDRESSES, CONF_KEY_MODE: key_mode}
    )


async def _to_services(hass: HomeAssistant) -> dict[str, Any]:
    result = await _start(hass)
    assert result["step_id"] == "public_key"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["step_id"] == "host_keys"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["step_id"] == "services"
    return result


async def test_user_flow_generates_key_and_pins_host_keys(
    hass: HomeAssistant, mock_flow_cluster: MagicMock, mock_setup_entry: AsyncMock
) -> None:
    """Happy path: public key shown, fingerprints shown, connection tested, services set."""
    result = await _start(hass)
    assert result["step_id"] == "public_key"
    public_key = result["description_placeholders"]["public_key"]
    assert public_key.startswith("ssh-ed25519 ")
    assert public_key.endswith(" spark_control@homeassistant")

    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["step_id"] == "host_keys"
    assert result["description_placeholders"] == {
        "head_host": "192.168.1.11",
        "worker_host": "192.168.1.12",
        "head_fingerprint": "SHA256:fp-22",
        "worker_fingerprint": "SHA256:fp-2222",
    }
    mock_flow_cluster.fetch_host_key.assert_any_await("192.168.1.11", 22)
    mock_flow_cluster.fetch_host_key.assert_any_await("192.168.1.12", 2222)

    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["step_id"] == "services"
    config, credentials = mock_flow_cluster.call_args.args
    assert credentials.known_hosts == {
        "192.168.1.11:22": host_key_line(22),
        "192.168.1.12:2222": host_key_line(2222),
    }
    assert config.worker.port == 2222
    client = mock_flow_cluster.return_value
    client.test_connection.assert_awaited_once()
    client.close.assert_awaited_once()

    result = await hass.config_entries.flow.async_configure(result["flow_id"], SERVICES)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Spark cluster 192.168.1.11"
    assert result["result"].unique_id == MACHINE_ID
    data = result["data"]
    assert CONF_KEY_MODE not in data
    assert data[CONF_PRIVATE_KEY].startswith("-----BEGIN OPENSSH PRIVATE KEY-----")
    assert data[CONF_KNOWN_HOSTS]["192.168.1.11:22"] == host_key_line(22)
    assert data["parakeet_node"] == "worker"
    assert data["addon_url"] == "http://192.168.1.20:8010"
    assert data["worker_username"] == "spark"  # empty: the head's user
    assert (data["diarizer_node"], data["diarizer_container"]) == ("other", "diarizer")
    entry = result["result"]
    assert (entry.version, entry.minor_version) == (1, 2)
    assert entry.options[CONF_WEBHOOKS_ENABLED] is True
    assert len(entry.options[CONF_WEBHOOK_DISCOVERY_ID]) == 64
    assert len(mock_setup_entry.mock_calls) == 1


async def test_user_flow_with_a_user_per_spark(
    hass: HomeAssistant, mock_flow_cluster: MagicMock
) -> None:
    """Each Spark may have its own SSH user (the seed had one per Spark)."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {**ADDRESSES, "worker_username": "nvidia", CONF_KEY_MODE: "generate"},
    )
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    config, _ = mock_flow_cluster.call_args.args
    assert (config.head.username, config.worker.username) == ("spark", "nvidia")
    result = await hass.config_entries.flow.async_configure(result["flow_id"], SERVICES)
    assert result["data"]["worker_username"] == "nvidia"


async def test_user_flow_with_pasted_key(hass: HomeAssistant, mock_flow_cluster: MagicMock) -> None:
    """A bad paste shows invalid_key; a good one continues with its own public key."""
    result = await _start(hass, "paste")
    assert result["step_id"] == "paste_key"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PRIVATE_KEY: "not a key"}
    )
    assert result["errors"] == {"base": "invalid_key"}
    assert "not a valid" in result["description_placeholders"]["error"]

    pair = await hass.async_add_executor_job(generate_key_pair, "mine@laptop")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PRIVATE_KEY: pair.private_key}
    )
    assert result["step_id"] == "public_key"
    assert result["description_placeholders"]["public_key"] == pair.public_key_line
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    result = await hass.config_entries.flow.async_configure(result["flow_id"], SERVICES)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_PASSPHRASE] is None


async def test_user_flow_rejects_bad_addresses(
    hass: HomeAssistant, mock_flow_cluster: MagicMock
) -> None:
    """Shell-hostile hosts and users never leave the form."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            **ADDRESSES,
            "head_host": "spark;reboot",
            "worker_host": "$(id)",
            "username": "-oProxyCommand=x",
            CONF_KEY_MODE: "generate",
        },
    )
    assert result["step_id"] == "user"
    assert result["errors"] == {
        "head_host": "invalid_host",
        "worker_host": "invalid_host",
        "username": "invalid_username",
    }
    mock_flow_cluster.fetch_host_key.assert_not_awaited()
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**ADDRESSES, CONF_KEY_MODE: "generate"}
    )
    assert result["step_id"] == "public_key"


async def test_user_flow_host_key_fetch_fails_then_recovers(
    hass: HomeAssistant, mock_flow_cluster: MagicMock
) -> None:
    """An unreachable Spark sends the user back to the addresses."""
    fetch = mock_flow_cluster.fetch_host_key
    ok = fetch.side_effect
    fetch.side_effect = SparkConnectionError("192.168.1.12", 2222, "connection refused")
    result = await _start(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["step_id"] == "user"
    assert result["errors"] == {"base": "cannot_connect"}
    assert "connection refused" in result["description_placeholders"]["error"]
    fetch.side_effect = ok
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**ADDRESSES, CONF_KEY_MODE: "generate"}
    )
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["step_id"] == "host_keys"


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (SparkConnectionError("192.168.1.11", 22, "no route to host"), "cannot_connect"),
        (SparkTimeoutError("ssh connect", 10), "cannot_connect"),
        (HostKeyChangedError("192.168.1.11", 22, "SHA256:a", "SHA256:b"), "host_key_changed"),
        (
            HostKeyUnknownError("192.168.1.11", 22, "SHA256:a", "ssh-ed25519 AAAA"),
            "host_key_changed",
        ),
        (RuntimeError("boom"), "unknown"),
    ],
)
async def test_connection_errors_return_to_addresses(
    hass: HomeAssistant, mock_flow_cluster: MagicMock, error: Exception, expected: str
) -> None:
    """Connection problems show on the address form; fixing and retrying succeeds."""
    client = mock_flow_cluster.return_value
    client.test_connection.side_effect = error
    result = await _start(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["step_id"] == "user"
    assert result["errors"] == {"base": expected}
    assert result["description_placeholders"]["error"] == str(error)
    client.close.assert_awaited()

    client.test_connection.side_effect = None
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**ADDRESSES, CONF_KEY_MODE: "generate"}
    )
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["step_id"] == "services"


async def test_rejected_key_shows_public_key_again(
    hass: HomeAssistant, mock_flow_cluster: MagicMock
) -> None:
    """invalid_auth keeps the same key so the user can add it and retry."""
    client = mock_flow_cluster.return_value
    client.test_connection.side_effect = SparkAuthError("192.168.1.11", "spark")
    result = await _start(hass)
    public_key = result["description_placeholders"]["public_key"]
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["step_id"] == "public_key"
    assert result["errors"] == {"base": "invalid_auth"}
    assert result["description_placeholders"]["public_key"] == public_key

    client.test_connection.side_effect = None
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["step_id"] == "host_keys"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["step_id"] == "services"


async def test_same_cluster_cannot_be_added_twice(
    hass: HomeAssistant, mock_flow_cluster: MagicMock
) -> None:
    """unique_id is the head's machine id, whatever address reaches it."""
    MockConfigEntry(domain=DOMAIN, unique_id=MACHINE_ID, data=flow_entry_data()).add_to_hass(hass)
    result = await _start(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"parakeet_node": "other"}, {"parakeet_host": "host_required"}),
        ({"magpie_host": "tts host"}, {"magpie_host": "invalid_host"}),
        ({"parakeet_container": "-rm"}, {"parakeet_container": "invalid_container"}),
        ({"addon_url": "ftp://192.168.1.20"}, {"addon_url": "invalid_url"}),
        ({"addon_url": "http://"}, {"addon_url": "invalid_url"}),
    ],
)
async def test_services_step_errors(
    hass: HomeAssistant,
    mock_flow_cluster: MagicMock,
    changes: dict[str, Any],
    errors: dict[str, str],
) -> None:
    """Each bad service field is named; fixing it creates the entry."""
    result = await _to_services(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**SERVICES, **changes}
    )
    assert result["step_id"] == "services"
    assert result["errors"] == errors
    without_addon = {key: value for key, value in SERVICES.items() if key != "addon_url"}
    fixed = {**without_addon, "parakeet_node": "other", "parakeet_host": "10.0.0.5"}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], fixed)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"]["parakeet_host"] == "10.0.0.5"
    assert "addon_url" not in result["data"]


async def test_options_flow(hass: HomeAssistant) -> None:
    """Intervals, the swap timeout and the webhook switch are options; the URLs are shown."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=MACHINE_ID,
        data=flow_entry_data(),
        options={**WEBHOOK_OPTIONS},
        minor_version=2,
    )
    entry.add_to_hass(hass)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == ["settings", "assistant", "pipeline"]
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "settings"}
    )
    assert result["step_id"] == "settings"
    placeholders = result["description_placeholders"]
    assert placeholders["discovery_url"].endswith("/api/webhook/discovery-id")
    assert placeholders["health_url"].endswith("/api/webhook/health-id")
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            CONF_STATUS_INTERVAL: 30,
            CONF_UPDATE_INTERVAL: 120,
            CONF_SWAP_TIMEOUT: 900,
            CONF_WEBHOOKS_ENABLED: False,
            CONF_REGENERATE_WEBHOOKS: False,
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options == {
        CONF_STATUS_INTERVAL: 30,
        CONF_UPDATE_INTERVAL: 120,
        CONF_SWAP_TIMEOUT: 900,
        CONF_WEBHOOKS_ENABLED: False,
        CONF_WEBHOOK_DISCOVERY_ID: "discovery-id",
        CONF_WEBHOOK_HEALTH_ID: "health-id",
    }


async def test_options_flow_regenerates_webhook_ids(hass: HomeAssistant) -> None:
    """Regenerating issues two new random ids and keeps the other options."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=MACHINE_ID,
        data=flow_entry_data(),
        options={**WEBHOOK_OPTIONS, CONF_STATUS_INTERVAL: 20},
        minor_version=2,
    )
    entry.add_to_hass(hass)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "settings"}
    )
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            CONF_STATUS_INTERVAL: 20,
            CONF_UPDATE_INTERVAL: 360,
            CONF_SWAP_TIMEOUT: 1800,
            CONF_WEBHOOKS_ENABLED: True,
            CONF_REGENERATE_WEBHOOKS: True,
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    new_discovery = entry.options[CONF_WEBHOOK_DISCOVERY_ID]
    new_health = entry.options[CONF_WEBHOOK_HEALTH_ID]
    assert len({new_discovery, new_health, "discovery-id", "health-id"}) == 4
    assert len(new_discovery) == len(new_health) == 64
    assert CONF_REGENERATE_WEBHOOKS not in entry.options
    assert entry.options[CONF_STATUS_INTERVAL] == 20


async def test_reauth_with_new_key(hass: HomeAssistant, mock_flow_cluster: MagicMock) -> None:
    """A rejected key is replaced by a fresh pair once the user authorises it."""
    entry = MockConfigEntry(domain=DOMAIN, unique_id=MACHINE_ID, data=flow_entry_data("OLD"))
    entry.add_to_hass(hass)
    client = mock_flow_cluster.return_value
    result = await entry.start_reauth_flow(hass)
    assert result["step_id"] == "reauth_confirm"

    client.test_connection.side_effect = SparkConnectionError("127.0.0.1", 2201, "refused")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_KEY_MODE: "generate"}
    )
    assert result["step_id"] == "public_key"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["step_id"] == "reauth_confirm"
    assert result["errors"] == {"base": "cannot_connect"}

    client.test_connection.side_effect = SparkAuthError("127.0.0.1", "spark")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_KEY_MODE: "generate"}
    )
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["step_id"] == "public_key"
    assert result["errors"] == {"base": "invalid_auth"}

    client.test_connection.side_effect = None
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data[CONF_PRIVATE_KEY].startswith("-----BEGIN OPENSSH PRIVATE KEY-----")
    assert entry.data[CONF_KNOWN_HOSTS] == flow_entry_data()[CONF_KNOWN_HOSTS]
    mock_flow_cluster.fetch_host_key.assert_not_awaited()


async def test_reauth_with_pasted_key(hass: HomeAssistant, mock_flow_cluster: MagicMock) -> None:
    """Reauth accepts a pasted key too."""
    entry = MockConfigEntry(domain=DOMAIN, unique_id=MACHINE_ID, data=flow_entry_data("OLD"))
    entry.add_to_hass(hass)
    pair = await hass.async_add_executor_job(generate_key_pair, "other@host")
    result = await entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_KEY_MODE: "paste"}
    )
    assert result["step_id"] == "paste_key"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PRIVATE_KEY: pair.private_key}
    )
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["reason"] == "reauth_successful"
    assert entry.data[CONF_PRIVATE_KEY].strip() == pair.private_key.strip()


async def test_reauth_on_a_different_machine_aborts(
    hass: HomeAssistant, mock_flow_cluster: MagicMock
) -> None:
    """The key must unlock the same head Spark."""
    entry = MockConfigEntry(domain=DOMAIN, unique_id=MACHINE_ID, data=flow_entry_data("OLD"))
    entry.add_to_hass(hass)
    mock_flow_cluster.return_value.machine_id.return_value = "another-machine"
    result = await entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_KEY_MODE: "generate"}
    )
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "unique_id_mismatch"
    assert entry.data[CONF_PRIVATE_KEY] == "OLD"


async def _reconfigure(hass: HomeAssistant, entry: MockConfigEntry, menu: str) -> dict[str, Any]:
    result = await entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == ["addresses", "services"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": menu}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == menu
    return result


async def test_reconfigure_new_addresses(hass: HomeAssistant, mock_flow_cluster: MagicMock) -> None:
    """New addresses, new pinned keys, same machine; bad input and fetch errors are retried."""
    entry = MockConfigEntry(domain=DOMAIN, unique_id=MACHINE_ID, data=flow_entry_data())
    entry.add_to_hass(hass)
    result = await _reconfigure(hass, entry, "addresses")

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**ADDRESSES, "head_host": "a b", "worker_username": "x y"}
    )
    assert result["errors"] == {"head_host": "invalid_host", "worker_username": "invalid_username"}

    fetch = mock_flow_cluster.fetch_host_key
    ok = fetch.side_effect
    fetch.side_effect = SparkConnectionError("192.168.1.11", 22, "refused")
    result = await hass.config_entries.flow.async_configure(result["flow_id"], ADDRESSES)
    assert result["step_id"] == "addresses"
    assert result["errors"] == {"base": "cannot_connect"}

    fetch.side_effect = ok
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**ADDRESSES, "worker_username": "nvidia"}
    )
    assert result["step_id"] == "host_keys"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data["head_host"] == "192.168.1.11"
    assert entry.data["username"] == "spark"
    assert entry.data["worker_username"] == "nvidia"
    assert entry.data[CONF_KNOWN_HOSTS] == {
        "192.168.1.11:22": host_key_line(22),
        "192.168.1.12:2222": host_key_line(2222),
    }
    assert entry.data[CONF_PRIVATE_KEY] == "KEY"
    config, _ = mock_flow_cluster.call_args.args
    assert (config.head.username, config.worker.username) == ("spark", "nvidia")
    assert (config.head.port, config.worker.port) == (22, 2222)


async def test_reconfigure_rejected_key_then_authorised(
    hass: HomeAssistant, mock_flow_cluster: MagicMock
) -> None:
    """A new SSH user rejects the key: the entry's own key line is shown, and once it is
    authorised the flow finishes (this branch used to crash with no key to show)."""
    pair = await hass.async_add_executor_job(generate_key_pair, "ha@spark")
    entry = MockConfigEntry(
        domain=DOMAIN, unique_id=MACHINE_ID, data=flow_entry_data(pair.private_key)
    )
    entry.add_to_hass(hass)
    client = mock_flow_cluster.return_value
    client.test_connection.side_effect = SparkAuthError("192.168.1.12", "nvidia")
    result = await _reconfigure(hass, entry, "addresses")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**ADDRESSES, "worker_username": "nvidia"}
    )
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["step_id"] == "public_key"
    assert result["errors"] == {"base": "invalid_auth"}
    assert result["description_placeholders"]["public_key"] == pair.public_key_line

    # Still rejected: the same line again, nothing stored.
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["step_id"] == "public_key"
    assert result["errors"] == {"base": "invalid_auth"}
    assert entry.data.get("worker_username") != "nvidia"

    client.test_connection.side_effect = None
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data["worker_username"] == "nvidia"
    assert entry.data[CONF_PRIVATE_KEY] == pair.private_key
    assert mock_flow_cluster.fetch_host_key.await_count == 2  # pinned once, not again


async def test_reconfigure_rejected_and_stored_key_unreadable(
    hass: HomeAssistant, mock_flow_cluster: MagicMock
) -> None:
    """A stored key that cannot be read is named on the address form, not a crash."""
    entry = MockConfigEntry(domain=DOMAIN, unique_id=MACHINE_ID, data=flow_entry_data("KEY"))
    entry.add_to_hass(hass)
    mock_flow_cluster.return_value.test_connection.side_effect = SparkAuthError("h", "u")
    result = await _reconfigure(hass, entry, "addresses")
    result = await hass.config_entries.flow.async_configure(result["flow_id"], ADDRESSES)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["step_id"] == "addresses"
    assert result["errors"] == {"base": "invalid_key"}
    assert "not a valid private key" in result["description_placeholders"]["error"]


async def test_reconfigure_to_another_machine_aborts(
    hass: HomeAssistant, mock_flow_cluster: MagicMock
) -> None:
    """Addresses that reach a different head Spark are refused."""
    entry = MockConfigEntry(domain=DOMAIN, unique_id=MACHINE_ID, data=flow_entry_data())
    entry.add_to_hass(hass)
    mock_flow_cluster.return_value.machine_id.return_value = "another-machine"
    result = await _reconfigure(hass, entry, "addresses")
    result = await hass.config_entries.flow.async_configure(result["flow_id"], ADDRESSES)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "unique_id_mismatch"
    assert entry.data["head_host"] == "127.0.0.1"


async def test_reconfigure_connection_error_shows_on_form(
    hass: HomeAssistant, mock_flow_cluster: MagicMock
) -> None:
    """A failed test after confirming keys returns to the address form."""
    entry = MockConfigEntry(domain=DOMAIN, unique_id=MACHINE_ID, data=flow_entry_data())
    entry.add_to_hass(hass)
    mock_flow_cluster.return_value.test_connection.side_effect = SparkTimeoutError("ssh", 10)
    result = await _reconfigure(hass, entry, "addresses")
    result = await hass.config_entries.flow.async_configure(result["flow_id"], ADDRESSES)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["step_id"] == "addresses"
    assert result["errors"] == {"base": "cannot_connect"}


async def test_reconfigure_services_changes_every_field(
    hass: HomeAssistant, mock_flow_cluster: MagicMock
) -> None:
    """Placement, ports, containers, flavour, diarizer and add-on change without an SSH test."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=MACHINE_ID,
        data={**flow_entry_data(), "addon_token": "old-token"},
    )
    entry.add_to_hass(hass)
    result = await _reconfigure(hass, entry, "services")
    schema_defaults = {
        str(key): key.default() if callable(key.default) else key.description
        for key in result["data_schema"].schema
    }
    assert schema_defaults["parakeet_port"] == 8000
    assert schema_defaults["addon_url"] == {"suggested_value": "http://127.0.0.1:8010"}

    changed = {
        "parakeet_node": "head",
        "parakeet_port": 8100,
        "parakeet_container": "stt",
        "magpie_node": "other",
        "magpie_host": "10.0.0.9",
        "magpie_port": 9100,
        "magpie_container": "tts",
        "tts_flavour": "openai",
        "diarizer_node": "worker",
        "diarizer_container": "gpu-diarizer",
        "addon_url": "http://192.168.1.12:8010",
        "addon_token": "s3cr3t-token",
    }
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**changed, "diarizer_container": "-x", "addon_token": "a b"}
    )
    assert result["step_id"] == "services"
    assert result["errors"] == {
        "diarizer_container": "invalid_container",
        "addon_token": "invalid_token",
    }
    result = await hass.config_entries.flow.async_configure(result["flow_id"], changed)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    for key, value in changed.items():
        assert entry.data[key] == value, key
    assert entry.data["parakeet_host"] is None  # emptied: back to the head's address
    assert entry.data[CONF_KNOWN_HOSTS] == flow_entry_data()[CONF_KNOWN_HOSTS]
    mock_flow_cluster.fetch_host_key.assert_not_awaited()


async def test_reconfigure_services_clears_add_on(
    hass: HomeAssistant, mock_flow_cluster: MagicMock
) -> None:
    """Emptying the add-on URL and token removes them."""
    entry = MockConfigEntry(
        domain=DOMAIN, unique_id=MACHINE_ID, data={**flow_entry_data(), "addon_token": "t"}
    )
    entry.add_to_hass(hass)
    result = await _reconfigure(hass, entry, "services")
    without_addon = {key: value for key, value in SERVICES.items() if key != "addon_url"}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], without_addon)
    assert result["reason"] == "reconfigure_successful"
    assert entry.data["addon_url"] is None
    assert entry.data["addon_token"] is None
    assert entry.data["diarizer_node"] == "other"
    assert entry.data["diarizer_container"] == "diarizer"
