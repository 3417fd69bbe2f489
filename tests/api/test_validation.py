"""Strict validation: every hostile input is refused by every field that reaches a shell."""

from __future__ import annotations

import pytest

from custom_components.spark_control.api import InvalidInputError
from custom_components.spark_control.api import validation as v

from .hostile import HOSTILE

TEXT_CHECKS = [
    v.repo_id,
    v.revision,
    v.container,
    v.relative_path,
    v.host,
    v.username,
    v.model_key,
    v.http_path,
    v.git_commit,
    v.tool_call_parser,
]


@pytest.mark.parametrize("value", HOSTILE)
@pytest.mark.parametrize("check", TEXT_CHECKS, ids=lambda c: c.__name__)
def test_hostile_values_are_refused(check, value: str) -> None:
    with pytest.raises(InvalidInputError) as err:
        check(value)
    assert err.value.reason
    assert len(str(err.value)) < 400


@pytest.mark.parametrize(
    ("check", "value"),
    [
        (v.repo_id, "RedHatAI/Qwen3.6-35B-A3B-NVFP4"),
        (v.repo_id, "Qwen/Qwen2.5-72B-Instruct"),
        (v.repo_id, "google/gemma-4-26B-A4B-it"),
        (v.revision, "main"),
        (v.revision, "refs/pr/12"),
        (v.revision, "0123abcd"),
        (v.container, "vllm_node"),
        (v.container, "magpie-tts.1"),
        (v.relative_path, "spark-vllm-docker"),
        (v.relative_path, "src/spark-vllm-docker"),
        (v.host, "spark-1.local"),
        (v.host, "192.168.1.20"),
        (v.host, "fe80::1"),
        (v.username, "spark"),
        (v.model_key, "qwen2.5-72b"),
        (v.http_path, "/v1/health/ready"),
        (v.git_commit, "74c02c3"),
        (v.tool_call_parser, "hermes"),
        (v.tool_call_parser, "qwen3_xml"),
        (v.tool_call_parser, "granite-20b-fc"),
    ],
)
def test_good_values_pass(check, value: str) -> None:
    assert check(value) == value


@pytest.mark.parametrize("value", [0, 65536, -1, True, "22", 2.5])
def test_bad_ports(value: object) -> None:
    with pytest.raises(InvalidInputError):
        v.port(value)


def test_ports_and_numbers() -> None:
    assert v.port(22) == 22
    assert v.max_model_len(32768) == 32768
    assert v.gpu_memory_utilization(0.85) == 0.85
    assert v.gpu_memory_utilization(1 - 0.5) == 0.5
    for bad in (100, 20_000_000, True, "4096", 4096.0):
        with pytest.raises(InvalidInputError):
            v.max_model_len(bad)
    for bad in (0.0, 1.0, 1.5, True, "0.8", float("nan")):
        with pytest.raises(InvalidInputError):
            v.gpu_memory_utilization(bad)


@pytest.mark.parametrize("value", ["main//x", "main/", "a/./b", "./x"])
def test_revision_and_path_edges(value: str) -> None:
    with pytest.raises(InvalidInputError):
        v.revision(value) if not value.startswith(".") else v.relative_path(value)


def test_relative_path_rejects_dot_parts() -> None:
    with pytest.raises(InvalidInputError):
        v.relative_path("a/./b")
    with pytest.raises(InvalidInputError):
        v.relative_path("a//b")


def test_non_text_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="must be text"):
        v.repo_id(None)
    with pytest.raises(InvalidInputError):
        v.host(12)


def test_display_name() -> None:
    assert v.display_name("  Qwen 3  ") == "Qwen 3"
    for bad in ("", "   ", "x" * 101, "a\nb", 5):
        with pytest.raises(InvalidInputError):
            v.display_name(bad)


def test_long_value_is_shortened_in_message() -> None:
    with pytest.raises(InvalidInputError) as err:
        v.repo_id("x" * 500)
    assert "..." in str(err.value)


@pytest.mark.parametrize(
    "value", ["Hermes", "hermes ", "hermes;id", "--trust-remote-code", "qwen3", "none", "", None, 3]
)
def test_tool_call_parser_is_an_exact_vllm_name(value: object) -> None:
    with pytest.raises(InvalidInputError) as err:
        v.tool_call_parser(value)
    assert err.value.field == "tool_call_parser"


def test_tool_call_parsers_match_the_simulated_vllm() -> None:
    """The simulator's vLLM refuses to start with any parser outside the client's list."""
    from spark_sim.services.vllm import TOOL_PARSERS

    assert set(v.TOOL_CALL_PARSERS) == set(TOOL_PARSERS)
