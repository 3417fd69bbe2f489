"""Issue 13's "Done when", end to end: real HA core, the simulated Sparks, real audio.

espeak-ng speaks the command; Home Assistant's assist_pipeline sends it to the simulated
Parakeet (pocketsphinx), the transcript to the cluster's agent (the simulated vLLM streams a
tool call, HA runs it on a demo light), the answer to the simulated Magpie (espeak-ng again),
and the audio is fetched and decoded. The simulated vLLM's answers follow its documented rule
set (spark_sim/README.md), so every sentence here is predictable.
"""

from __future__ import annotations

import asyncio
import io
import subprocess
import wave
from collections.abc import AsyncIterator
from typing import Any

import numpy as np
import pytest
from homeassistant.components import assist_pipeline, stt
from homeassistant.const import CONF_LLM_HASS_API, STATE_ON, STATE_UNAVAILABLE
from homeassistant.core import Context, HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.spark_control.const import DOMAIN
from custom_components.spark_control.pipeline import async_create_pipeline
from spark_sim.config import PairConfig

from .conftest import pair_machine_id, sim_entry_data

GEMMA = "google/gemma-4-26B-A4B-it"
QWEN36 = "RedHatAI/Qwen3.6-35B-A3B-NVFP4"
STT = "stt.parakeet_speech_to_text"
LIGHT = "light.kitchen_lights"

pytestmark = pytest.mark.slow


def spoken(text: str) -> bytes:
    """`text` as espeak-ng says it, as Assist streams audio: raw 16 kHz 16-bit mono PCM."""
    wav = subprocess.run(
        ["espeak-ng", "--stdout", "-v", "en-us", text], check=True, capture_output=True
    ).stdout
    with wave.open(io.BytesIO(wav)) as reader:
        rate = reader.getframerate()
        samples = np.frombuffer(reader.readframes(reader.getnframes()), dtype="<i2")
    target = np.arange(0, len(samples) * 16000 // rate) * (rate / 16000)
    resampled = np.interp(target, np.arange(len(samples)), samples.astype(np.float64))
    silence = np.zeros(8000)  # half a second either side, as a microphone would send
    return np.concatenate([silence, resampled, silence]).astype("<i2").tobytes()


async def chunks(pcm: bytes) -> AsyncIterator[bytes]:
    """10 ms frames, as a satellite sends them."""
    for start in range(0, len(pcm), 320):
        yield pcm[start : start + 320]


async def poll_until(hass: HomeAssistant, entry: MockConfigEntry, check: Any) -> None:
    """Poll the status (real time: the simulator runs in this process) until `check()`."""
    async with asyncio.timeout(90):
        while True:
            await entry.runtime_data.status.async_refresh()
            await hass.async_block_till_done()
            if check():
                return
            await asyncio.sleep(0.5)


@pytest.fixture
async def voice_setup(
    hass: HomeAssistant, sim_pair_factory: Any, tmp_path: Any
) -> AsyncIterator[tuple[MockConfigEntry, str, Any]]:
    """Gemma serving tool calls, the entry with the Assist API, a demo light, the pipeline."""
    pair = await sim_pair_factory(
        PairConfig(
            initial_model=GEMMA,
            initial_vllm_args=("--enable-auto-tool-choice", "--tool-call-parser", "gemma4"),
            downloaded_models=(GEMMA, QWEN36),
            vllm_load_seconds=1.0,
        )
    )
    assert await async_setup_component(hass, "demo", {})
    await hass.async_block_till_done()
    er.async_get(hass).async_update_entity(LIGHT, aliases={"Kitchen Light"})
    await hass.services.async_call("light", "turn_off", {"entity_id": LIGHT}, blocking=True)
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=pair_machine_id(pair),
        title="Spark cluster 127.0.0.1",
        data=sim_entry_data(pair),
        options={CONF_LLM_HASS_API: "assist"},
    )
    entry.add_to_hass(hass)
    with _tts_cache(tmp_path):
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()

        def ready() -> bool:
            status = entry.runtime_data.status.data.status
            services = status.services
            return bool(
                status.vllm.ready and services["parakeet"].ready and services["magpie"].ready
            )

        await poll_until(hass, entry, ready)
        pipeline_id = await async_create_pipeline(hass, entry, preferred=True)
        yield entry, pipeline_id, pair
        await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_block_till_done()


