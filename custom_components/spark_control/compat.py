"""Every difference between the Home Assistant releases this integration supports, in one place.

The suite runs on the oldest supported release (MIN_HA_VERSION, also in hacs.json) and on
2026.2.3, the newest one Python 3.13 can run. Where their APIs differ, the choice is made here
once, so every other module reads as if there were a single Home Assistant. docs/ha-versions.md
lists the changes of later releases and what the code does about each.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Final, cast

from homeassistant import config_entries
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback

if TYPE_CHECKING:
    from homeassistant.components.conversation import (
        ChatLog,
        ConversationInput,
        ToolResultContent,
    )

MIN_HA_VERSION: Final = "2025.4.0"

# Options flows: from 2025.8, OptionsFlowWithReload reloads the entry after the options are
# saved, and 2026.6 deprecates doing the same from an update listener while the config flow
# also reloads (reauth/reconfigure through async_update_reload_and_abort) — an error from
# 2026.12. Older releases only have OptionsFlow, so there the update listener does the reload.
if TYPE_CHECKING:
    OptionsFlowWithReload = config_entries.OptionsFlow
else:
    OptionsFlowWithReload = getattr(
        config_entries, "OptionsFlowWithReload", config_entries.OptionsFlow
    )
OPTIONS_FLOW_RELOADS: Final[bool] = hasattr(config_entries, "OptionsFlowWithReload")


# --- conversation, LLM tools and Assist sentences (the voice platforms) -------------------------
#
# 2025.4 sets a chat log's LLM data with `async_update_llm_data(domain, user_input, ...)`;
# 2025.7 added `async_provide_llm_data(llm_context, ...)` and warns about the old name, which is
# gone after 2026.1 for custom integrations. Tool schemas are converted with the package Home
# Assistant itself uses (voluptuous-openapi up to 2026.8; 2026.9 moves validation to Probatio
# and stops installing it). 2026.10 renames `ToolResultContent.tool_result` to `.result`.
# Trigger sentences of the default agent moved from the agent (2025.4) to the agent manager.


async def async_provide_llm_data(
    chat_log: ChatLog,
    domain: str,
    user_input: ConversationInput,
    llm_api: str | None,
    prompt: str | None,
) -> None:
    """Render the system prompt and pick the LLM API for one turn (ConverseError on failure)."""
    if hasattr(chat_log, "async_provide_llm_data"):
        llm_context = getattr(user_input, "as_llm_context")(domain)  # noqa: B009 - 2025.7+
        await chat_log.async_provide_llm_data(
            llm_context, llm_api, prompt, user_input.extra_system_prompt
        )
        return
    await chat_log.async_update_llm_data(domain, user_input, llm_api, prompt)


def tool_parameters(schema: Any, serializer: Callable[[Any], Any] | None) -> dict[str, Any]:
    """An LLM tool's voluptuous schema as the JSON schema chat-completion APIs expect.

    Converted with the function Home Assistant's own `llm` helpers use (it imports it as
    `convert`), so the integration never depends on voluptuous-openapi being installed.
    """
    from homeassistant.helpers import llm  # noqa: PLC0415

    convert = getattr(llm, "convert", None)
    if convert is None:  # pragma: no cover - a release whose llm helpers changed the name
        convert = importlib.import_module("voluptuous_openapi").convert
    return cast(dict[str, Any], convert(schema, custom_serializer=serializer))


def tool_result_of(content: ToolResultContent) -> Any:
    """The JSON result a tool returned (`.result` from 2026.10, `.tool_result` before)."""
    result = getattr(content, "result", None)
    if result is None:
        result = content.tool_result
    if hasattr(result, "as_dict"):  # 2026.10+ wraps it in llm.ToolResult
        return result.as_dict()
    return result


TriggerCallback = Callable[["ConversationInput", Any], Awaitable[str | None]]


@callback
def async_register_trigger_sentences(
    hass: HomeAssistant, sentences: list[str], action: TriggerCallback
) -> CALLBACK_TYPE:
    """Sentences the default agent answers through `action` (no YAML for the user).

    This is what a conversation trigger in an automation registers: 2025.4 keeps the
    triggers on the default agent, later releases on the agent manager.
    """
    conversation = "homeassistant.components.conversation"
    manager: Any = importlib.import_module(f"{conversation}.agent_manager").get_agent_manager(hass)
    if hasattr(manager, "register_trigger"):  # 2025.5+
        details = importlib.import_module(f"{conversation}.trigger").TriggerDetails
        remove: CALLBACK_TYPE = manager.register_trigger(details(sentences, action))
        return remove
    default_key = importlib.import_module(f"{conversation}.const").DATA_DEFAULT_ENTITY
    return cast(CALLBACK_TYPE, hass.data[default_key].register_trigger(sentences, action))
