"""The fake vLLM's "reasoning": a small deterministic rule set, so tests can predict every answer.

Given a chat request it decides the assistant's reply (text and/or tool calls):

1. The last message is a tool result (`role: tool`): a short confirmation of the calls of the
   assistant message before it ("The kitchen light is on.", or "Sorry, ...: <error>" when a
   result carries an error).
2. Tools are offered and `tool_choice` is not "none": "turn on/off the X" / "switch on/off the X" /
   "turn the X on/off" -> HassTurnOn / HassTurnOff `{"name": "X"}` when that tool is offered;
   "set the X brightness to N percent" -> HassLightSet `{"name": "X", "brightness": N}`.
   A named `tool_choice` calls that tool (with the matched arguments if the rule named it, else
   `{}`); "required" with no rule match calls the first tool offered with `{}`.
3. Anything else: an echo — "You said: <the user's words>."
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

ON_OFF = (
    re.compile(r"^(?:please )?(?:turn|switch) (?P<state>on|off) (?:the )?(?P<name>.+?)$"),
    re.compile(r"^(?:please )?(?:turn|switch) (?:the )?(?P<name>.+?) (?P<state>on|off)$"),
)
BRIGHTNESS = re.compile(
    r"^(?:please )?set (?:the )?(?P<name>.+?) brightness to (?P<level>\d{1,3})(?: ?%| percent)?$"
)


@dataclass
class ToolCall:
    name: str
    arguments: dict[str, Any]


@dataclass
class Reply:
    content: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    reasoning: str = ""


def text_of(content: Any) -> str:
    """A message's text: a string, or the text parts of a content list."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(
            str(part.get("text", ""))
            for part in content
            if isinstance(part, dict) and part.get("type") == "text"
        )
    return ""


def normalise(text: str) -> str:
    """Lower case, punctuation off the ends, single spaces."""
    return " ".join(text.lower().strip().strip(".!?,;:").split())


def tool_names(tools: list[Any]) -> list[str]:
    names = []
    for tool in tools:
        function = tool.get("function") if isinstance(tool, dict) else None
        if isinstance(function, dict) and isinstance(function.get("name"), str):
            names.append(function["name"])
    return names


def match_intent(text: str) -> ToolCall | None:
    """The device command in a user's sentence, if the rules know it."""
    said = normalise(text)
    for pattern in ON_OFF:
        if found := pattern.match(said):
            name = "HassTurnOn" if found["state"] == "on" else "HassTurnOff"
            return ToolCall(name, {"name": found["name"]})
    if found := BRIGHTNESS.match(said):
        return ToolCall("HassLightSet", {"name": found["name"], "brightness": int(found["level"])})
    return None


def confirm(messages: list[dict[str, Any]]) -> str:
    """After tool results: one sentence about the calls they answer."""
    results = []
    for message in reversed(messages):
        if message.get("role") != "tool":
            break
        results.append(text_of(message.get("content")))
    calls: list[dict[str, Any]] = []
    for message in reversed(messages):
        if message.get("role") == "assistant" and message.get("tool_calls"):
            calls = [c for c in message["tool_calls"] if isinstance(c, dict)]
            break
    for result in results:
        try:
            data = json.loads(result)
        except ValueError:
            continue
        if isinstance(data, dict) and data.get("error"):
            detail = data.get("error_text") or data["error"]
            return f"Sorry, that did not work: {detail}."
    sentences = []
    for call in calls:
        function = call.get("function") or {}
        try:
            args = json.loads(function.get("arguments") or "{}")
        except ValueError:
            args = {}
        target = args.get("name") if isinstance(args, dict) else None
        state = {"HassTurnOn": "on", "HassTurnOff": "off"}.get(function.get("name", ""))
        if target and state:
            sentences.append(f"The {target} is {state}.")
        elif target and function.get("name") == "HassLightSet":
            sentences.append(f"The {target} is set.")
    return " ".join(sentences) or "Done."


def decide(body: dict[str, Any]) -> Reply:
    """The reply to one chat completion request (see the module docstring)."""
    messages = [m for m in body.get("messages") or [] if isinstance(m, dict)]
    if messages and messages[-1].get("role") == "tool":
        return Reply(content=confirm(messages), reasoning="The tool has answered; I confirm it.")
    users = [text_of(m.get("content")) for m in messages if m.get("role") == "user"]
    user = users[-1] if users else ""
    offered = tool_names(body.get("tools") or [])
    choice = body.get("tool_choice", "auto" if offered else "none")
    if offered and choice != "none":
        call = match_intent(user)
        if isinstance(choice, dict):
            wanted = str((choice.get("function") or {}).get("name", ""))
            args = call.arguments if call and call.name == wanted else {}
            return Reply(tool_calls=[ToolCall(wanted, args)], reasoning=f"I must call {wanted}.")
        if call and call.name in offered:
            return Reply(tool_calls=[call], reasoning=f"The user wants {call.name}.")
        if choice == "required":
            return Reply(tool_calls=[ToolCall(offered[0], {})], reasoning="A tool is required.")
    said = " ".join(user.split()).rstrip(".!?")
    return Reply(content=f"You said: {said}." if said else "Hello.", reasoning="I echo the user.")
