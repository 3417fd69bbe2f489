"""Load the diarize-chunk JSON Schema shipped in the package and validate responses against it."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]

SCHEMA_PATH = Path(__file__).parent / "schema" / "diarize-chunk.schema.json"


@cache
def load_schema() -> dict[str, Any]:
    """The response schema (cached: it is read once per process)."""
    schema: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return schema


@cache
def _validators() -> tuple[jsonschema.Draft202012Validator, jsonschema.Draft202012Validator]:
    schema = load_schema()
    error_schema = {"$defs": schema["$defs"], "$ref": "#/$defs/error"}
    return jsonschema.Draft202012Validator(schema), jsonschema.Draft202012Validator(error_schema)


def validate_response(body: dict[str, Any]) -> None:
    """Raise jsonschema.ValidationError if a diarize-chunk body breaks the contract."""
    _validators()[0].validate(body)


def validate_error(body: dict[str, Any]) -> None:
    """Raise jsonschema.ValidationError if an error body breaks the contract."""
    _validators()[1].validate(body)
