"""Config flow: addresses, SSH key, host-key confirmation, connection test, services."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

import voluptuous as vol
from homeassistant.config_entries import (
    SOURCE_REAUTH,
    SOURCE_RECONFIGURE,
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlow,
)
from homeassistant.const import CONF_LLM_HASS_API
from homeassistant.core import callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import llm
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    BooleanSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TemplateSelector,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
from yarl import URL

from .api import (
    HostKeyChangedError,
    HostKeyUnknownError,
    InvalidInputError,
    KeyPair,
    SparkAuthError,
    SparkCluster,
    SparkConnectionError,
    SparkError,
    SparkTimeoutError,
    generate_key_pair,
    load_private_key,
    validation,
)
from .compat import OptionsFlowWithReload
from .const import (
    CONF_ADDON_TOKEN,
    CONF_ADDON_URL,
    CONF_DIARIZER_CONTAINER,
    CONF_DIARIZER_NODE,
    CONF_HEAD_HOST,
    CONF_KEY_MODE,
    CONF_KNOWN_HOSTS,
    CONF_MAX_HISTORY,
    CONF_MAX_TOKENS,
    CONF_PASSPHRASE,
    CONF_PRIVATE_KEY,
    CONF_PROMPT,
    CONF_REGENERATE_WEBHOOKS,
    CONF_SSH_PORT,
    CONF_STATUS_INTERVAL,
    CONF_SWAP_TIMEOUT,
    CONF_TEMPERATURE,
    CONF_TTS_FLAVOUR,
    CONF_UPDATE_INTERVAL,
    CONF_USERNAME,
    CONF_VLLM_PORT,
    CONF_WEBHOOK_DISCOVERY_ID,
    CONF_WEBHOOK_HEALTH_ID,
    CONF_WEBHOOKS_ENABLED,
    CONF_WORKER_HOST,
    CONF_WORKER_SSH_PORT,
    CONF_WORKER_USERNAME,
    DEFAULT_DIARIZER_CONTAINER,
    DEFAULT_MAGPIE_CONTAINER,
    DEFAULT_MAGPIE_PORT,
    DEFAULT_MAX_HISTORY,
    DEFAULT_MAX_TOKENS,
    DEFAULT_PARAKEET_CONTAINER,
    DEFAULT_PARAKEET_PORT,
    DEFAULT_SSH_PORT,
    DEFAULT_STATUS_INTERVAL,
    DEFAULT_SWAP_TIMEOUT,
    DEFAULT_TEMPERATURE,
    DEFAULT_UPDATE_INTERVAL,
    DEFAULT_USERNAME,
    DEFAULT_VLLM_PORT,
    DOMAIN,
    KEY_MODE_GENERATE,
    KEY_MODE_PASTE,
    LOGGER,
    NODE_HEAD,
    NODE_OTHER,
    NODE_WORKER,
    PIPELINE_NAME,
    SERVICE_KEYS,
    TTS_NIM,
    TTS_OPENAI,
)
from .coordinator import SparkConfigEntry
from .entry_data import (
    ENTRY_MINOR_VERSION,
    ENTRY_VERSION,
    cluster_config,
    credentials,
    host_config,
    host_key_id,
)
from .helpers import sanitize
from .pipeline import async_create_pipeline
from .webhook import new_webhook_options, webhook_urls

LLM_API_NONE = "none"
CONF_PREFERRED = "preferred"  # a form field of the pipeline step, never stored

ADDRESS_FIELDS = (
    CONF_HEAD_HOST,
    CONF_WORKER_HOST,
    CONF_SSH_PORT,
    CONF_WORKER_SSH_PORT,
    CONF_USERNAME,
    CONF_WORKER_USERNAME,
    CONF_VLLM_PORT,
)
# What the services step writes; on reconfigure an emptied optional field clears its value.
SERVICE_FIELDS = (
    *(f"{key}_{field}" for key in SERVICE_KEYS for field in ("node", "host", "port", "container")),
    CONF_TTS_FLAVOUR,
    CONF_DIARIZER_NODE,
    CONF_DIARIZER_CONTAINER,
    CONF_ADDON_URL,
    CONF_ADDON_TOKEN,
)
PORT_SELECTOR = vol.All(
    NumberSelector(NumberSelectorConfig(min=1, max=65535, mode=NumberSelectorMode.BOX)),
    vol.Coerce(int),
)
KEY_MODE_SELECTOR = SelectSelector(
    SelectSelectorConfig(options=[KEY_MODE_GENERATE, KEY_MODE_PASTE], translation_key="key_mode")
)


def _address_schema(defaults: Mapping[str, Any], with_key_mode: bool) -> vol.Schema:
    fields: dict[Any, Any] = {
        vol.Required(CONF_HEAD_HOST, default=defaults.get(CONF_HEAD_HOST, vol.UNDEFINED)): str,
        vol.Required(CONF_WORKER_HOST, default=defaults.get(CONF_WORKER_HOST, vol.UNDEFINED)): str,
        vol.Required(
            CONF_SSH_PORT, default=defaults.get(CONF_SSH_PORT, DEFAULT_SSH_PORT)
        ): PORT_SELECTOR,
        vol.Optional(
            CONF_WORKER_SSH_PORT,
            default=defaults.get(CONF_WORKER_SSH_PORT, defaults.get(CONF_SSH_PORT, 22)),
        ): PORT_SELECTOR,
        vol.Required(CONF_USERNAME, default=defaults.get(CONF_USERNAME, DEFAULT_USERNAME)): str,
        vol.Optional(
            CONF_WORKER_USERNAME,
            description={"suggested_value": defaults.get(CONF_WORKER_USERNAME)},
        ): str,
        vol.Required(
            CONF_VLLM_PORT, default=defaults.get(CONF_VLLM_PORT, DEFAULT_VLLM_PORT)
        ): PORT_SELECTOR,
    }
    if with_key_mode:
        fields[vol.Required(CONF_KEY_MODE, default=KEY_MODE_GENERATE)] = KEY_MODE_SELECTOR
    return vol.Schema(fields)


def _address_errors(user_input: Mapping[str, Any]) -> dict[str, str]:
    """Field errors for addresses the client would refuse anyway."""
    errors: dict[str, str] = {}
    for field in (CONF_HEAD_HOST, CONF_WORKER_HOST):
        try:
            validation.host(user_input[field])
        except InvalidInputError:
            errors[field] = "invalid_host"
    for field in (CONF_USERNAME, CONF_WORKER_USERNAME):
        if field == CONF_WORKER_USERNAME and not user_input.get(field):
            continue  # empty: the worker uses the head's user
        try:
            validation.username(user_input[field])
        except InvalidInputError:
            errors[field] = "invalid_username"
    return errors


def _with_worker_user(user_input: Mapping[str, Any]) -> dict[str, Any]:
    """Addresses with the worker's SSH user made explicit (empty: same as the head's)."""
    cleaned = dict(user_input)
    cleaned[CONF_WORKER_USERNAME] = (
        user_input.get(CONF_WORKER_USERNAME) or user_input[CONF_USERNAME]
    )
    cleaned.setdefault(CONF_WORKER_SSH_PORT, user_input[CONF_SSH_PORT])
    return cleaned


def _services_schema(defaults: Mapping[str, Any]) -> vol.Schema:
    nodes = SelectSelector(
        SelectSelectorConfig(
            options=[NODE_HEAD, NODE_WORKER, NODE_OTHER],
            translation_key="service_node",
            mode=SelectSelectorMode.DROPDOWN,
        )
    )
    fields: dict[Any, Any] = {}
    for key, port, container in (
        ("parakeet", DEFAULT_PARAKEET_PORT, DEFAULT_PARAKEET_CONTAINER),
        ("magpie", DEFAULT_MAGPIE_PORT, DEFAULT_MAGPIE_CONTAINER),
    ):
        fields[vol.Required(f"{key}_node", default=defaults.get(f"{key}_node", NODE_WORKER))] = (
            nodes
        )
        fields[
            vol.Optional(
                f"{key}_host",
                description={"suggested_value": defaults.get(f"{key}_host")},
            )
        ] = str
        fields[vol.Required(f"{key}_port", default=defaults.get(f"{key}_port", port))] = (
            PORT_SELECTOR
        )
        fields[
            vol.Required(f"{key}_container", default=defaults.get(f"{key}_container", container))
        ] = str
    fields[vol.Required(CONF_TTS_FLAVOUR, default=defaults.get(CONF_TTS_FLAVOUR, TTS_NIM))] = (
        SelectSelector(
            SelectSelectorConfig(options=[TTS_NIM, TTS_OPENAI], translation_key="tts_flavour")
        )
    )
    fields[
        vol.Required(CONF_DIARIZER_NODE, default=defaults.get(CONF_DIARIZER_NODE, NODE_OTHER))
    ] = nodes
    fields[
        vol.Required(
            CONF_DIARIZER_CONTAINER,
            default=defaults.get(CONF_DIARIZER_CONTAINER, DEFAULT_DIARIZER_CONTAINER),
        )
    ] = str
    fields[
        vol.Optional(CONF_ADDON_URL, description={"suggested_value": defaults.get(CONF_ADDON_URL)})
    ] = TextSelector(TextSelectorConfig(type=TextSelectorType.URL))
    fields[
        vol.Optional(
            CONF_ADDON_TOKEN, description={"suggested_value": defaults.get(CONF_ADDON_TOKEN)}
        )
    ] = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
    return vol.Schema(fields)


def _services_errors(user_input: Mapping[str, Any]) -> dict[str, str]:
    errors: dict[str, str] = {}
    for key in SERVICE_KEYS:
        host = user_input.get(f"{key}_host")
        if host:
            try:
                validation.host(host)
            except InvalidInputError:
                errors[f"{key}_host"] = "invalid_host"
        elif user_input[f"{key}_node"] == NODE_OTHER:
            errors[f"{key}_host"] = "host_required"
    for field in (*(f"{key}_container" for key in SERVICE_KEYS), CONF_DIARIZER_CONTAINER):
        try:
            validation.container(user_input[field])
        except InvalidInputError:
            errors[field] = "invalid_container"
    url = user_input.get(CONF_ADDON_URL)
    if url:
        parsed = URL(url)
        if parsed.scheme not in ("http", "https") or not parsed.host:
            errors[CONF_ADDON_URL] = "invalid_url"
    token = user_input.get(CONF_ADDON_TOKEN)
    if token:
        try:
            validation.bearer_token(token)
        except InvalidInputError:
            errors[CONF_ADDON_TOKEN] = "invalid_token"
    return errors


class SparkControlConfigFlow(ConfigFlow, domain=DOMAIN):
    """Set up one Spark pair: who to reach, with which key, pinned to which host keys."""

    VERSION = ENTRY_VERSION
    MINOR_VERSION = ENTRY_MINOR_VERSION

    def __init__(self) -> None:
        """Start with nothing collected."""
        self._data: dict[str, Any] = {}
        self._key: KeyPair | None = None
        self._fingerprints: dict[str, str] = {}

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> OptionsFlow:
        """Poll intervals, the swap timeout and the LAN webhooks."""
        return SparkOptionsFlow()

    # --- addresses -------------------------------------------------------------------------

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Addresses and the choice of key."""
        errors: dict[str, str] = {}
        if user_input is not None:
            errors = _address_errors(user_input)
            if not errors:
                self._data.update(_with_worker_user(user_input))
                if user_input[CONF_KEY_MODE] == KEY_MODE_PASTE:
                    return await self.async_step_paste_key()
                self._key = await self.hass.async_add_executor_job(generate_key_pair)
                return await self.async_step_public_key()
        return self._address_form(errors, {})

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change either how the Sparks are reached or where the services run."""
        self._data = dict(self._get_reconfigure_entry().data)
        return self.async_show_menu(step_id="reconfigure", menu_options=["addresses", "services"])

    async def async_step_addresses(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """New addresses, SSH ports or users for the same cluster."""
        errors: dict[str, str] = {}
        if user_input is not None:
            errors = _address_errors(user_input)
            if not errors:
                self._data.update(_with_worker_user(user_input))
                return await self._fetch_host_keys()
        return self._address_form(errors, {})

    def _reauth_form(
        self, errors: dict[str, str], placeholders: dict[str, str]
    ) -> ConfigFlowResult:
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=vol.Schema(
                {vol.Required(CONF_KEY_MODE, default=KEY_MODE_GENERATE): KEY_MODE_SELECTOR}
            ),
            errors=errors,
            description_placeholders=placeholders,
        )

    def _address_form(
        self, errors: dict[str, str], placeholders: dict[str, str]
    ) -> ConfigFlowResult:
        if self.source == SOURCE_REAUTH:
            return self._reauth_form(errors, placeholders)
        reconfigure = self.source == SOURCE_RECONFIGURE
        return self.async_show_form(
            step_id="addresses" if reconfigure else "user",
            data_schema=_address_schema(self._data, with_key_mode=not reconfigure),
            errors=errors,
            description_placeholders=placeholders,
        )

    # --- key -------------------------------------------------------------------------------

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """The Sparks refused our key."""
        self._data = dict(entry_data)
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Choose a new key."""
        if user_input is None:
            return self._reauth_form({}, {})
        if user_input[CONF_KEY_MODE] == KEY_MODE_PASTE:
            return await self.async_step_paste_key()
        self._key = await self.hass.async_add_executor_job(generate_key_pair)
        return await self.async_step_public_key()

    async def async_step_paste_key(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Paste an existing private key."""
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        if user_input is not None:
            passphrase = user_input.get(CONF_PASSPHRASE) or None
            try:
                self._key = await self.hass.async_add_executor_job(
                    load_private_key, user_input[CONF_PRIVATE_KEY], passphrase
                )
            except InvalidInputError as err:
                errors["base"] = "invalid_key"
                placeholders["error"] = err.reason
            else:
                self._data[CONF_PASSPHRASE] = passphrase
                return await self.async_step_public_key()
        secret = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
        return self.async_show_form(
            step_id="paste_key",
            data_schema=vol.Schema(
                {
                    vol.Required(CONF_PRIVATE_KEY): TextSelector(
                        TextSelectorConfig(multiline=True)
                    ),
                    vol.Optional(CONF_PASSPHRASE): secret,
                }
            ),
            errors=errors,
            description_placeholders=placeholders,
        )

    async def async_step_public_key(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show the authorized_keys line to add on both Sparks."""
        return await self._public_key_step(user_input, {})

    async def _public_key_step(
        self, user_input: dict[str, Any] | None, errors: dict[str, str]
    ) -> ConfigFlowResult:
        key = cast(KeyPair, self._key)  # every path here set it first
        if user_input is not None:
            if self.source == SOURCE_RECONFIGURE:
                # The stored key stays; the host keys were pinned earlier in this flow.
                return await self._test_and_finish()
            self._data[CONF_PRIVATE_KEY] = key.private_key
            if self.source == SOURCE_REAUTH:
                return await self._test_and_finish()
            return await self._fetch_host_keys()
        return self.async_show_form(
            step_id="public_key",
            data_schema=vol.Schema({}),
            errors=errors,
            description_placeholders={"public_key": key.public_key_line},
        )

    async def _stored_key(self) -> KeyPair:
        """The entry's own key, so a reconfigure can show its line for a new SSH user."""
        if self._key is None:
            self._key = await self.hass.async_add_executor_job(
                load_private_key, self._data[CONF_PRIVATE_KEY], self._data.get(CONF_PASSPHRASE)
            )
        return self._key

    # --- host keys -------------------------------------------------------------------------

    async def _fetch_host_keys(self) -> ConfigFlowResult:
        known: dict[str, str] = {}
        self._fingerprints = {}
        for node in (NODE_HEAD, NODE_WORKER):
            target = host_config(self._data, node)
            try:
                line, fingerprint = await SparkCluster.fetch_host_key(target.host, target.port)
            except SparkError as err:
                return self._address_form({"base": "cannot_connect"}, {"error": str(err)})
            known[host_key_id(target.host, target.port)] = line
            self._fingerprints[node] = fingerprint
        self._data[CONF_KNOWN_HOSTS] = known
        return await self.async_step_host_keys()

    async def async_step_host_keys(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show both host key fingerprints; submitting pins them and tests the connection."""
        if user_input is not None:
            return await self._test_and_finish()
        return self.async_show_form(
            step_id="host_keys",
            data_schema=vol.Schema({}),
            description_placeholders={
                "head_host": self._data[CONF_HEAD_HOST],
                "worker_host": self._data[CONF_WORKER_HOST],
                "head_fingerprint": self._fingerprints[NODE_HEAD],
                "worker_fingerprint": self._fingerprints[NODE_WORKER],
            },
        )

    # --- connection test -------------------------------------------------------------------

    async def _test_connection(self) -> tuple[str | None, str]:
        """(error key or None, machine id or error text)."""
        client = SparkCluster(
            cluster_config(self._data),
            credentials(self._data),
            session=async_get_clientsession(self.hass),
        )
        try:
            await client.test_connection()
            return None, await client.machine_id()
        except SparkAuthError as err:
            return "invalid_auth", str(err)
        except (HostKeyChangedError, HostKeyUnknownError) as err:
            return "host_key_changed", str(err)
        except (SparkConnectionError, SparkTimeoutError) as err:
            return "cannot_connect", str(err)
        except Exception as err:
            LOGGER.exception("Unexpected error while testing the Spark connection")
            return "unknown", str(err)
        finally:
            await client.close()

    async def _test_and_finish(self) -> ConfigFlowResult:
        error, detail = await self._test_connection()
        if error == "invalid_auth":
            try:
                await self._stored_key()
            except InvalidInputError as err:
                return self._address_form({"base": "invalid_key"}, {"error": err.reason})
            return await self._public_key_step(None, {"base": error})
        if error is not None:
            return self._address_form({"base": error}, {"error": detail})
        await self.async_set_unique_id(detail)
        if self.source == SOURCE_REAUTH:
            self._abort_if_unique_id_mismatch()
            return self.async_update_reload_and_abort(
                self._get_reauth_entry(),
                data_updates={
                    CONF_PRIVATE_KEY: self._data[CONF_PRIVATE_KEY],
                    CONF_PASSPHRASE: self._data.get(CONF_PASSPHRASE),
                },
            )
        if self.source == SOURCE_RECONFIGURE:
            self._abort_if_unique_id_mismatch()
            updates = {key: self._data[key] for key in (*ADDRESS_FIELDS, CONF_KNOWN_HOSTS)}
            return self.async_update_reload_and_abort(
                self._get_reconfigure_entry(), data_updates=updates
            )
        self._abort_if_unique_id_configured()
        return await self.async_step_services()

    # --- services --------------------------------------------------------------------------

    async def async_step_services(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Where Parakeet, Magpie and the diarizer run, and how to reach the add-on."""
        reconfigure = self.source == SOURCE_RECONFIGURE
        errors: dict[str, str] = {}
        if user_input is not None:
            errors = _services_errors(user_input)
            if not errors and reconfigure:
                updates = {key: user_input.get(key) for key in SERVICE_FIELDS}
                return self.async_update_reload_and_abort(
                    self._get_reconfigure_entry(), data_updates=updates
                )
            if not errors:
                data = {key: value for key, value in self._data.items() if key != CONF_KEY_MODE}
                data.update(user_input)
                return self.async_create_entry(
                    title=f"Spark cluster {self._data[CONF_HEAD_HOST]}",
                    data=data,
                    options=new_webhook_options(),
                )
        return self.async_show_form(
            step_id="services",
            data_schema=_services_schema(user_input or (self._data if reconfigure else {})),
            errors=errors,
        )


def _number(low: int, high: int, unit: str) -> Any:
    return vol.All(
        NumberSelector(
            NumberSelectorConfig(
                min=low, max=high, unit_of_measurement=unit, mode=NumberSelectorMode.BOX
            )
        ),
        vol.Coerce(int),
    )


class SparkOptionsFlow(OptionsFlowWithReload):
    """A menu: cluster settings, the voice assistant, the ready-made Assist pipeline.

    Saving settings reloads the entry (see compat); creating the pipeline changes no option
    and ends the flow without a reload.
    """

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Choose what to change."""
        return self.async_show_menu(
            step_id="init", menu_options=["settings", "assistant", "pipeline"]
        )

    async def async_step_settings(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Poll intervals, swap timeout and webhooks; the webhook URLs are in the description."""
        options = self.config_entry.options
        if user_input is not None:
            chosen = dict(user_input)
            regenerate = chosen.pop(CONF_REGENERATE_WEBHOOKS, False)
            updated = {**options, **chosen}
            if regenerate or not updated.get(CONF_WEBHOOK_DISCOVERY_ID):
                fresh = new_webhook_options()
                updated[CONF_WEBHOOK_DISCOVERY_ID] = fresh[CONF_WEBHOOK_DISCOVERY_ID]
                updated[CONF_WEBHOOK_HEALTH_ID] = fresh[CONF_WEBHOOK_HEALTH_ID]
            return self.async_create_entry(data=updated)
        schema = vol.Schema(
            {
                vol.Required(
                    CONF_STATUS_INTERVAL,
                    default=options.get(CONF_STATUS_INTERVAL, DEFAULT_STATUS_INTERVAL),
                ): _number(5, 600, "s"),
                vol.Required(
                    CONF_UPDATE_INTERVAL,
                    default=options.get(CONF_UPDATE_INTERVAL, DEFAULT_UPDATE_INTERVAL),
                ): _number(10, 1440, "min"),
                vol.Required(
                    CONF_SWAP_TIMEOUT,
                    default=options.get(CONF_SWAP_TIMEOUT, DEFAULT_SWAP_TIMEOUT),
                ): _number(60, 7200, "s"),
                vol.Required(
                    CONF_WEBHOOKS_ENABLED, default=options.get(CONF_WEBHOOKS_ENABLED, True)
                ): BooleanSelector(),
                vol.Required(CONF_REGENERATE_WEBHOOKS, default=False): BooleanSelector(),
            }
        )
        discovery_url, health_url = webhook_urls(self.hass, options)
        return self.async_show_form(
            step_id="settings",
            data_schema=schema,
            description_placeholders={"discovery_url": discovery_url, "health_url": health_url},
        )

    async def async_step_assistant(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The conversation agent: LLM API (tools), prompt, answer length, history."""
        options = self.config_entry.options
        if user_input is not None:
            chosen = dict(user_input)
            if chosen.get(CONF_LLM_HASS_API) == LLM_API_NONE:
                chosen.pop(CONF_LLM_HASS_API)
            updated = {k: v for k, v in options.items() if k != CONF_LLM_HASS_API}
            return self.async_create_entry(data={**updated, **chosen})
        apis = [SelectOptionDict(value=LLM_API_NONE, label="No control")]
        apis += [
            SelectOptionDict(value=api.id, label=api.name) for api in llm.async_get_apis(self.hass)
        ]
        schema = vol.Schema(
            {
                vol.Required(
                    CONF_LLM_HASS_API, default=options.get(CONF_LLM_HASS_API, LLM_API_NONE)
                ): SelectSelector(SelectSelectorConfig(options=apis)),
                vol.Optional(
                    CONF_PROMPT,
                    description={"suggested_value": options.get(CONF_PROMPT)},
                ): TemplateSelector(),
                vol.Required(
                    CONF_MAX_TOKENS, default=options.get(CONF_MAX_TOKENS, DEFAULT_MAX_TOKENS)
                ): _number(16, 8192, "tokens"),
                vol.Required(
                    CONF_TEMPERATURE, default=options.get(CONF_TEMPERATURE, DEFAULT_TEMPERATURE)
                ): NumberSelector(NumberSelectorConfig(min=0, max=2, step=0.05)),
                vol.Required(
                    CONF_MAX_HISTORY, default=options.get(CONF_MAX_HISTORY, DEFAULT_MAX_HISTORY)
                ): _number(0, 100, "turns"),
            }
        )
        return self.async_show_form(step_id="assistant", data_schema=schema)

    async def async_step_pipeline(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """One submit: the "Spark Control" pipeline (Parakeet → agent → Magpie)."""
        errors: dict[str, str] = {}
        placeholders = {"name": PIPELINE_NAME, "error": ""}
        if user_input is not None:
            try:
                await async_create_pipeline(
                    self.hass,
                    cast(SparkConfigEntry, self.config_entry),
                    preferred=user_input[CONF_PREFERRED],
                )
            except HomeAssistantError as err:
                errors["base"] = "pipeline_failed"
                placeholders["error"] = sanitize(err)
            else:
                return self.async_abort(
                    reason="pipeline_created", description_placeholders={"name": PIPELINE_NAME}
                )
        return self.async_show_form(
            step_id="pipeline",
            data_schema=vol.Schema({vol.Required(CONF_PREFERRED, default=True): BooleanSelector()}),
            errors=errors,
            description_placeholders=placeholders,
        )
