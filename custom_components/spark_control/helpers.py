"""Shared by several platforms and the actions: the one mapping of client errors to HA errors."""

from __future__ import annotations

import re
from collections.abc import Callable, Coroutine
from functools import wraps
from typing import Any, Final, NoReturn, ParamSpec, TypeVar

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import translation

from .api import (
    HostKeyChangedError,
    HostKeyUnknownError,
    InvalidInputError,
    SparkAuthError,
    SparkConnectionError,
    SparkError,
    SwapInProgressError,
)
from .const import DOMAIN

P = ParamSpec("P")
R = TypeVar("R")

MAX_PLACEHOLDER: Final = 300
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]+")


def sanitize(text: object, limit: int = MAX_PLACEHOLDER) -> str:
    """One printable line of at most `limit` characters (control characters become spaces).

    Every piece of remote or user text that reaches a message, the bus or the logbook goes
    through here: a log line or an error body can carry escapes, NULs and newlines.
    """
    line = _CONTROL.sub(" ", str(text)).strip()
    return line if len(line) <= limit else line[: limit - 1] + "…"


# The client's name of a refused value → the request field that carried it.
_REQUEST_FIELDS: Final = {"key": "model", "mode": "target"}


def error_placeholders(err: BaseException) -> dict[str, str]:
    """The `{error}` placeholder of a translated message: the cause, sanitised.

    A refused input also names its request `field`, so a form can show the error there.
    """
    placeholders = {"error": sanitize(err)}
    if isinstance(err, InvalidInputError):
        placeholders["field"] = _REQUEST_FIELDS.get(err.field, sanitize(err.field, 100))
    return placeholders


def raise_for_spark_error(err: SparkError, failed_key: str = "command_failed") -> NoReturn:
    """Raise the translated HA error for a client error of an action.

    The caller's fault (bad input) is a ServiceValidationError; everything else is a
    HomeAssistantError whose key names the cause. `failed_key` names a plain failure of the
    action itself (a command that exited non-zero, a failed install).
    """
    if isinstance(err, InvalidInputError):
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="invalid_input",
            translation_placeholders=error_placeholders(err),
        ) from err
    if isinstance(err, SwapInProgressError):
        raise HomeAssistantError(
            translation_domain=DOMAIN, translation_key="swap_in_progress"
        ) from err
    key = failed_key
    if isinstance(err, SparkAuthError):
        key = "auth_failed"
    elif isinstance(err, HostKeyChangedError | HostKeyUnknownError):
        key = "host_key_changed"
    elif isinstance(err, SparkConnectionError):
        key = "communication_error"
    raise HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders=error_placeholders(err),
    ) from err


def spark_exception_handler(
    func: Callable[P, Coroutine[Any, Any, R]],
) -> Callable[P, Coroutine[Any, Any, R]]:
    """Decorate an entity action: client errors become translated HA errors."""

    @wraps(func)
    async def handler(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await func(*args, **kwargs)
        except SparkError as err:
            raise_for_spark_error(err)

    return handler


async def async_sentence(
    hass: HomeAssistant, language: str | None, key: str, placeholders: dict[str, str] | None = None
) -> str:
    """A spoken answer in the conversation's language (strings.json `exceptions.<key>`).

    The voice answers live with the translated error messages, so one translation file holds
    every sentence the integration says; English is the fallback for a missing language.
    """
    lang = (language or hass.config.language or "en").split("-")[0]
    full = f"component.{DOMAIN}.exceptions.{key}.message"
    text: str | None = None
    for candidate in dict.fromkeys((lang, "en")):
        strings = await translation.async_get_translations(hass, candidate, "exceptions", [DOMAIN])
        text = strings.get(full)
        if text:
            break
    if not text:
        return key
    for name, value in (placeholders or {}).items():
        text = text.replace(f"{{{name}}}", sanitize(value))
    return text


def spoken_model_name(name: str) -> str:
    """A catalog name as it is said: without the bracketed precision ("(FP8)")."""
    return name.split(" (", maxsplit=1)[0].strip()
