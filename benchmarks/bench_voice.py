"""Voice benchmarks on real HA core and the simulated pair; prints name=value lines.

- assist_overhead_ms: median, over RUNS pipeline runs of "turn on the kitchen light" (espeak-ng
  audio → Parakeet → the cluster's agent with a tool call on a demo light → Magpie, the audio
  fetched), of the run's wall time minus the time spent waiting for the three services (every
  await on Parakeet's, vLLM's and Magpie's HTTP answers, timed around the integration's client
  calls). What is left is what Home Assistant and the integration add: the pipeline, the chat
  log, the tool call, WAV framing. Target <= 30 ms.
- services_ms: median of the services' own share of a run (for scale).
- tts_first_byte_ms: median time from asking Home Assistant's TTS for a new sentence to the first
  audio byte (Magpie answers a whole WAV, so this is its synthesis plus the integration).

Home Assistant runs in-process through pytest-homeassistant-custom-component's harness; the
simulated services are real HTTP servers (pocketsphinx, espeak-ng), so service times are real
but not those of a Spark.
"""

from __future__ import annotations

import asyncio
import io
import statistics
import subprocess
import sys
import tempfile
import time
import wave
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any
from unittest.mock import patch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
from homeassistant import loader
from homeassistant.components import assist_pipeline, stt, tts
from homeassistant.const import CONF_LLM_HASS_API
from homeassistant.core import Context, HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_test_home_assistant,
)

from benchmarks.bench_ha import entry_data
from custom_components.spark_control import chat, conversation, speech
from custom_components.spark_control import stt as our_stt
from custom_components.spark_control import tts as our_tts
from custom_components.spark_control.const import DOMAIN
from custom_components.spark_control.pipeline import async_create_pipeline
from spark_sim import PairConfig, SimPair

MODEL = "google/gemma-4-26B-A4B-it"
RUNS = 7
LIGHT = "light.kitchen_lights"


class ServiceClock:
    """Sums the time spent awaiting the services' answers."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def timed(self, func: Callable[..., Any]) -> Callable[..., Any]:
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return await func(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - start

        return wrapper

    def timed_stream(self, func: Callable[..., AsyncIterator[Any]]) -> Callable[..., Any]:
        async def wrapper(*args: Any, **kwargs: Any) -> AsyncIterator[Any]:
            stream = func(*args, **kwargs)
            while True:
                start = time.perf_counter()
                try:
                    item = await anext(stream)
                except StopAsyncIteration:
                    self.seconds += time.perf_counter() - start
                    return
                self.seconds += time.perf_counter() - start
                yield item

        return wrapper


def spoken(text: str) -> bytes:
    """espeak-ng's audio as raw 16 kHz 16-bit mono PCM."""
    wav = subprocess.run(
        ["espeak-ng", "--stdout", "-v", "en-us", text], check=True, capture_output=True
    ).stdout
    with wave.open(io.BytesIO(wav)) as reader:
        rate = reader.getframerate()
        samples = np.frombuffer(reader.readframes(reader.getnframes()), dtype="<i2")
    target = np.arange(0, len(samples) * 16000 // rate) * (rate / 16000)
    resampled = np.interp(target, np.arange(len(samples)), samples.astype(np.float64))
    silence = np.zeros(8000)
    return np.concatenate([silence, resampled, silence]).astype("<i2").tobytes()


async def run_once(hass: HomeAssistant, pipeline_id: str, pcm: bytes) -> float:
    """One pipeline run and the audio fetched (its seconds); raises on any pipeline error."""
    events: list[Any] = []
    start = time.perf_counter()

    async def frames() -> AsyncIterator[bytes]:
        for start in range(0, len(pcm), 320):
            yield pcm[start : start + 320]

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
        stt_stream=frames(),
        pipeline_id=pipeline_id,
        tts_audio_output="wav",
        audio_settings=assist_pipeline.AudioSettings(is_vad_enabled=False),
    )
    seen = {str(event.type): event.data for event in events}
    if "error" in seen:
        raise RuntimeError(f"pipeline error: {seen['error']}")
    await tts.async_get_media_source_audio(hass, seen["tts-end"]["tts_output"]["media_id"])
    seconds = time.perf_counter() - start
    if hass.states.get(LIGHT).state != "on":
        raise RuntimeError("the tool call did not turn the light on")
    await hass.services.async_call("light", "turn_off", {"entity_id": LIGHT}, blocking=True)
    return seconds


