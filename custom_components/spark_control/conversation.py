"""The conversation agent: the model vLLM serves, streamed into Home Assistant's chat log.

Each turn sends the chat log (system prompt, the last turns, tool results) to vLLM's
`/v1/chat/completions` with `stream: true`; text deltas reach the pipeline as they arrive, and
tool calls run through the chat log's LLM API (the Assist API's tools when the user enables it)
until the model answers without one. While a swap runs, vLLM is down or no Spark answers, the
agent says so in one translated sentence instead of trying.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any, Final, Literal

from homeassistant.components import conversation
from homeassistant.const import CONF_LLM_HASS_API, MATCH_ALL
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import intent, llm
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .answers import async_swap_sentence, async_unavailable_sentence
from .chat import ChatChunk, ChatConnectionError, ChatError, ToolsRefusedError, stream_chat
from .compat import async_provide_llm_data, tool_parameters, tool_result_of
from .const import (
    CONF_MAX_HISTORY,
    CONF_MAX_TOKENS,
    CONF_PROMPT,
    CONF_TEMPERATURE,
    DEFAULT_MAX_HISTORY,
    DEFAULT_MAX_TOKENS,
    DEFAULT_TEMPERATURE,
    DOMAIN,
    LOGGER,
)
from .coordinator import SparkConfigEntry, SparkStatusCoordinator
from .entity import DEVICE_VLLM, SparkEntity
from .helpers import async_sentence, sanitize

PARALLEL_UPDATES = 0
MAX_TOOL_ITERATIONS: Final = 10  # model ↔ tool rounds in one turn, as core's agents allow


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SparkConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """One agent per cluster."""
    async_add_entities([SparkConversationEntity(entry)])


def format_tool(tool: llm.Tool, serializer: Any) -> dict[str, Any]:
    """An LLM API tool in the chat-completions `tools` format."""
    function: dict[str, Any] = {
        "name": tool.name,
        "parameters": tool_parameters(tool.parameters, serializer),
    }
    if tool.description:
        function["description"] = tool.description
    return {"type": "function", "function": function}


def to_message(content: conversation.Content) -> dict[str, Any]:
    """One chat-log entry as a chat-completions message."""
    if isinstance(content, conversation.ToolResultContent):
        return {
            "role": "tool",
            "tool_call_id": content.tool_call_id,
            "content": json.dumps(tool_result_of(content)),
        }
    if isinstance(content, conversation.AssistantContent):
        message: dict[str, Any] = {"role": "assistant", "content": content.content or ""}
        if content.tool_calls:
            message["tool_calls"] = [
                {
                    "id": call.id,
                    "type": "function",
                    "function": {"name": call.tool_name, "arguments": json.dumps(call.tool_args)},
                }
                for call in content.tool_calls
            ]
        return message
    role = "system" if isinstance(content, conversation.SystemContent) else "user"
    return {"role": role, "content": content.content}


def trim_history(messages: list[dict[str, Any]], max_history: int) -> list[dict[str, Any]]:
    """The system prompt plus the last `max_history` earlier user turns and the current one."""
    if max_history < 1:
        return messages
    users = [i for i, message in enumerate(messages) if message["role"] == "user"]
    if len(users) <= max_history + 1:
        return messages
    start = users[-(max_history + 1)]
    head = messages[:1] if messages and messages[0]["role"] == "system" else []
    return head + messages[start:]


async def to_deltas(
    chunks: AsyncIterator[ChatChunk],
) -> AsyncIterator[conversation.AssistantContentDeltaDict]:
    """vLLM chunks as chat-log deltas: the role once (at the first chunk), then content/calls."""
    started = False
    async for chunk in chunks:
        delta: conversation.AssistantContentDeltaDict = {}
        if not started:
            started = True
            delta["role"] = "assistant"
        if chunk.content:
            delta["content"] = chunk.content
        if chunk.tool_calls:
            delta["tool_calls"] = [
                llm.ToolInput(id=call.id, tool_name=call.name, tool_args=call.arguments)
                for call in chunk.tool_calls
            ]
        yield delta


class SparkConversationEntity(SparkEntity[SparkStatusCoordinator], conversation.ConversationEntity):
    """The agent of the vLLM cluster device; always available, so it can say why it is not."""

    _attr_translation_key = "assistant"
    _attr_supports_streaming = True

    def __init__(self, entry: SparkConfigEntry) -> None:
        """Attach to the vLLM device; CONTROL when an LLM API is chosen."""
        super().__init__(
            entry.runtime_data.status,
            entry,
            DEVICE_VLLM,
            "assistant",
            also=(entry.runtime_data.activity,),
        )
        self.entry = entry
        self._tools_refused_for: str | None = None
        if entry.options.get(CONF_LLM_HASS_API):
            self._attr_supported_features = conversation.ConversationEntityFeature.CONTROL

    @property
    def available(self) -> bool:
        """Always: while the cluster cannot answer, the agent says why."""
        return True

    @callback
    def _handle_coordinator_update(self) -> None:
        """A vLLM that stopped (a swap, a restart) may come back with the tool flags."""
        data = self.coordinator.data
        if data is not None and not data.status.vllm.ready:
            self._tools_refused_for = None
        super()._handle_coordinator_update()

    @property
    def supported_languages(self) -> Literal["*"]:
        """Every language: the model answers in the language it is spoken to."""
        return MATCH_ALL

    async def _async_handle_message(
        self,
        user_input: conversation.ConversationInput,
        chat_log: conversation.ChatLog,
    ) -> conversation.ConversationResult:
        """Answer from vLLM, or say in one sentence why the cluster cannot answer now."""
        options = self.entry.options
        busy = await async_unavailable_sentence(self.hass, self.entry, user_input.language)
        if busy is not None:
            return self._answer(user_input, chat_log, busy, error=True)
        try:
            await async_provide_llm_data(
                chat_log,
                DOMAIN,
                user_input,
                options.get(CONF_LLM_HASS_API) or None,
                options.get(CONF_PROMPT),
            )
        except conversation.ConverseError as err:
            return err.as_conversation_result()

        model = self.coordinator.data.status.vllm.model
        tools: list[dict[str, Any]] | None = None
        if chat_log.llm_api and self._tools_refused_for != model:
            tools = [
                format_tool(tool, chat_log.llm_api.custom_serializer)
                for tool in chat_log.llm_api.tools
            ]
        payload: dict[str, Any] = {
            "model": model,
            "max_tokens": int(options.get(CONF_MAX_TOKENS, DEFAULT_MAX_TOKENS)),
            "temperature": float(options.get(CONF_TEMPERATURE, DEFAULT_TEMPERATURE)),
        }
        max_history = int(options.get(CONF_MAX_HISTORY, DEFAULT_MAX_HISTORY))
        try:
            for _ in range(MAX_TOOL_ITERATIONS):
                payload["messages"] = trim_history(
                    [to_message(content) for content in chat_log.content], max_history
                )
                try:
                    await self._async_stream(user_input, chat_log, payload, tools)
                except ToolsRefusedError as err:
                    self._tools_refused(model, err)
                    tools = None
                    await self._async_stream(user_input, chat_log, payload, tools)
                if not chat_log.unresponded_tool_results:
                    break
        except ChatConnectionError as err:
            LOGGER.warning("vLLM did not answer: %s", sanitize(err))
            sentence = await async_swap_sentence(self.hass, self.entry, user_input.language)
            if sentence is None:
                sentence = await async_sentence(self.hass, user_input.language, "voice_llm_down")
            return self._answer(user_input, chat_log, sentence, error=True)
        except ChatError as err:
            LOGGER.warning("vLLM failed the request: %s", sanitize(err))
            sentence = await async_sentence(
                self.hass, user_input.language, "voice_llm_failed", {"error": sanitize(err, 120)}
            )
            return self._answer(user_input, chat_log, sentence, error=True)

        last = chat_log.content[-1]
        text = last.content if isinstance(last, conversation.AssistantContent) else None
        return self._result(user_input, chat_log, text or "")

    async def _async_stream(
        self,
        user_input: conversation.ConversationInput,
        chat_log: conversation.ChatLog,
        payload: dict[str, Any],
        tools: list[dict[str, Any]] | None,
    ) -> None:
        """One request: deltas into the chat log (tool calls run as they complete)."""
        body = dict(payload)
        if tools:
            body["tools"] = tools
        chunks = stream_chat(
            async_get_clientsession(self.hass),
            self.entry.runtime_data.client.vllm_base_url,
            body,
        )
        async for _content in chat_log.async_add_delta_content_stream(
            user_input.agent_id, to_deltas(chunks)
        ):
            pass

    def _tools_refused(self, model: str | None, err: ToolsRefusedError) -> None:
        """Logged once per model: tools need vLLM's launch flags (README "Voice")."""
        if self._tools_refused_for != model:
            LOGGER.warning(
                "vLLM serving %s refuses tool calls (%s); answering without Home Assistant "
                "control until vLLM is launched again with --enable-auto-tool-choice and the "
                "model's --tool-call-parser",
                model,
                sanitize(err),
            )
        self._tools_refused_for = model

    def _answer(
        self,
        user_input: conversation.ConversationInput,
        chat_log: conversation.ChatLog,
        sentence: str,
        *,
        error: bool,
    ) -> conversation.ConversationResult:
        """A fixed sentence as the turn's answer (kept in the chat log for the next turn)."""
        chat_log.async_add_assistant_content_without_tools(
            conversation.AssistantContent(agent_id=user_input.agent_id, content=sentence)
        )
        return self._result(user_input, chat_log, sentence, error=error)

    def _result(
        self,
        user_input: conversation.ConversationInput,
        chat_log: conversation.ChatLog,
        speech: str,
        *,
        error: bool = False,
    ) -> conversation.ConversationResult:
        response = intent.IntentResponse(language=user_input.language)
        if error:
            response.async_set_error(intent.IntentResponseErrorCode.UNKNOWN, speech)
        else:
            response.async_set_speech(speech)
        return conversation.ConversationResult(
            response=response,
            conversation_id=chat_log.conversation_id,
            continue_conversation=chat_log.continue_conversation,
        )
