"""Assist intents for the cluster itself ("load Gemma 4 on the cluster", "is the cluster ready").

Not to be confused with `intents.py`, the Store of *job* intents (what a running download or
swap should do when it ends). This module follows Home Assistant's naming for Assist intent
handlers.

Home Assistant's `intent` integration registers the handlers through `async_setup_intents`
(so an LLM agent with the Assist API can call them as tools); the English sentences are
registered as trigger sentences of the default agent while an entry is loaded, so they work
without any YAML — also in a pipeline whose agent is the cluster's model, because sentence
triggers are tried before any agent. Handlers take the same paths
as the entities: a load is the model select's swap, a restart presses the restart button.
Model names are free text, matched against the catalog's keys, names and repo ids.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar, Final

import voluptuous as vol
from homeassistant.components.button.const import DOMAIN as BUTTON_DOMAIN
from homeassistant.components.button.const import SERVICE_PRESS
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import intent

from .answers import async_download_sentence, async_swap_sentence, model_name
from .api import CatalogModel
from .compat import async_register_trigger_sentences
from .const import DOMAIN, SERVICE_KEYS
from .coordinator import SparkConfigEntry
from .helpers import async_sentence, sanitize

INTENT_LOAD_MODEL: Final = "SparkLoadModel"
INTENT_LOADED_MODEL: Final = "SparkLoadedModel"
INTENT_CLUSTER_READY: Final = "SparkClusterReady"
INTENT_RESTART_SERVICE: Final = "SparkRestartService"
INTENT_DOWNLOAD_PROGRESS: Final = "SparkDownloadProgress"

# English sentences (hassil template syntax); `{model}` is free text, matched here. The
# restart sentences name the service literally, so no other "restart …" sentence is taken.
SENTENCES: Final[dict[str, list[str]]] = {
    INTENT_LOAD_MODEL: [
        "(load|start|run) {model} on [the] (cluster|sparks|spark)",
        "switch [the] (cluster|sparks) to {model}",
    ],
    INTENT_LOADED_MODEL: [
        "(which|what) model is (loaded|running) [on the (cluster|sparks)]",
        "(which|what) model is the (cluster|sparks) running",
        "(which|what) model does the (cluster|sparks) run",
    ],
    INTENT_CLUSTER_READY: [
        "is the (cluster|sparks) ready",
        "are the sparks ready",
        "is the spark cluster ready",
    ],
    INTENT_RESTART_SERVICE: [
        "restart [the] (parakeet|magpie)",
        "restart [the] (parakeet|magpie) (service|container)",
    ],
    INTENT_DOWNLOAD_PROGRESS: [
        "how far is the download",
        "how is the download (going|doing)",
        "what is the download progress",
        "how far along is the download",
    ],
}
_NOT_WORD = re.compile(r"[^a-z0-9]+")


def normalize(text: str) -> str:
    """Lower case letters and digits only: "Qwen 3.6" and "qwen36" compare equal."""
    return _NOT_WORD.sub("", text.lower())


def match_model(models: list[CatalogModel], spoken: str) -> CatalogModel | None:
    """The catalog model a spoken name means: key, name, repo id or its last part; a unique
    prefix of a name ("Gemma 4" for "Gemma 4 26B-A4B IT") also counts."""
    said = normalize(spoken)
    if not said:
        return None
    for model in models:
        names = (model.key, model.name, model.repo_id, model.repo_id.rsplit("/", 1)[-1])
        if said in {normalize(name) for name in names}:
            return model
    prefixed = [
        model
        for model in models
        if normalize(model.name).startswith(said) or normalize(model.key).startswith(said)
    ]
    return prefixed[0] if len(prefixed) == 1 else None


def _loaded_entry(hass: HomeAssistant) -> SparkConfigEntry:
    """The (first) loaded Spark Control entry; an intent error when there is none."""
    for entry in hass.config_entries.async_entries(DOMAIN):
        if entry.state is ConfigEntryState.LOADED:
            return entry
    raise intent.IntentHandleError("Spark Control is not set up")


def _response(intent_obj: intent.Intent, speech: str) -> intent.IntentResponse:
    response = intent_obj.create_response()
    response.async_set_speech(speech)
    return response


class _SparkIntent(intent.IntentHandler):
    """Common parts: the platform, the entry, answering in the intent's language."""

    platforms: set[str] | None = {DOMAIN}  # noqa: RUF012 - IntentHandler declares it so

    async def async_handle(self, intent_obj: intent.Intent) -> intent.IntentResponse:
        """Answer with the real result; a refused action is answered, not raised."""
        entry = _loaded_entry(intent_obj.hass)
        slots = self.async_validate_slots(intent_obj.slots)
        try:
            speech = await self.async_answer(intent_obj, entry, slots)
        except HomeAssistantError as err:
            speech = await async_sentence(
                intent_obj.hass,
                intent_obj.language,
                "voice_action_failed",
                {"error": sanitize(err)},
            )
        return _response(intent_obj, speech)

    async def async_answer(
        self, intent_obj: intent.Intent, entry: SparkConfigEntry, slots: dict[str, Any]
    ) -> str:
        """The sentence to say."""
        raise NotImplementedError