def _tts_cache(tmp_path: Any) -> Any:
    """TTS files in the test's folder (HA core's tests do the same)."""
    from unittest.mock import patch

    return patch("homeassistant.components.tts._init_tts_cache_dir", return_value=str(tmp_path))


async def run_audio(hass: HomeAssistant, pipeline_id: str, text: str) -> list[Any]:
    """One full pipeline run (stt → intent → tts) from espeak-ng's audio; its events."""
    events: list[Any] = []
    await assist_pipeline.async_pipeline_from_audio_stream(
        hass,
        context=Context(),
        event_callback=events.append,
        stt_metadata=stt.SpeechMetadata(
            language="",
            format=stt.AudioFormats.WAV,
            codec=stt.AudioCodecs.PCM,
            bit_rate=stt.AudioBitRates.BITRATE_16,
            sample_rate=stt.AudioSampleRates.SAMPLERATE_16000,
            channel=stt.AudioChannels.CHANNEL_MONO,
        ),
        stt_stream=chunks(await asyncio.to_thread(spoken, text)),
        pipeline_id=pipeline_id,
        tts_audio_output="wav",
        audio_settings=assist_pipeline.AudioSettings(is_vad_enabled=False),
    )
    return events


def by_type(events: list[Any]) -> dict[str, Any]:
    return {str(event.type): event.data for event in events}


def speech_of(events: list[Any]) -> str:
    data = by_type(events)["intent-end"]["intent_output"]
    return str(data["response"]["speech"]["plain"]["speech"])


async def test_voice_command_turns_on_the_light(
    hass: HomeAssistant,
    voice_setup: tuple[MockConfigEntry, str, Any],
    hass_client: ClientSessionGenerator,
) -> None:
    """ "turn on the kitchen light": transcribed, a streamed tool call, the light on, WAV back."""
    _entry, pipeline_id, _pair = voice_setup
    assert hass.states.get(LIGHT).state != STATE_ON
    # Magpie's voices came from its list_voices: the pipeline speaks with its first en-US one.
    pipeline = assist_pipeline.pipeline.async_get_pipeline(hass, pipeline_id)
    assert (pipeline.tts_voice or "").startswith("Magpie-Multilingual.EN-US.")
    events = await run_audio(hass, pipeline_id, "turn on the kitchen light")
    seen = by_type(events)
    assert "error" not in seen, seen.get("error")
    assert seen["stt-end"]["stt_output"]["text"] == "Turn on the kitchen light."
    assert hass.states.get(LIGHT).state == STATE_ON
    assert speech_of(events) == "The kitchen light is on."
    # The tool call reached the pipeline as a streamed chat-log delta.
    deltas = [e.data["chat_log_delta"] for e in events if str(e.type) == "intent-progress"]
    calls = [call for delta in deltas for call in delta.get("tool_calls") or ()]
    assert [call.tool_name for call in calls] == ["HassTurnOn"]
    # Magpie's answer, fetched from the pipeline's TTS URL as a player would, is a WAV.
    client = await hass_client()
    response = await client.get(seen["tts-end"]["tts_output"]["url"])
    assert response.status == 200
    audio = await response.read()
    with wave.open(io.BytesIO(audio)) as reader:
        assert reader.getnchannels() == 1
        assert reader.getnframes() > reader.getframerate() // 2  # over half a second


