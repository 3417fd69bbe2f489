"""The aiohttp front: routes, multipart parsing with limits, JSON errors, metrics."""

from __future__ import annotations

import asyncio
import hmac
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from aiohttp import BodyPartReader, web
from aiohttp.http_exceptions import HttpProcessingError

from .audio import check_content_type, decode_audio
from .config import Settings
from .errors import ApiError
from .metrics import Metrics
from .schema import validate_response
from .supervisor import Supervisor

_LOG = logging.getLogger("spark_diarizer.app")

SETTINGS_KEY = web.AppKey("settings", Settings)
METRICS_KEY = web.AppKey("metrics", Metrics)
SUPERVISOR_KEY = web.AppKey("supervisor", Supervisor)
FIELD_LIMIT = 64 * 1024
READ_CHUNK = 256 * 1024
FAULT_KINDS = ("error", "error_mid", "hang", "crash", "delay")
OPEN_ROUTES = frozenset({"/health"})  # the add-on watchdog polls it without a token
DEEP_VALUES = frozenset({"1", "true", "yes"})
ASCII_DIGITS = re.compile(r"[0-9]{1,3}")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def error_response(err: ApiError) -> web.Response:
    """Every non-2xx body: {"error": {"code", "message"}}, plus Retry-After when it helps."""
    headers = {"Retry-After": str(err.retry_after)} if err.retry_after is not None else {}
    if err.status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="spark_diarizer"'
    return web.json_response(err.body(), status=err.status, headers=headers or None)


def _route(request: web.Request) -> str:
    resource = request.match_info.route.resource
    return resource.canonical if resource else "other"


def _bearer_ok(header: str | None, token: str) -> bool:
    """Constant-time check of `Authorization: Bearer <token>` (scheme case-insensitive)."""
    scheme, _, given = (header or "").strip().partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode(), token.encode())


def _wants_deep(request: web.Request) -> bool:
    return request.query.get("deep", "") in DEEP_VALUES


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """With api_token set, all but the cheap /health need `Authorization: Bearer <token>`.

    `/health?deep=1` runs an inference on the worker, so it is guarded like the API.
    """
    token = request.app[SETTINGS_KEY].api_token
    is_open = _route(request) in OPEN_ROUTES and not _wants_deep(request)
    if token and not is_open and not _bearer_ok(request.headers.get("Authorization"), token):
        raise ApiError(
            401, "unauthorized", "send the add-on's token: Authorization: Bearer <token>"
        )
    return await handler(request)


@web.middleware
async def errors_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Map every failure to the JSON error shape and count every answer."""
    endpoint = _route(request)
    try:
        response = await handler(request)
    except ApiError as err:
        response = error_response(err)
    except web.HTTPRequestEntityTooLarge as err:
        response = error_response(ApiError(413, "payload_too_large", err.text or "too large"))
    except web.HTTPException as err:
        code = "not_found" if err.status == 404 else "invalid_request"
        if err.status >= 500:
            raise
        response = error_response(ApiError(err.status, code, err.reason))
    except asyncio.CancelledError:
        raise
    except Exception:
        _LOG.exception("unhandled error on %s", request.path)
        response = error_response(ApiError(500, "internal_error", "internal server error"))
    request.app[METRICS_KEY].observe_request(endpoint, response.status)
    return response


async def _read_file_part(part: BodyPartReader, limit: int) -> bytes:
    data = bytearray()
    while chunk := await part.read_chunk(READ_CHUNK):
        data += chunk
        if len(data) > limit:
            raise ApiError(413, "payload_too_large", f"upload is larger than {limit} bytes")
    return bytes(data)


def _parse_max_speakers(text: str, ceiling: int) -> int | None:
    text = text.strip(" \t\r\n")
    if not text:
        return None
    if not ASCII_DIGITS.fullmatch(text):  # int() would also take "+3", "1_0" and non-ASCII digits
        raise ApiError(400, "invalid_field", "max_speakers must be an integer (ASCII digits)")
    value = int(text)
    if not 1 <= value <= ceiling:
        raise ApiError(400, "invalid_field", f"max_speakers must be between 1 and {ceiling}")
    return value


async def _read_form(request: web.Request, settings: Settings) -> tuple[bytes, int | None]:
    limit = int(settings.max_upload_mb * 1024 * 1024)
    if request.content_length is not None and request.content_length > limit + FIELD_LIMIT:
        raise ApiError(413, "payload_too_large", f"upload is larger than {limit} bytes")
    if not request.content_type.startswith("multipart/"):
        raise ApiError(
            415, "unsupported_media_type", "send multipart/form-data with a `file` field"
        )
    data: bytes | None = None
    max_speakers: int | None = None
    try:
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader):
                raise ApiError(400, "invalid_request", "nested multipart is not supported")
            if part.name == "file":
                check_content_type(part.headers.get("Content-Type"))
                data = await _read_file_part(part, limit)
            elif part.name == "max_speakers":
                raw = await part.read(decode=True)
                if len(raw) > FIELD_LIMIT:
                    raise ApiError(400, "invalid_field", "max_speakers is too long")
                text = raw.decode("utf-8", errors="replace")
                max_speakers = _parse_max_speakers(text, settings.max_speakers_limit)
            else:
                await part.release()  # unknown fields are ignored, as OpenAI-style APIs do
    except (ValueError, AssertionError, UnicodeDecodeError, HttpProcessingError) as err:
        # HttpProcessingError: aiohttp's BadHttpMessage family (bad or too long part headers)
        message = getattr(err, "message", None) or str(err)
        raise ApiError(400, "invalid_request", f"malformed multipart body: {message}") from err
    if data is None:
        raise ApiError(400, "missing_file", "the multipart body has no `file` field")
    return data, max_speakers


async def diarize_chunk(request: web.Request) -> web.Response:
    """POST /v1/audio/diarize-chunk."""
    settings = request.app[SETTINGS_KEY]
    supervisor = request.app[SUPERVISOR_KEY]
    if supervisor.pending >= settings.max_queue:  # refuse before reading a large body
        request.app[METRICS_KEY].failures["queue_full"] += 1
        raise ApiError(429, "queue_full", "inference queue is full", 5)
    data, max_speakers = await _read_form(request, settings)
    audio = await asyncio.get_running_loop().run_in_executor(
        None, decode_audio, data, settings.max_duration_s
    )
    del data
    body = await supervisor.diarize(audio, max_speakers)
    validate_response(body)
    return web.json_response(body)


async def health(request: web.Request) -> web.Response:
    """GET /health (state only) and GET /health?deep=1 (runs the built-in probe)."""
    supervisor = request.app[SUPERVISOR_KEY]
    deep = _wants_deep(request)
    if supervisor.state != "ready":
        return _health_body(supervisor, 503)
    if not deep:
        return web.json_response(_health_body_dict(supervisor))
    try:
        result = await supervisor.deep_health()
    except ApiError as err:  # a wedge moved the state on; an OOM or a failed probe did not
        response = _health_body(supervisor, err.status, err.message)
        if supervisor.state == "ready":
            response = _health_body(supervisor, err.status, err.message, "probe_failed")
        return response
    if supervisor.state != "ready":  # the worker died between the answer and now
        return _health_body(supervisor, 503)
    body = _health_body_dict(supervisor)
    body["deep"] = {
        "probe_s": result["probe_s"],
        "probe_duration_s": result["probe"]["duration"],
        "probe_speakers": len(result["probe"]["speakers_detected"]),
    }
    return web.json_response(body)


def _health_body_dict(supervisor: Supervisor, error: str | None = None) -> dict[str, Any]:
    """One view of the supervisor's state, read once, so status/state/loaded always agree."""
    state = supervisor.state
    return {
        "status": "ok" if state == "ready" else state,
        "state": state,
        "backend": supervisor.info.get("backend"),
        "device": supervisor.info.get("device"),
        "models": {
            "diarization": supervisor.info.get("diarization_model"),
            "embedding": supervisor.info.get("embedding_model"),
        },
        "loaded": state == "ready",
        "last_error": error or supervisor.last_error,
    }