class LoadModelIntent(_SparkIntent):
    """Swap the cluster to a catalog model (the model select's path)."""

    intent_type = INTENT_LOAD_MODEL
    description = "Loads a language model from the Spark Control catalog on the DGX Spark cluster"
    slot_schema: ClassVar[dict[Any, Any] | None] = {vol.Required("model"): cv.string}

    async def async_answer(
        self, intent_obj: intent.Intent, entry: SparkConfigEntry, slots: dict[str, Any]
    ) -> str:
        """Start the swap and say which model is coming, or which names are known."""
        hass, language = intent_obj.hass, intent_obj.language
        spoken = str(slots["model"]["value"])
        catalog = list(entry.runtime_data.activity.latest.catalog)
        found = match_model(catalog, spoken)
        if found is None:
            known = ", ".join(model_name(entry, model.repo_id) for model in catalog)
            return await async_sentence(
                hass, language, "voice_unknown_model", {"model": spoken, "known": known}
            )
        served = entry.runtime_data.status.data.status.vllm
        if served.ready and served.model == found.repo_id:
            return await async_sentence(
                hass,
                language,
                "voice_model_already_loaded",
                {"model": model_name(entry, found.key)},
            )
        entry.runtime_data.jobs.async_start_swap(found.key)
        return await async_sentence(
            hass, language, "voice_swap_started", {"model": model_name(entry, found.key)}
        )


class LoadedModelIntent(_SparkIntent):
    """Which model vLLM serves (or which one is loading)."""

    intent_type = INTENT_LOADED_MODEL
    description = "Tells which language model the DGX Spark cluster serves"

    async def async_answer(
        self, intent_obj: intent.Intent, entry: SparkConfigEntry, slots: dict[str, Any]
    ) -> str:
        """The served model's name, the swap in progress, or that none runs."""
        hass, language = intent_obj.hass, intent_obj.language
        swapping = await async_swap_sentence(hass, entry, language)
        if swapping is not None:
            return swapping
        vllm = entry.runtime_data.status.data.status.vllm
        if vllm.model and vllm.ready:
            return await async_sentence(
                hass, language, "voice_model_loaded", {"model": model_name(entry, vllm.model)}
            )
        return await async_sentence(hass, language, "voice_no_model")


class ClusterReadyIntent(_SparkIntent):
    """Whether both Sparks, vLLM and the speech services are up."""

    intent_type = INTENT_CLUSTER_READY
    description = "Tells whether the DGX Spark cluster, its model and speech services are ready"

    async def async_answer(
        self, intent_obj: intent.Intent, entry: SparkConfigEntry, slots: dict[str, Any]
    ) -> str:
        """Ready with the model's name, or the first thing that is not."""
        hass, language = intent_obj.hass, intent_obj.language
        swapping = await async_swap_sentence(hass, entry, language)
        if swapping is not None:
            return swapping
        coordinator = entry.runtime_data.status
        if not coordinator.last_update_success:
            return await async_sentence(hass, language, "voice_cluster_unreachable")
        status = coordinator.data.status
        away = [name for name, node in status.nodes.items() if not node.reachable]
        if away:
            return await async_sentence(
                hass, language, "voice_node_unreachable", {"node": ", ".join(away)}
            )
        down = [
            key.capitalize()
            for key, service in status.services.items()
            if key in SERVICE_KEYS and service.ready is False
        ]
        if not status.vllm.ready or not status.vllm.model:
            return await async_sentence(hass, language, "voice_llm_down")
        name = model_name(entry, status.vllm.model)
        if down:
            return await async_sentence(
                hass,
                language,
                "voice_ready_except",
                {"model": name, "services": ", ".join(down)},
            )
        return await async_sentence(hass, language, "voice_ready", {"model": name})


