"""Voice platforms and Assist sentences on real HA core, with the cluster client mocked.

The end-to-end runs (audio in, tool call, audio out; a real swap) are in test_voice_sim.py
against the simulator; these pin the integration's own decisions: availability, the spoken
answers, which code path each sentence takes, and the options flow's pipeline step.
"""

from __future__ import annotations

import asyncio
from typing import Any
from unittest.mock import MagicMock

import pytest
from homeassistant.components import conversation
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import Context, HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import intent

from custom_components.spark_control.api import ServiceStatus, SwapProgress, SwapState
from custom_components.spark_control.const import PIPELINE_NAME
from custom_components.spark_control.intent import match_model

from .conftest import cluster_status

STT = "stt.parakeet_speech_to_text"
TTS = "tts.magpie_text_to_speech"
AGENT = "conversation.vllm_cluster_assistant"


async def ask(hass: HomeAssistant, text: str, agent_id: str | None = None) -> str:
    """What Assist answers to `text` (default agent unless named)."""
    result = await conversation.async_converse(
        hass, text, None, Context(), language="en", agent_id=agent_id
    )
    return str(result.response.speech["plain"]["speech"])


async def test_entities_and_availability(
    hass: HomeAssistant, init_integration: Any, mock_cluster: MagicMock
) -> None:
    """stt follows Parakeet's readiness, tts Magpie's; the agent stays available."""
    assert hass.states.get(STT).state != STATE_UNAVAILABLE  # Parakeet ready in the mock
    assert hass.states.get(TTS).state == STATE_UNAVAILABLE  # Magpie exited
    assert hass.states.get(AGENT).state != STATE_UNAVAILABLE

    down = cluster_status()
    down.services["parakeet"] = ServiceStatus("running", False, None)
    mock_cluster.status.return_value = down
    await init_integration.runtime_data.status.async_refresh()
    await hass.async_block_till_done()
    assert hass.states.get(STT).state == STATE_UNAVAILABLE

    mock_cluster.status.side_effect = None
    mock_cluster.status.return_value = cluster_status()
    await init_integration.runtime_data.status.async_refresh()
    await hass.async_block_till_done()
    assert hass.states.get(STT).state != STATE_UNAVAILABLE


async def test_default_agent_answers_about_the_cluster(
    hass: HomeAssistant, init_integration: Any
) -> None:
    """Out of the box, in English: the model, readiness and download questions."""
    assert await ask(hass, "which model is loaded") == "The cluster is running Qwen3.6 35B-A3B."
    assert await ask(hass, "is the cluster ready") == (
        "The cluster is running Qwen3.6 35B-A3B, but Magpie is not ready."
    )
    assert await ask(hass, "how far is the download") == "No download is running."


async def test_load_sentence_starts_the_selects_swap(
    hass: HomeAssistant, init_integration: Any, mock_cluster: MagicMock
) -> None:
    """ "load gemma 4 on the cluster" swaps like the select does; unknown names are listed."""
    release = asyncio.Event()

    async def swap(model: str, on_progress: Any, **kwargs: Any) -> SwapProgress:
        on_progress(SwapProgress(SwapState.LOADING, model, shard_percent=62.0))
        await release.wait()
        return SwapProgress(SwapState.READY, model)

    mock_cluster.swap_model.side_effect = swap
    answer = await ask(hass, "load gemma 4 on the cluster")
    assert answer == "Loading Gemma 4 26B-A4B IT on the cluster. It takes a few minutes."
    await asyncio.sleep(0)
    assert mock_cluster.swap_model.call_args.args[0] == "gemma4"

    # While it runs, the agent and the questions tell the swap's real progress.
    loading = (
        "The cluster is loading Gemma 4 26B-A4B IT, 62 percent done; try again in about a minute."
    )
    assert await ask(hass, "what is the weather like", agent_id=AGENT) == loading
    assert await ask(hass, "which model is loaded") == loading
    # A second load while one runs is answered with the translated refusal.
    assert "already running" in await ask(hass, "load qwen36 on the cluster")

    release.set()
    await hass.async_block_till_done(wait_background_tasks=True)
    assert mock_cluster.swap_model.call_count == 1

    unknown = await ask(hass, "load banana bread on the cluster")
    assert unknown.startswith("I don't know a model called banana bread. The catalog has: ")
    assert "Gemma 4 26B-A4B IT" in unknown


