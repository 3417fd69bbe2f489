"""CUDA-wedge recovery, proven on the CPU with injected faults: error, hang and crash.

Each fault must give 503 + Retry-After 60 to the request in flight and to the others, kill and
restart the worker, pass a deep-health probe before serving again, and count the restart.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from spark_diarizer.app import create_app
from spark_diarizer.config import Settings
from spark_diarizer.schema import validate_error, validate_response
from tests.addon.conftest import Service, get_json, start_service

TIMEOUT = aiohttp.ClientTimeout(total=600)
HANG_TIMEOUT_S = 40  # the per-request inference timeout of this service

# generous: a shared 2-core machine can be many times slower than an idle one
pytestmark = pytest.mark.timeout(1800)


@pytest.fixture(scope="module")
def wedge_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    service = start_service(
        tmp_path_factory.mktemp("wedge_service"),
        "--backend", "cpu", "--inference-timeout-s", str(HANG_TIMEOUT_S), "--max-queue", "4",
        env={"SPARK_DIARIZER_TEST_FAULTS": "1"},
    )  # fmt: skip
    try:
        service.wait_ready()
        yield service
    finally:
        service.stop()


async def _post(
    session: aiohttp.ClientSession, service: Service, clip: bytes
) -> tuple[int, dict, str | None]:
    form = aiohttp.FormData()
    form.add_field("file", clip, filename="clip.wav", content_type="audio/wav")
    async with session.post(f"{service.base_url}/v1/audio/diarize-chunk", data=form) as response:
        return response.status, await response.json(), response.headers.get("Retry-After")


async def _metric(session: aiohttp.ClientSession, service: Service, pattern: str) -> float:
    async with session.get(f"{service.base_url}/metrics") as response:
        text = await response.text()
    match = re.search(pattern + r" ([0-9.]+)", text)
    return float(match.group(1)) if match else 0.0


@pytest.mark.parametrize(
    ("fault", "reason"), [("error", "cuda_error"), ("crash", "crash"), ("hang", "timeout")]
)
async def test_fault_wedges_then_recovers(
    wedge_service: Service, audio_files: dict[str, Path], fault: str, reason: str
) -> None:
    clip = audio_files["wav"].read_bytes()
    restarts = r"spark_diarizer_worker_restarts_total"
    failures = rf'spark_diarizer_failures_total\{{reason="{reason}"\}}'
    async with aiohttp.ClientSession(timeout=TIMEOUT) as session:
        restarts_before = await _metric(session, wedge_service, restarts)
        failures_before = await _metric(session, wedge_service, failures)
        async with session.post(
            f"{wedge_service.base_url}/admin/fault", json={"kind": fault}
        ) as response:
            assert response.status == 200

        in_flight = asyncio.create_task(_post(session, wedge_service, clip))
        await asyncio.sleep(1.0)
        waiting = asyncio.create_task(_post(session, wedge_service, clip))
        for status, body, retry_after in (await in_flight, await waiting):
            assert (status, body["error"]["code"], retry_after) == (
                503, "service_unavailable", "60",
            ), body  # fmt: skip
            validate_error(body)

        # while the worker is being replaced: cheap health and new requests answer 503
        async with session.get(f"{wedge_service.base_url}/health") as response:
            assert response.status == 503
            assert response.headers["Retry-After"] == "60"
            assert (await response.json())["state"] == "wedged"
        status, body, retry_after = await _post(session, wedge_service, clip)
        assert (status, retry_after) == (503, "60")

        await asyncio.to_thread(wedge_service.wait_ready)
        status, body, _ = await _post(session, wedge_service, clip)
        assert status == 200, body
        validate_response(body)
        async with session.get(f"{wedge_service.base_url}/health?deep=1") as response:
            assert response.status == 200
        assert await _metric(session, wedge_service, restarts) == restarts_before + 1
        assert await _metric(session, wedge_service, failures) == failures_before + 1


def test_fault_hook_exists_only_when_enabled() -> None:
    """The admin route is not even registered unless SPARK_DIARIZER_TEST_FAULTS=1."""

    def routes(settings: Settings) -> set[str]:
        return {r.resource.canonical for r in create_app(settings).router.routes() if r.resource}

    assert "/admin/fault" not in routes(Settings())
    assert "/admin/fault" in routes(Settings(test_faults=True))


def _worker_pid(service: Service) -> int:
    """The spawned inference worker among the service's children (not the resource tracker)."""
    pid = service.process.pid
    children = [
        child
        for task in Path(f"/proc/{pid}/task").iterdir()
        for child in (task / "children").read_text().split()
    ]
    for child in children:
        cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
        if b"spawn_main" in cmdline and b"resource_tracker" not in cmdline:
            return int(child)
    raise AssertionError(f"no worker among {children}")


async def test_worker_killed_while_idle_is_noticed_without_traffic(
    wedge_service: Service, audio_files: dict[str, Path]
) -> None:
    """SIGKILL the idle worker: the watchdog wedges the service by itself, every view agrees."""
    await asyncio.to_thread(wedge_service.wait_ready)
    restarts = r"spark_diarizer_worker_restarts_total"
    crashes = r'spark_diarizer_failures_total\{reason="crash"\}'
    async with aiohttp.ClientSession(timeout=TIMEOUT) as session:
        restarts_before = await _metric(session, wedge_service, restarts)
        crashes_before = await _metric(session, wedge_service, crashes)
        old_pid = _worker_pid(wedge_service)
        os.kill(old_pid, signal.SIGKILL)
        # only /health is polled: no request reaches the worker's pipe
        for _ in range(600):
            status, cheap = await asyncio.to_thread(get_json, wedge_service.base_url + "/health")
            if status != 200:
                break
            await asyncio.sleep(0.1)
        assert (status, cheap["status"], cheap["state"], cheap["loaded"]) == (
            503, "wedged", "wedged", False,
        ), cheap  # fmt: skip
        assert "idle inference worker exited" in str(cheap["last_error"])
        status, deep = await asyncio.to_thread(get_json, wedge_service.base_url + "/health?deep=1")
        if status == 503:  # still restarting: the deep view says exactly the same
            assert (deep["status"], deep["state"], deep["loaded"]) == ("wedged", "wedged", False)
            async with session.get(f"{wedge_service.base_url}/metrics") as response:
                text = await response.text()
            assert 'spark_diarizer_ready{state="wedged",backend="cpu"} 0' in text
        await asyncio.to_thread(wedge_service.wait_ready)
        assert _worker_pid(wedge_service) != old_pid
        status, body, _ = await _post(session, wedge_service, audio_files["wav"].read_bytes())
        assert status == 200, body
        assert await _metric(session, wedge_service, restarts) == restarts_before + 1
        assert await _metric(session, wedge_service, crashes) == crashes_before + 1
