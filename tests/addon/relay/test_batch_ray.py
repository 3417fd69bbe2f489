"""Batch on a real local Ray runtime against real cpu add-on processes, and its fault cases.

One Ray runtime for the module (2 CPUs, a small object store), shut down at the end with a check
that none of its processes is left. The asyncio executor's run of two synthetic meetings is the
reference: Ray must give the very same speaker labels and turns (so the same DER), and so must
every fault run (a Ray worker killed mid-chunk, an add-on killed mid-batch, the driver killed and
rerun). DERs go to build/relay/batch_der.txt.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import ray
from aiohttp import web
from pyannote.metrics.diarization import DiarizationErrorRate

from evalkit.audio_synth import Segment, meeting_script, synth_conversation
from relay_lib.batch import Recording, find_recordings, run_batch
from relay_lib.client import RetryPolicy
from relay_lib.executors import AsyncioExecutor
from relay_lib.pipeline import RelayOptions
from relay_lib.ray_executor import RayExecutor, start_local_runtime
from tests.addon.conftest import start_service
from tests.addon.relay.conftest import REPO, REQUEST_TIMEOUT_S
from tests.addon.relay.test_e2e import annotation
from tests.relay.fakes import Servers

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]

CHUNK_S = 25.0
MEETING_MINUTES = 0.75


@dataclass(frozen=True)
class Meetings:
    folder: Path
    truth: dict[str, list[Segment]]


@pytest.fixture(scope="module")
def meetings(tmp_path_factory: pytest.TempPathFactory) -> Meetings:
    """Two short three-voice espeak-ng meetings (two chunks each) with their ground truth."""
    folder = tmp_path_factory.mktemp("batch_in")
    cache = tmp_path_factory.mktemp("batch_espeak")
    truth = {}
    for n, seed in enumerate((21, 22)):
        name = f"meeting{n}"
        truth[name] = synth_conversation(
            folder / f"{name}.wav", meeting_script(MEETING_MINUTES, n_voices=3, seed=seed),
            seed=seed, cache_dir=cache,
        )  # fmt: skip
    return Meetings(folder, truth)


def _descendants() -> dict[int, tuple[str, list[str]]]:
    """pid -> (name, argv) of every process below this one, read from /proc."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    mine, frontier = set(), {os.getpid()}
    while frontier:
        frontier = {pid for pid, ppid in parents.items() if ppid in frontier} - mine
        mine |= frontier
    out = {}
    for pid in mine:
        try:
            name = Path(f"/proc/{pid}/comm").read_text().strip()
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
        except OSError:
            continue
        out[pid] = (name, argv)
    return out


def _ray_processes() -> list[int]:
    """This session's Ray processes: head services, agents and workers (`ray::...`)."""
    return [
        pid
        for pid, (name, argv) in _descendants().items()
        if name in {"raylet", "gcs_server"}
        or any(arg.startswith("ray::") or "site-packages/ray/" in arg for arg in argv)
    ]


@pytest.fixture(scope="module")
def ray_address() -> Iterator[str]:
    """A local Ray runtime for the module: 2 CPUs, 150 MB object store; nothing left after it."""
    context = start_local_runtime(
        num_cpus=2, include_dashboard=False, object_store_memory=150 * 1024 * 1024,
        logging_level="WARNING",
    )  # fmt: skip
    try:
        yield context.address_info["gcs_address"]
    finally:
        ray.shutdown()
        deadline = time.monotonic() + 60
        while (left := _ray_processes()) and time.monotonic() < deadline:
            time.sleep(0.5)
        for pid in left:  # never leave a Ray process behind, even if the check below fails
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        assert not left, left


def options_for(addons: list[str]) -> RelayOptions:
    return RelayOptions(
        addon_urls=addons, chunk_seconds=CHUNK_S,
        policy=RetryPolicy(timeout_s=REQUEST_TIMEOUT_S, backoff_s=0.5),
    )  # fmt: skip