def _health_body(
    supervisor: Supervisor, status: int, error: str | None = None, summary: str | None = None
) -> web.Response:
    body = _health_body_dict(supervisor, error)
    if summary is not None:
        body["status"] = summary
    return web.json_response(body, status=status, headers={"Retry-After": "60"})


async def models(request: web.Request) -> web.Response:
    """GET /v1/models: the two models in use, OpenAI-list style."""
    info = request.app[SUPERVISOR_KEY].info
    data = [
        {"id": info.get(key), "object": "model", "task": task, "backend": info.get("backend")}
        for key, task in (("diarization_model", "diarization"), ("embedding_model", "embedding"))
        if info.get(key)
    ]
    return web.json_response({"object": "list", "data": data})


async def metrics(request: web.Request) -> web.Response:
    """GET /metrics in the Prometheus text format."""
    supervisor = request.app[SUPERVISOR_KEY]
    text = request.app[METRICS_KEY].render(
        supervisor.state, str(supervisor.info.get("backend")), supervisor.pending
    )
    return web.Response(text=text, content_type="text/plain", charset="utf-8")


async def inject_fault(request: web.Request) -> web.Response:
    """POST /admin/fault {"kind": error|error_mid|hang|crash|delay, "seconds"}: test builds only."""
    try:
        payload = await request.json()
    except ValueError:
        raise ApiError(400, "invalid_request", "body must be JSON") from None
    kind = payload.get("kind") if isinstance(payload, dict) else None
    if kind not in FAULT_KINDS:
        raise ApiError(400, "invalid_field", f"kind must be one of {FAULT_KINDS}")
    seconds = float(payload.get("seconds", 1.0))
    request.app[SUPERVISOR_KEY].set_fault(f"{kind}:{seconds}" if kind == "delay" else kind)
    return web.json_response({"armed": kind})


async def _supervise(app: web.Application) -> AsyncIterator[None]:
    supervisor = app[SUPERVISOR_KEY]
    supervisor.start()
    yield
    await supervisor.close()


def create_app(settings: Settings) -> web.Application:
    """Build the application; the worker starts with the app (cleanup_ctx)."""
    limit = int(settings.max_upload_mb * 1024 * 1024) + FIELD_LIMIT
    app = web.Application(middlewares=[errors_middleware, auth_middleware], client_max_size=limit)
    app[SETTINGS_KEY] = settings
    app[METRICS_KEY] = Metrics()
    app[SUPERVISOR_KEY] = Supervisor(settings, app[METRICS_KEY])
    app.router.add_post("/v1/audio/diarize-chunk", diarize_chunk)
    app.router.add_get("/health", health)
    app.router.add_get("/v1/models", models)
    app.router.add_get("/metrics", metrics)
    if settings.test_faults:
        app.router.add_post("/admin/fault", inject_fault)
    app.cleanup_ctx.append(_supervise)
    return app
