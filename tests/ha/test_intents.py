"""Job intents in the entry's Store: saved with the job, read back after a restart."""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant

from custom_components.spark_control.intents import DownloadIntent, JobIntents, SwapIntent


async def test_intents_survive_a_new_store_on_the_same_storage(
    hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    first = JobIntents(hass, "entry1")
    await first.async_load()
    assert first.download is None and first.swap is None
    intent = DownloadIntent(
        repo_id="org/M-8B", target="solo", add_to_catalog=True, name="M", mode="solo"
    )
    first.async_set_download(intent)
    first.async_set_swap(SwapIntent(model="m-8b"))
    await hass.async_block_till_done()
    again = JobIntents(hass, "entry1")
    await again.async_load()
    assert again.download == intent
    assert again.swap == SwapIntent(model="m-8b")
    again.async_set_download(None)
    await hass.async_block_till_done()
    later = JobIntents(hass, "entry1")
    await later.async_load()
    assert later.download is None and later.swap == SwapIntent(model="m-8b")


async def test_a_damaged_store_reads_as_no_intent(
    hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    hass_storage["spark_control.jobs.entry2"] = {
        "version": 1,
        "key": "spark_control.jobs.entry2",
        "data": {"download": {"target": "solo"}, "swap": "x"},
    }
    intents = JobIntents(hass, "entry2")
    await intents.async_load()
    assert intents.download is None and intents.swap is None
