"""Strict allow-list checks for every value that may reach a remote shell.

Each check returns the value unchanged or raises InvalidInputError; patterns are ASCII-only so
unicode look-alikes (Cyrillic letters, fullwidth slashes) are refused, and no value may
start with "-" (option injection) or contain ".." (path escape).
"""

from __future__ import annotations

import ipaddress
import re

from .exceptions import InvalidInputError

_NAME_PART = r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9_])?"
_REPO_ID = re.compile(rf"{_NAME_PART}/{_NAME_PART}", re.ASCII)
_REVISION = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,127}", re.ASCII)
_CONTAINER = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}", re.ASCII)
_REL_PATH = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._/-]{0,199}", re.ASCII)
_HOSTNAME = re.compile(
    r"(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*",
    re.ASCII,
)
_USERNAME = re.compile(r"[a-z_][a-z0-9_.-]{0,31}", re.ASCII)
_MODEL_KEY = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}", re.ASCII)
_HTTP_PATH = re.compile(r"/[A-Za-z0-9/_.-]{0,127}", re.ASCII)
_GIT_COMMIT = re.compile(r"[0-9a-f]{4,40}", re.ASCII)
# RFC 6750 b64token: what may follow "Bearer " in a header; nothing a header could break on.
_BEARER_TOKEN = re.compile(r"[A-Za-z0-9._~+/-]{1,512}=*", re.ASCII)

MAX_MODEL_LEN_LIMIT = 10_000_000
# The tool-call parsers vLLM registers (`--tool-call-parser`, voice-contract §3.4): vLLM 0.12's
# list plus `gemma4` (the Spark recipes' Gemma 4 parser). An unknown name stops vLLM at start.
TOOL_CALL_PARSERS = (
    "deepseek_v3",
    "deepseek_v31",
    "ernie45",
    "gemma4",
    "glm45",
    "granite",
    "granite-20b-fc",
    "hermes",
    "hunyuan_a13b",
    "internlm",
    "jamba",
    "kimi_k2",
    "llama3_json",
    "llama4_json",
    "llama4_pythonic",
    "longcat",
    "minimax",
    "minimax_m2",
    "mistral",
    "olmo3",
    "openai",
    "phi4_mini_json",
    "pythonic",
    "qwen3_coder",
    "qwen3_xml",
    "seed_oss",
    "step3",
    "xlam",
)


def _check(field: str, value: object, pattern: re.Pattern[str], what: str) -> str:
    if not isinstance(value, str):
        raise InvalidInputError(field, value, "must be text")
    if not value.isascii():
        raise InvalidInputError(field, value, "only plain ASCII characters are allowed")
    if pattern.fullmatch(value) is None:
        raise InvalidInputError(field, value, what)
    if ".." in value:
        raise InvalidInputError(field, value, "must not contain '..'")
    return value


def repo_id(value: object, field: str = "repo_id") -> str:
    """A Hugging Face repo id `org/name`."""
    return _check(
        field, value, _REPO_ID, "must look like 'org/name' (letters, digits, '.', '_', '-')"
    )


def revision(value: object) -> str:
    """A git revision (branch, tag or commit) for a Hugging Face download."""
    checked = _check(
        "revision", value, _REVISION, "must be a branch, tag or commit (letters, digits, ._/-)"
    )
    if "//" in checked or checked.endswith("/"):
        raise InvalidInputError("revision", value, "must not contain empty path parts")
    if any(part.startswith(".") for part in checked.split("/")):
        raise InvalidInputError("revision", value, "path parts must not start with '.'")
    return checked


def bearer_token(value: object) -> str:
    """A bearer token for an `Authorization` header (RFC 6750 characters only)."""
    if not isinstance(value, str) or _BEARER_TOKEN.fullmatch(value) is None:
        raise InvalidInputError(
            "bearer_token", "<token>", "must use only letters, digits and -._~+/ (then '=')"
        )
    return value


def container(value: object) -> str:
    """A docker container name."""
    return _check(
        "container", value, _CONTAINER, "must be a docker container name (letters, digits, _.-)"
    )


def relative_path(value: object, field: str = "checkout_dir") -> str:
    """A path relative to the remote user's home directory."""
    checked = _check(
        field, value, _REL_PATH, "must be a path relative to the home directory (letters, ._/-)"
    )
    if any(part in ("", ".") for part in checked.rstrip("/").split("/")):
        raise InvalidInputError(field, value, "must not contain empty or '.' path parts")
    return checked


def host(value: object) -> str:
    """A host name or an IP address literal."""
    if isinstance(value, str) and value.isascii():
        try:
            ipaddress.ip_address(value)
        except ValueError:
            pass
        else:
            return value
    return _check("host", value, _HOSTNAME, "must be a host name or an IP address")


def port(value: object, field: str = "port") -> int:
    """A TCP port number."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        raise InvalidInputError(field, value, "must be a whole number from 1 to 65535")
    return value


def username(value: object) -> str:
    """A POSIX user name."""
    return _check("username", value, _USERNAME, "must be a POSIX user name (a-z, 0-9, _.-)")


def model_key(value: object) -> str:
    """A catalog key (lower case)."""
    return _check("key", value, _MODEL_KEY, "must be lower-case letters, digits, '.', '_', '-'")


def http_path(value: object, field: str = "health_path") -> str:
    """An HTTP path such as /v1/models."""
    return _check(field, value, _HTTP_PATH, "must be a path starting with '/'")


def git_commit(value: object) -> str:
    """A hexadecimal git commit id."""
    return _check("commit", value, _GIT_COMMIT, "must be a hexadecimal commit id")


def max_model_len(value: object) -> int:
    """A vLLM context length."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInputError("max_model_len", value, "must be a whole number")
    if not 256 <= value <= MAX_MODEL_LEN_LIMIT:
        raise InvalidInputError(
            "max_model_len", value, f"must be between 256 and {MAX_MODEL_LEN_LIMIT}"
        )
    return value


def gpu_memory_utilization(value: object) -> float:
    """A GPU memory fraction 0.05..0.99."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidInputError("gpu_memory_utilization", value, "must be a number")
    number = float(value)
    if not 0.05 <= number <= 0.99:
        raise InvalidInputError(
            "gpu_memory_utilization", value, "must be a fraction between 0.05 and 0.99"
        )
    return number


def display_name(value: object) -> str:
    """A human label for the catalog (never reaches a shell, but keep it sane)."""
    if not isinstance(value, str) or not value.strip() or len(value) > 100:
        raise InvalidInputError("name", value, "must be 1 to 100 characters")
    if any(ch in value for ch in "\r\n\t\x00"):
        raise InvalidInputError("name", value, "must be a single line")
    return value.strip()


def tool_call_parser(value: object) -> str:
    """One of vLLM's registered tool-call parser names (an exact, allow-listed word)."""
    if not isinstance(value, str):
        raise InvalidInputError("tool_call_parser", value, "must be text")
    if value not in TOOL_CALL_PARSERS:
        raise InvalidInputError(
            "tool_call_parser",
            value,
            "must be a vLLM tool-call parser such as hermes, llama3_json or qwen3_xml",
        )
    return value
