"""The ready-made "Spark Control" Assist pipeline: Parakeet → the cluster's agent → Magpie.

Created (or brought up to date, never duplicated) from the options flow and by `make demo`.
"""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component

from .const import DOMAIN, PIPELINE_NAME
from .coordinator import SparkConfigEntry


def _entity_id(hass: HomeAssistant, entry: SparkConfigEntry, platform: str, key: str) -> str:
    entity_id = er.async_get(hass).async_get_entity_id(platform, DOMAIN, f"{entry.unique_id}_{key}")
    if entity_id is None:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="pipeline_entity_missing",
            translation_placeholders={"platform": platform},
        )
    return entity_id


async def async_create_pipeline(
    hass: HomeAssistant, entry: SparkConfigEntry, *, preferred: bool
) -> str:
    """Create or update the pipeline; its id. HomeAssistantError when an engine is missing."""
    if not await async_setup_component(hass, "assist_pipeline", {}):
        raise HomeAssistantError(translation_domain=DOMAIN, translation_key="pipeline_failed")
    # Imported once set up: the config flow imports this module, and most entries never call it.
    from homeassistant.components import assist_pipeline  # noqa: PLC0415
    from homeassistant.components.assist_pipeline.pipeline import (  # noqa: PLC0415
        KEY_ASSIST_PIPELINE,
    )

    stt_id = _entity_id(hass, entry, "stt", "parakeet_stt")
    tts_id = _entity_id(hass, entry, "tts", "magpie_tts")
    agent_id = _entity_id(hass, entry, "conversation", "vllm_assistant")
    existing = [p for p in assist_pipeline.async_get_pipelines(hass) if p.name == PIPELINE_NAME]
    if existing:
        pipeline = existing[0]
        await assist_pipeline.async_update_pipeline(
            hass, pipeline, stt_engine=stt_id, tts_engine=tts_id
        )
    else:
        created = await assist_pipeline.async_create_default_pipeline(
            hass, stt_engine_id=stt_id, tts_engine_id=tts_id, pipeline_name=PIPELINE_NAME
        )
        if created is None:  # Home Assistant's language is one Parakeet or Magpie lacks
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="pipeline_language",
                translation_placeholders={"language": hass.config.language},
            )
        pipeline = created
    pipeline = assist_pipeline.pipeline.async_get_pipeline(hass, pipeline.id)
    await assist_pipeline.async_update_pipeline(
        hass, pipeline, conversation_engine=agent_id, prefer_local_intents=False
    )
    if preferred:
        hass.data[KEY_ASSIST_PIPELINE].pipeline_store.async_set_preferred_item(pipeline.id)
    return pipeline.id
