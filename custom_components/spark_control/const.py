"""Constants shared by the Spark Control integration modules."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Final, Literal

DOMAIN: Final = "spark_control"
LOGGER = logging.getLogger(__package__)

# Config entry data keys (what the config flow writes).
CONF_HEAD_HOST: Final = "head_host"
CONF_WORKER_HOST: Final = "worker_host"
CONF_SSH_PORT: Final = "ssh_port"
CONF_WORKER_SSH_PORT: Final = "worker_ssh_port"
CONF_USERNAME: Final = "username"
CONF_WORKER_USERNAME: Final = "worker_username"
CONF_VLLM_PORT: Final = "vllm_port"
CONF_KEY_MODE: Final = "key_mode"
CONF_PRIVATE_KEY: Final = "private_key"
CONF_PASSPHRASE: Final = "passphrase"  # noqa: S105 - a config key, not a secret
CONF_KNOWN_HOSTS: Final = "known_hosts"
CONF_PARAKEET_NODE: Final = "parakeet_node"
CONF_PARAKEET_HOST: Final = "parakeet_host"
CONF_PARAKEET_PORT: Final = "parakeet_port"
CONF_PARAKEET_CONTAINER: Final = "parakeet_container"
CONF_MAGPIE_NODE: Final = "magpie_node"
CONF_MAGPIE_HOST: Final = "magpie_host"
CONF_MAGPIE_PORT: Final = "magpie_port"
CONF_MAGPIE_CONTAINER: Final = "magpie_container"
CONF_TTS_FLAVOUR: Final = "tts_flavour"
CONF_ADDON_URL: Final = "addon_url"
CONF_ADDON_TOKEN: Final = "addon_token"  # noqa: S105 - a config key, not a secret
CONF_DIARIZER_NODE: Final = "diarizer_node"
CONF_DIARIZER_CONTAINER: Final = "diarizer_container"

ATTR_CONFIG_ENTRY_ID: Final = "config_entry_id"

# Options keys.
CONF_STATUS_INTERVAL: Final = "status_interval"
CONF_UPDATE_INTERVAL: Final = "update_interval"
CONF_SWAP_TIMEOUT: Final = "swap_timeout"
CONF_WEBHOOKS_ENABLED: Final = "webhooks_enabled"
CONF_WEBHOOK_DISCOVERY_ID: Final = "webhook_discovery_id"
CONF_WEBHOOK_HEALTH_ID: Final = "webhook_health_id"
CONF_REGENERATE_WEBHOOKS: Final = "regenerate_webhooks"  # a form field, never stored
# Options of the conversation agent (the LLM API key is Home Assistant's CONF_LLM_HASS_API).
CONF_PROMPT: Final = "prompt"
CONF_MAX_TOKENS: Final = "max_tokens"
CONF_TEMPERATURE: Final = "temperature"
CONF_MAX_HISTORY: Final = "max_history"
DEFAULT_MAX_TOKENS: Final = 512
DEFAULT_TEMPERATURE: Final = 0.6
DEFAULT_MAX_HISTORY: Final = 10  # earlier user turns sent with each request
PIPELINE_NAME: Final = "Spark Control"

KEY_MODE_GENERATE: Final = "generate"
KEY_MODE_PASTE: Final = "paste"
TTS_NIM: Final = "nim"
NODE_HEAD: Final = "head"
NODE_WORKER: Final = "worker"
NODE_OTHER: Final = "other"
TTS_OPENAI: Final = "openai"

DEFAULT_SSH_PORT: Final = 22
DEFAULT_USERNAME: Final = "spark"
DEFAULT_VLLM_PORT: Final = 8888
DEFAULT_PARAKEET_PORT: Final = 8000
DEFAULT_MAGPIE_PORT: Final = 9000
DEFAULT_PARAKEET_CONTAINER: Final = "parakeet"
DEFAULT_MAGPIE_CONTAINER: Final = "magpie"
DEFAULT_DIARIZER_CONTAINER: Final = "diarizer"
DEFAULT_STATUS_INTERVAL: Final = 15  # seconds
DEFAULT_UPDATE_INTERVAL: Final = 360  # minutes
DEFAULT_SWAP_TIMEOUT: Final = 1800  # seconds

# While a swap, download or update runs the status coordinator polls this often.
FAST_POLL_INTERVAL: Final = timedelta(seconds=2)

SERVICE_KEYS: Final[tuple[Literal["parakeet", "magpie"], ...]] = ("parakeet", "magpie")

# Bus events (automation triggers).
EVENT_SWAP: Final = f"{DOMAIN}_swap"
EVENT_DOWNLOAD: Final = f"{DOMAIN}_download"  # a transition: started, completed, failed...
EVENT_DOWNLOAD_PROGRESS: Final = f"{DOMAIN}_download_progress"  # each whole percent
EVENT_HEALTH_REPORT: Final = f"{DOMAIN}_health_report"  # every report
EVENT_HEALTH_CHANGE: Final = f"{DOMAIN}_health_change"  # a service flips ok <-> failed

# Repair issue ids (suffixed with the entry id).
ISSUE_HOST_KEY_CHANGED: Final = "host_key_changed"
ISSUE_CHECKOUT_MISSING: Final = "checkout_missing"
ISSUE_RESTART_MODEL: Final = "restart_model"
ISSUE_MAGPIE_CACHE_OWNER: Final = "magpie_cache_owner"
ISSUE_ADD_TO_CATALOG: Final = "add_to_catalog"

# Where to clone spark-vllm-docker from (a placeholder in the checkout_missing repair).
SPARK_VLLM_DOCKER_URL: Final = "https://github.com/eugr/spark-vllm-docker.git"