async def test_restart_sentence_presses_the_button(
    hass: HomeAssistant, init_integration: Any, mock_cluster: MagicMock
) -> None:
    """ "restart parakeet" is the restart button's docker restart, answered after the poll."""
    mock_cluster.service_action.return_value = ServiceStatus("running", True, None)
    assert await ask(hass, "restart parakeet") == "Parakeet restarted and is ready."
    mock_cluster.service_action.assert_awaited_once_with("parakeet", "restart")
    assert await ask(hass, "restart the magpie container") == "Magpie restarted and is loading."


async def test_agent_when_vllm_is_down(
    hass: HomeAssistant, init_integration: Any, mock_cluster: MagicMock
) -> None:
    """No model served: one translated sentence, no request, no stack trace."""
    mock_cluster.status.return_value = cluster_status(model=None)
    await init_integration.runtime_data.status.async_refresh()
    answer = await ask(hass, "hello", agent_id=AGENT)
    assert answer.startswith("No language model is running on the cluster right now.")


async def test_intents_are_llm_tools(hass: HomeAssistant, init_integration: Any) -> None:
    """The handlers are registered intents (the Assist API offers them to an LLM)."""
    response = await intent.async_handle(
        hass, "test", "SparkLoadModel", {"model": {"value": "qwen 3.6"}}, language="en"
    )
    assert response.speech["plain"]["speech"] == "Qwen3.6 35B-A3B is already loaded on the cluster."


@pytest.mark.parametrize(
    ("spoken", "key"),
    [
        ("qwen36", "qwen36"),
        ("Qwen 3.6", "qwen36"),
        ("gemma 4", "gemma4"),
        ("Qwen/Qwen2.5-72B-Instruct", "qwen2.5-72b"),
        ("qwen2.5 72b instruct", "qwen2.5-72b"),
        ("qwen", None),  # ambiguous prefix
        ("; rm -rf /", None),
        ("", None),
    ],
)
def test_model_matching(spoken: str, key: str | None) -> None:
    """Keys, names, repo ids and unique name prefixes, compared on letters and digits."""
    from custom_components.spark_control.api.catalog import load_bundled

    found = match_model(load_bundled(), spoken)
    assert (found.key if found else None) == key


async def test_options_create_the_pipeline(hass: HomeAssistant, init_integration: Any) -> None:
    """One submit: Parakeet → the agent → Magpie, preferred; a second submit updates it."""
    from homeassistant.components import assist_pipeline

    for _ in range(2):
        result = await hass.config_entries.options.async_init(init_integration.entry_id)
        result = await hass.config_entries.options.async_configure(
            result["flow_id"], {"next_step_id": "pipeline"}
        )
        assert result["step_id"] == "pipeline"
        result = await hass.config_entries.options.async_configure(
            result["flow_id"], {"preferred": True}
        )
        assert result["type"] is FlowResultType.ABORT
        assert result["reason"] == "pipeline_created"
    pipelines = [p for p in assist_pipeline.async_get_pipelines(hass) if p.name == PIPELINE_NAME]
    assert len(pipelines) == 1
    pipeline = pipelines[0]
    assert (pipeline.stt_engine, pipeline.conversation_engine, pipeline.tts_engine) == (
        STT,
        AGENT,
        TTS,
    )
    assert pipeline.prefer_local_intents is False
    assert assist_pipeline.pipeline.async_get_pipeline(hass).id == pipeline.id
