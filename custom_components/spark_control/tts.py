"""Text-to-speech: Magpie, in the API flavour the entry is configured for, as WAV.

The NIM flavour lists its voices (`/v1/audio/list_voices`); they are read when the entity is
added and again whenever Magpie turns ready, so languages and voices follow the container that
runs. The OpenAI-style flavour has fixed speakers. Unavailable while Magpie is not ready.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.components import tts
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api.models import TtsFlavour
from .const import CONF_TTS_FLAVOUR, DOMAIN, LOGGER, TTS_NIM, TTS_OPENAI
from .coordinator import SparkConfigEntry
from .entity import SparkStatusEntity
from .helpers import error_placeholders, sanitize
from .speech import (
    MAGPIE_LANGUAGES,
    SpeechError,
    VoiceList,
    list_voices,
    openai_voices,
    synthesize,
)

PARALLEL_UPDATES = 0
ATTR_VOICE = "voice"
DEFAULT_LANGUAGE = "en-US"


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SparkConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """One text-to-speech entity when Magpie is configured."""
    if entry.runtime_data.client.service_base_url("magpie") is not None:
        async_add_entities([MagpieTextToSpeech(entry)])


def voice_label(voice_id: str) -> str:
    """`Magpie-Multilingual.EN-US.Aria.Calm` → `Aria (Calm)`; plain names are capitalised."""
    parts = voice_id.split(".")
    if len(parts) >= 3:
        speaker, rest = parts[2], parts[3:]
        return f"{speaker} ({' '.join(rest)})" if rest else speaker
    return voice_id.capitalize()


class MagpieTextToSpeech(SparkStatusEntity, tts.TextToSpeechEntity):
    """Magpie TTS multilingual as an Assist text-to-speech engine."""

    _attr_translation_key = "text_to_speech"

    def __init__(self, entry: SparkConfigEntry) -> None:
        """Attach to the Magpie device; languages until the service lists its own."""
        super().__init__(entry, "magpie", "tts")
        self._entry = entry
        self._attr_supported_options = [ATTR_VOICE]
        flavour = entry.data.get(CONF_TTS_FLAVOUR, TTS_NIM)
        self._flavour: TtsFlavour = TTS_OPENAI if flavour == TTS_OPENAI else TTS_NIM
        self._voices: VoiceList = (
            openai_voices()
            if self._flavour == TTS_OPENAI
            else VoiceList({language: [] for language in MAGPIE_LANGUAGES})
        )
        self._listed = self._flavour == TTS_OPENAI
        self._attr_default_language = DEFAULT_LANGUAGE
        self._attr_supported_languages = list(self._voices.voices)

    async def async_added_to_hass(self) -> None:
        """Read the voices now if Magpie is ready (later: when it turns ready)."""
        await super().async_added_to_hass()
        if self.available:
            await self._async_list_voices()

    @callback
    def _handle_coordinator_update(self) -> None:
        """Magpie turned ready with its voices not read yet: read them."""
        if not self._listed and self.available:
            self._listed = True  # one try per readiness; a failure retries after a reload
            self._entry.async_create_background_task(
                self.hass, self._async_list_voices(), f"{DOMAIN} magpie voices"
            )
        super()._handle_coordinator_update()

    async def _async_list_voices(self) -> None:
        base_url = self._entry.runtime_data.client.service_base_url("magpie")
        if self._flavour == TTS_OPENAI or base_url is None:
            return
        try:
            voices = await list_voices(async_get_clientsession(self.hass), base_url)
        except SpeechError as err:
            LOGGER.warning("Magpie's voices could not be read: %s", sanitize(err))
            return
        self._listed = True
        if voices.languages:
            self._voices = voices
            self._attr_supported_languages = voices.languages
            if DEFAULT_LANGUAGE not in voices.languages:
                self._attr_default_language = voices.languages[0]

    def dependencies_available(self) -> bool:
        """Magpie's host is reachable and Magpie answers its readiness check."""
        service = self.coordinator.data.status.services.get("magpie")
        return super().dependencies_available() and service is not None and bool(service.ready)

    @property
    def default_options(self) -> Mapping[str, Any]:
        """The default language's first voice."""
        voices = self._voices.voices.get(self.default_language) or []
        return {ATTR_VOICE: voices[0]} if voices else {}

    @callback
    def async_get_supported_voices(self, language: str) -> list[tts.Voice] | None:
        """The voices Magpie offers in `language`."""
        names = self._voices.voices.get(language)
        if not names:
            return None
        return [tts.Voice(name, voice_label(name)) for name in names]

    async def async_get_tts_audio(
        self, message: str, language: str, options: dict[str, Any]
    ) -> tts.TtsAudioType:
        """WAV audio from Magpie; a failure is a translated error for the pipeline."""
        voices = self._voices.voices.get(language) or []
        voice = options.get(ATTR_VOICE) or (voices[0] if voices else "aria")
        base_url = self._entry.runtime_data.client.service_base_url("magpie") or ""
        try:
            audio = await synthesize(
                async_get_clientsession(self.hass),
                base_url,
                self._flavour,
                text=message,
                language=language,
                voice=str(voice),
            )
        except SpeechError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="tts_failed",
                translation_placeholders=error_placeholders(err),
            ) from err
        return "wav", audio