def turns(out: Path, name: str) -> list[tuple[float, float, str]]:
    data = json.loads((out / f"{name}.json").read_text())
    return [(s["start_s"], s["end_s"], s["speaker"]) for s in data["segments"]]


async def _run(executor: Any, recs: list[Recording], addons: list[str], out: Path) -> None:
    rows = await run_batch(recs, executor, options_for(addons), out, formats=("json", "rttm"))
    assert [r.status for r in rows] == ["done"] * len(recs), rows


@pytest.fixture(scope="module")
def reference(meetings: Meetings, addon_url: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Both meetings through the asyncio executor: the turns every Ray run must reproduce."""
    out = tmp_path_factory.mktemp("batch_asyncio")
    recs, _ = find_recordings([str(meetings.folder)])

    async def go() -> None:
        executor = AsyncioExecutor(options_for([addon_url]))
        try:
            await _run(executor, recs, [addon_url], out)
        finally:
            await executor.close()

    asyncio.run(go())
    return out


def test_ray_gives_the_same_speakers_and_der_as_asyncio(
    meetings: Meetings, addon_url: str, reference: Path, ray_address: str, tmp_path: Path
) -> None:
    recs, _ = find_recordings([str(meetings.folder)])

    async def go() -> None:
        executor = RayExecutor.start("local", options_for([addon_url]))
        try:
            await _run(executor, recs, [addon_url], tmp_path)
        finally:
            await executor.close()

    asyncio.run(go())
    lines = []
    for name, truth in meetings.truth.items():
        assert turns(tmp_path, name) == turns(reference, name)
        speakers = {s for _, _, s in turns(tmp_path, name)}
        assert speakers == {"Speaker 1", "Speaker 2", "Speaker 3"}
        ray_der, asyncio_der = der_of(truth, tmp_path, name), der_of(truth, reference, name)
        assert ray_der == asyncio_der
        assert ray_der < 30.0  # sanity: a broken stitch or relabel lands far above
        lines.append(f"relay_batch_der_{name}={ray_der:.2f}")
    out = REPO / "build" / "relay"
    out.mkdir(parents=True, exist_ok=True)
    (out / "batch_der.txt").write_text("\n".join(lines) + "\n")
    print(lines)


def der_of(truth: list[Segment], out: Path, name: str) -> float:
    metric = DiarizationErrorRate(collar=0.0, skip_overlap=False)
    return 100.0 * float(metric(annotation(list(truth)), annotation(turns(out, name))))


@dataclass
class Gate:
    """A proxy in front of the add-on that holds the first request until released."""

    target: str
    arrived: asyncio.Event
    release: asyncio.Event
    requests: int = 0

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.requests += 1
        body = await request.read()
        if self.requests == 1:
            self.arrived.set()
            await self.release.wait()
            if request.transport is None or request.transport.is_closing():
                return web.Response(status=499)  # its worker is gone: nobody to answer
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S)) as s,
            s.post(self.target + "/v1/audio/diarize-chunk", data=body,
                   headers={"Content-Type": request.headers["Content-Type"]}) as resp,
        ):  # fmt: skip
            return web.Response(
                body=await resp.read(), status=resp.status, content_type="application/json"
            )

    def app(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post("/v1/audio/diarize-chunk", self.handle)
        return app


async def _lease_pid(executor: RayExecutor, url: str | None = None) -> tuple[str, int]:
    async with asyncio.timeout(300):
        while True:
            leases: dict[str, tuple[str, int]] = await executor.endpoints.leases.remote()
            for lease_url, pid in leases.values():
                if url is None or lease_url == url:
                    return lease_url, pid
            await asyncio.sleep(0.1)


def test_worker_killed_mid_chunk_is_retried(
    meetings: Meetings, addon_url: str, reference: Path, ray_address: str, tmp_path: Path
) -> None:
    recs, _ = find_recordings([str(meetings.folder / "meeting0.wav")])

    async def go() -> int:
        gate = Gate(addon_url, asyncio.Event(), asyncio.Event())
        servers = Servers()
        proxy = await servers.start(gate.app())
        executor = RayExecutor.start("local", options_for([proxy]))
        try:
            batch = asyncio.create_task(_run(executor, recs, [proxy], tmp_path))
            async with asyncio.timeout(300):
                await gate.arrived.wait()
            _, pid = await _lease_pid(executor)
            os.kill(pid, signal.SIGKILL)  # the Ray worker running the held chunk
            gate.release.set()
            await batch
        finally:
            await executor.close()
            await servers.close()
        return gate.requests

    requests = asyncio.run(go())
    assert requests >= 3  # two chunks, and the killed one once more
    assert turns(tmp_path, "meeting0") == turns(reference, "meeting0")


def test_addon_dying_mid_batch_moves_its_chunks(  # noqa: PLR0917 - fixtures
    meetings: Meetings, addon_url: str, reference: Path, ray_address: str, tmp_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:  # fmt: skip
    second = start_service(
        tmp_path_factory.mktemp("second_addon"), "--backend", "cpu",
        "--inference-timeout-s", str(REQUEST_TIMEOUT_S), "--torch-threads", "2",
    )  # fmt: skip
    recs, _ = find_recordings([str(meetings.folder)])
    try:
        second.wait_ready()

        async def go() -> dict[str, int]:
            addons = [addon_url, second.base_url]
            executor = RayExecutor.start("local", options_for(addons))
            try:
                batch = asyncio.create_task(_run(executor, recs, addons, tmp_path))
                await _lease_pid(executor, second.base_url)
                await asyncio.sleep(1.0)  # the chunk is uploaded and being diarized
                second.process.kill()
                await batch
                served: dict[str, int] = await executor.endpoints.served.remote()
            finally:
                await executor.close()
            return served

        served = asyncio.run(go())
    finally:
        second.stop()
    assert served[second.base_url] >= 1  # it had chunks when it died ...
    assert sum(served.values()) > 4  # ... and they were sent again (4 chunks in all)
    for name in meetings.truth:
        assert turns(tmp_path, name) == turns(reference, name)


def test_driver_killed_then_rerun_resumes(
    meetings: Meetings, addon_url: str, reference: Path, ray_address: str, tmp_path: Path
) -> None:
    """`batch --ray ADDRESS` joins the runtime; SIGKILL after one recording; the rerun resumes."""
    command = [
        sys.executable, "-m", "relay_lib", "batch", str(meetings.folder), "-o", str(tmp_path),
        "--addon", addon_url, "--ray", ray_address, "--chunk-seconds", str(CHUNK_S),
        "--jobs", "1", "--formats", "json,rttm", "--timeout", str(REQUEST_TIMEOUT_S),
    ]  # fmt: skip
    log = tmp_path / "driver.log"
    with log.open("wb") as sink:
        driver = subprocess.Popen(command, cwd=REPO, stdout=sink, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 900
        while not list(tmp_path.glob("*.done")):
            assert driver.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.2)
    finally:
        driver.kill()
        driver.wait(30)
    assert [p.name for p in tmp_path.glob("*.done")] == ["meeting0.done"]
    rerun = subprocess.run(
        command, check=False, cwd=REPO, capture_output=True, text=True, timeout=1200
    )
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    rows = {line.split()[0]: line.split()[1] for line in rerun.stdout.splitlines()[1:-1]}
    assert rows == {"meeting0": "skipped", "meeting1": "done"}
    for name in meetings.truth:
        assert turns(tmp_path, name) == turns(reference, name)


def test_ray_is_imported_only_for_the_ray_executor() -> None:
    code = (
        "import sys; import relay_lib, relay_lib.cli, relay_lib.batch_cli;"
        "relay_lib.batch_cli.build_batch_parser();"
        "assert 'ray' not in sys.modules, 'ray imported'"
    )
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True, timeout=120)