async def measure(root: Path) -> dict[str, float]:
    """Set up HA with the pair and the pipeline; time the runs and the TTS requests."""
    config = PairConfig(
        initial_model=MODEL,
        initial_vllm_args=("--enable-auto-tool-choice", "--tool-call-parser", "gemma4"),
        downloaded_models=(MODEL,),
        vllm_load_seconds=1.0,
    )
    clock = ServiceClock()
    with (
        patch.object(our_stt, "transcribe", clock.timed(speech.transcribe)),
        patch.object(our_tts, "synthesize", clock.timed(speech.synthesize)),
        patch.object(conversation, "stream_chat", clock.timed_stream(chat.stream_chat)),
        patch("homeassistant.components.tts._init_tts_cache_dir", return_value=str(root)),
    ):
        async with (
            SimPair(root / "pair", config) as pair,
            async_test_home_assistant(config_dir=str(root / "ha")) as hass,
        ):
            hass.data.pop(loader.DATA_CUSTOM_COMPONENTS, None)
            assert await async_setup_component(hass, "homeassistant", {})
            assert await async_setup_component(hass, "demo", {})
            await hass.async_block_till_done()
            er.async_get(hass).async_update_entity(LIGHT, aliases={"Kitchen Light"})
            entry = MockConfigEntry(
                domain=DOMAIN,
                unique_id=str(pair.nodes["head"].machine_id).strip(),
                title="Spark cluster",
                data=entry_data(pair),
                options={CONF_LLM_HASS_API: "assist"},
                minor_version=2,
            )
            entry.add_to_hass(hass)
            assert await hass.config_entries.async_setup(entry.entry_id)
            await hass.async_block_till_done()
            async with asyncio.timeout(120):
                while True:
                    await entry.runtime_data.status.async_refresh()
                    status = entry.runtime_data.status.data.status
                    if status.vllm.ready and all(
                        status.services[key].ready for key in ("parakeet", "magpie")
                    ):
                        break
                    await asyncio.sleep(0.5)
            await hass.async_block_till_done()
            pipeline_id = await async_create_pipeline(hass, entry, preferred=True)
            pcm = await asyncio.to_thread(spoken, "turn on the kitchen light")
            await hass.services.async_call("light", "turn_off", {"entity_id": LIGHT}, blocking=True)
            await run_once(hass, pipeline_id, pcm)  # warm-up: imports, first connections
            overhead, services = [], []
            for _ in range(RUNS):
                clock.seconds = 0.0
                total = await run_once(hass, pipeline_id, pcm)
                overhead.append((total - clock.seconds) * 1000)
                services.append(clock.seconds * 1000)
            first_bytes = []
            engine = "tts.magpie_text_to_speech"
            for number in range(RUNS):
                start = time.perf_counter()
                stream = tts.async_create_stream(
                    hass, engine, language="en-US", options={tts.ATTR_PREFERRED_FORMAT: "wav"}
                )
                stream.async_set_message(f"The kitchen light is on, number {number}.")
                async for _chunk in stream.async_stream_result():
                    break
                first_bytes.append((time.perf_counter() - start) * 1000)
            await hass.config_entries.async_unload(entry.entry_id)
            await hass.async_block_till_done()
            await hass.async_stop(force=True)
    return {
        "assist_overhead_ms": statistics.median(overhead),
        "services_ms": statistics.median(services),
        "tts_first_byte_ms": statistics.median(first_bytes),
    }


async def main() -> None:
    """Print the figures."""
    with tempfile.TemporaryDirectory(prefix="bench_voice_") as root:
        figures = await measure(Path(root))
    for name, value in figures.items():
        print(f"{name}={value:.1f}")


if __name__ == "__main__":
    asyncio.run(main())
