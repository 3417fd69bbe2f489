"""What the voice says about the cluster's state: one reading for the agent and the intents.

Read from the coordinators only (the status poll and the pushed activity), so a spoken answer
never disagrees with what the entities show.
"""

from __future__ import annotations

from homeassistant.core import HomeAssistant

from .api import DownloadState, SwapState
from .coordinator import SparkConfigEntry
from .helpers import async_sentence, spoken_model_name

# From this share of the weights on, the rest loads in about a minute (seen on the Sparks:
# the shards load at an even pace once loading starts).
SOON_PERCENT = 50.0


def model_name(entry: SparkConfigEntry, model: str | None) -> str:
    """The catalog's name of a repo id or key (spoken form), else the repo id's last part."""
    if not model:
        return "?"
    found = entry.runtime_data.client.catalog.get(model)
    if found is not None:
        return spoken_model_name(found.name)
    return model.rsplit("/", 1)[-1]


async def async_swap_sentence(
    hass: HomeAssistant, entry: SparkConfigEntry, language: str | None
) -> str | None:
    """While a swap runs: which model is coming and how far it is; None when none runs."""
    activity = entry.runtime_data.activity.latest
    if not activity.swap_running:
        return None
    swap = activity.swap
    name = model_name(entry, swap.model)
    percent = swap.shard_percent
    if swap.state is SwapState.LOADING and percent is not None:
        key = "voice_swap_loading_soon" if percent >= SOON_PERCENT else "voice_swap_loading"
        return await async_sentence(
            hass, language, key, {"model": name, "percent": f"{percent:.0f}"}
        )
    return await async_sentence(hass, language, "voice_swap_starting", {"model": name})


async def async_unavailable_sentence(
    hass: HomeAssistant, entry: SparkConfigEntry, language: str | None
) -> str | None:
    """Why the loaded model cannot answer now (a swap, vLLM down, no Spark); None when it can."""
    swapping = await async_swap_sentence(hass, entry, language)
    if swapping is not None:
        return swapping
    status = entry.runtime_data.status
    if not status.last_update_success or status.data is None:
        return await async_sentence(hass, language, "voice_cluster_unreachable")
    vllm = status.data.status.vllm
    if not vllm.ready or not vllm.model:
        return await async_sentence(hass, language, "voice_llm_down")
    return None


async def async_download_sentence(
    hass: HomeAssistant, entry: SparkConfigEntry, language: str | None
) -> str:
    """The running (or last) download's progress."""
    download = entry.runtime_data.activity.latest.download
    if download is None:
        return await async_sentence(hass, language, "voice_no_download")
    name = model_name(entry, download.repo_id)
    if download.state is DownloadState.RUNNING:
        if download.percent is None:
            return await async_sentence(hass, language, "voice_download_starting", {"model": name})
        minutes = "?" if download.eta_s is None else f"{max(1, round(download.eta_s / 60))}"
        return await async_sentence(
            hass,
            language,
            "voice_download_running",
            {"model": name, "percent": f"{download.percent:.0f}", "minutes": minutes},
        )
    key = {
        DownloadState.COMPLETED: "voice_download_completed",
        DownloadState.FAILED: "voice_download_failed",
        DownloadState.CANCELLED: "voice_download_cancelled",
    }.get(download.state, "voice_no_download")
    return await async_sentence(hass, language, key, {"model": name})