class RestartServiceIntent(_SparkIntent):
    """Restart Parakeet or Magpie (the restart button's path)."""

    intent_type = INTENT_RESTART_SERVICE
    description = "Restarts the Parakeet (speech-to-text) or Magpie (text-to-speech) container"
    slot_schema: ClassVar[dict[Any, Any] | None] = {vol.Required("service"): cv.string}

    async def async_answer(
        self, intent_obj: intent.Intent, entry: SparkConfigEntry, slots: dict[str, Any]
    ) -> str:
        """Press the service's restart button and say how the service came back."""
        hass, language = intent_obj.hass, intent_obj.language
        spoken = normalize(str(slots["service"]["value"]))
        key = next((k for k in SERVICE_KEYS if normalize(k) == spoken), None)
        if key is None:
            return await async_sentence(
                hass, language, "voice_unknown_service", {"service": sanitize(spoken, 60)}
            )
        button = er.async_get(hass).async_get_entity_id(
            BUTTON_DOMAIN, DOMAIN, f"{entry.unique_id}_{key}_restart"
        )
        if button is None:
            return await async_sentence(
                hass, language, "voice_not_controllable", {"service": key.capitalize()}
            )
        await hass.services.async_call(
            BUTTON_DOMAIN,
            SERVICE_PRESS,
            {ATTR_ENTITY_ID: button},
            blocking=True,
            context=intent_obj.context,
        )
        service = entry.runtime_data.status.data.status.services.get(key)
        ready = service is not None and bool(service.ready)
        return await async_sentence(
            hass,
            language,
            "voice_restarted_ready" if ready else "voice_restarted_loading",
            {"service": key.capitalize()},
        )


class DownloadProgressIntent(_SparkIntent):
    """How far the model download is."""

    intent_type = INTENT_DOWNLOAD_PROGRESS
    description = "Tells how far the model download to the DGX Sparks is"

    async def async_answer(
        self, intent_obj: intent.Intent, entry: SparkConfigEntry, slots: dict[str, Any]
    ) -> str:
        """Percent and time left, or the last download's end."""
        return await async_download_sentence(intent_obj.hass, entry, intent_obj.language)


HANDLERS: Final = (
    LoadModelIntent,
    LoadedModelIntent,
    ClusterReadyIntent,
    RestartServiceIntent,
    DownloadProgressIntent,
)


async def async_setup_intents(hass: HomeAssistant) -> None:
    """Register the intent handlers (Home Assistant's `intent` integration calls this once)."""
    for handler_cls in HANDLERS:
        intent.async_register(hass, handler_cls())


@callback
def async_register_sentences(hass: HomeAssistant) -> CALLBACK_TYPE:
    """Give the default agent the English sentences; the returned callback removes them."""
    removers = [
        async_register_trigger_sentences(hass, sentences, _trigger(hass, intent_type))
        for intent_type, sentences in SENTENCES.items()
    ]

    @callback
    def remove() -> None:
        for remover in removers:
            remover()

    return remove


def _trigger(hass: HomeAssistant, intent_type: str) -> Any:
    """A trigger callback: the recognised wildcards become the intent's slots."""

    async def action(user_input: Any, result: Any) -> str | None:
        slots: dict[str, Any] = {
            name: {"value": entity.text.strip() if entity.text else entity.value}
            for name, entity in result.entities.items()
        }
        if intent_type == INTENT_RESTART_SERVICE:
            said = normalize(user_input.text)
            key = next((k for k in SERVICE_KEYS if k in said), said)
            slots["service"] = {"value": key}
        try:
            response = await intent.async_handle(
                hass,
                DOMAIN,
                intent_type,
                slots,
                user_input.text,
                user_input.context,
                language=user_input.language,
            )
        except intent.IntentError as err:
            return sanitize(err)
        speech = response.speech.get("plain", {}).get("speech")
        return str(speech) if speech else None

    return action
