"""Speech-to-text: Home Assistant's audio to Parakeet, as one WAV upload per utterance.

Assist streams raw 16 kHz 16-bit mono PCM; Parakeet's OpenAI-style endpoint takes a file, so
the utterance is gathered, given a RIFF header and sent once the stream ends (Parakeet decodes
a whole utterance at a time anyway). Unavailable while Parakeet is not ready; a failed request
is an ERROR result, logged once until a request succeeds again — never an exception.
"""

from __future__ import annotations

from collections.abc import AsyncIterable

from homeassistant.components import stt
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import LOGGER
from .coordinator import SparkConfigEntry
from .entity import SparkStatusEntity
from .helpers import sanitize
from .speech import PARAKEET_LANGUAGES, SpeechError, pcm_to_wav, transcribe

PARALLEL_UPDATES = 0
MAX_SECONDS = 60  # longer streams are cut: a stuck microphone must not fill memory


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SparkConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """One speech-to-text entity when Parakeet is configured."""
    if entry.runtime_data.client.service_base_url("parakeet") is not None:
        async_add_entities([ParakeetSpeechToText(entry)])


class ParakeetSpeechToText(SparkStatusEntity, stt.SpeechToTextEntity):
    """Parakeet (parakeet-tdt-0.6b-v3) as an Assist speech-to-text engine."""

    _attr_translation_key = "speech_to_text"

    def __init__(self, entry: SparkConfigEntry) -> None:
        """Attach to the Parakeet device."""
        super().__init__(entry, "parakeet", "stt")
        self._entry = entry
        self._failing = False

    def dependencies_available(self) -> bool:
        """Parakeet's host is reachable and Parakeet answers its readiness check."""
        service = self.coordinator.data.status.services.get("parakeet")
        return super().dependencies_available() and service is not None and bool(service.ready)

    @property
    def supported_languages(self) -> list[str]:
        """The 25 languages of parakeet-tdt-0.6b-v3."""
        return list(PARAKEET_LANGUAGES)

    @property
    def supported_formats(self) -> list[stt.AudioFormats]:
        """WAV (Assist's raw PCM gets its header here)."""
        return [stt.AudioFormats.WAV]

    @property
    def supported_codecs(self) -> list[stt.AudioCodecs]:
        """PCM."""
        return [stt.AudioCodecs.PCM]

    @property
    def supported_bit_rates(self) -> list[stt.AudioBitRates]:
        """16-bit."""
        return [stt.AudioBitRates.BITRATE_16]

    @property
    def supported_sample_rates(self) -> list[stt.AudioSampleRates]:
        """16 kHz, what Parakeet was trained on."""
        return [stt.AudioSampleRates.SAMPLERATE_16000]

    @property
    def supported_channels(self) -> list[stt.AudioChannels]:
        """Mono."""
        return [stt.AudioChannels.CHANNEL_MONO]

    async def async_process_audio_stream(
        self, metadata: stt.SpeechMetadata, stream: AsyncIterable[bytes]
    ) -> stt.SpeechResult:
        """Gather the utterance, send it as WAV, return the transcript (or ERROR)."""
        limit = MAX_SECONDS * 16000 * 2
        audio = bytearray()
        async for chunk in stream:
            if len(audio) < limit:
                audio.extend(chunk[: limit - len(audio)])
        # The /api/stt view passes the client's bytes as sent: they may already be a WAV file.
        wav = bytes(audio) if audio[:4] == b"RIFF" else pcm_to_wav(bytes(audio))
        base_url = self._entry.runtime_data.client.service_base_url("parakeet") or ""
        try:
            text = await transcribe(
                async_get_clientsession(self.hass), base_url, wav, metadata.language
            )
        except SpeechError as err:
            if not self._failing:
                self._failing = True
                LOGGER.warning("Parakeet could not transcribe: %s", sanitize(err))
            return stt.SpeechResult(None, stt.SpeechResultState.ERROR)
        if self._failing:
            self._failing = False
            LOGGER.info("Parakeet transcribes again")
        return stt.SpeechResult(text, stt.SpeechResultState.SUCCESS)