async def test_load_sentence_starts_a_real_swap_and_the_agent_says_so(
    hass: HomeAssistant, voice_setup: tuple[MockConfigEntry, str, Any]
) -> None:
    """ "load qwen36 on the cluster" swaps on the Sparks; meanwhile the agent gives progress."""
    entry, pipeline_id, _pair = voice_setup
    events = await run_audio(hass, pipeline_id, "load qwen36 on the cluster")
    assert "error" not in by_type(events), by_type(events).get("error")
    assert by_type(events)["stt-end"]["stt_output"]["text"] == "Load qwen36 on the cluster."
    assert speech_of(events) == "Loading Qwen3.6 35B-A3B on the cluster. It takes a few minutes."
    assert entry.runtime_data.activity.latest.swap_running

    # A voice command for the model during the swap: the agent's translated sentence with
    # the swap's progress (spoken by Magpie), not an error; the light stays as it was.
    events = await run_audio(hass, pipeline_id, "turn on the kitchen light")
    seen = by_type(events)
    assert "error" not in seen, seen.get("error")
    answer = speech_of(events)
    assert answer.startswith("The cluster is "), answer
    assert "Qwen3.6 35B-A3B" in answer
    assert "try again in" in answer
    assert hass.states.get(LIGHT).state != STATE_ON
    assert seen["tts-end"]["tts_output"]["media_id"]

    # The swap really ends with Qwen3.6 served by the simulated vLLM.
    await poll_until(
        hass,
        entry,
        lambda: (
            not entry.runtime_data.activity.latest.swap_running
            and entry.runtime_data.status.data.status.vllm.model == QWEN36
        ),
    )


async def test_parakeet_down_makes_stt_unavailable(
    hass: HomeAssistant, voice_setup: tuple[MockConfigEntry, str, Any]
) -> None:
    """Parakeet's container stopped (its switch): the speech-to-text entity is unavailable."""
    entry, _pipeline_id, _pair = voice_setup
    assert hass.states.get(STT).state != STATE_UNAVAILABLE
    await hass.services.async_call(
        "switch", "turn_off", {"entity_id": "switch.parakeet_container"}, blocking=True
    )
    await poll_until(hass, entry, lambda: hass.states.get(STT).state == STATE_UNAVAILABLE)


async def test_agent_without_the_tool_flags_answers_without_control(
    hass: HomeAssistant, sim_pair_factory: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """vLLM launched without --enable-auto-tool-choice refuses tools (its real 400): the agent
    asks again without them, answers, and says why in the log once per model."""
    from homeassistant.components import conversation

    pair = await sim_pair_factory(
        PairConfig(initial_model=GEMMA, downloaded_models=(GEMMA,), vllm_load_seconds=1.0)
    )
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=pair_machine_id(pair),
        data=sim_entry_data(pair),
        options={CONF_LLM_HASS_API: "assist"},
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await poll_until(hass, entry, lambda: bool(entry.runtime_data.status.data.status.vllm.ready))
    for _ in range(2):
        result = await conversation.async_converse(
            hass,
            "turn on the kitchen light",
            None,
            Context(),
            language="en",
            agent_id="conversation.vllm_cluster_assistant",
        )
        speech = result.response.speech["plain"]["speech"]
        assert speech == "You said: turn on the kitchen light."
    assert caplog.text.count("refuses tool calls") == 1
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


async def test_magpie_openai_flavour_speaks_wav(
    hass: HomeAssistant, sim_pair_factory: Any, tmp_path: Any
) -> None:
    """An entry set to the OpenAI-style Magpie: its fixed speakers, WAV from /v1/audio/speech."""
    from homeassistant.components import tts

    pair = await sim_pair_factory(PairConfig(magpie_api="openai"))
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=pair_machine_id(pair),
        data={**sim_entry_data(pair), "tts_flavour": "openai"},
    )
    entry.add_to_hass(hass)
    with _tts_cache(tmp_path):
        assert await hass.config_entries.async_setup(entry.entry_id)
        engine = "tts.magpie_text_to_speech"
        await poll_until(hass, entry, lambda: hass.states.get(engine).state != STATE_UNAVAILABLE)
        assert "en-US" in tts.async_get_text_to_speech_languages(hass)
        stream = tts.async_create_stream(
            hass, engine, language="en-US", options={tts.ATTR_PREFERRED_FORMAT: "wav"}
        )
        stream.async_set_message("The kitchen light is on.")
        audio = b"".join([chunk async for chunk in stream.async_stream_result()])
        with wave.open(io.BytesIO(audio)) as reader:
            assert reader.getframerate() == 22050
            assert reader.getnframes() > reader.getframerate() // 2
        await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_block_till_done()
