"""docker shim details, Parakeet/Magpie tied to their containers, nvidia-smi and the cat shim."""

from __future__ import annotations

import asyncio
import io
import time
import wave
from pathlib import Path

import aiohttp

from spark_sim import procs
from spark_sim.config import PairConfig
from spark_sim.fixtures import PairFactory
from spark_sim.pair import SimPair
from tests.sim.conftest import eventually, port_open, run, ssh


def wav_bytes(seconds: float = 1.0, rate: int = 16000) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"\0\0" * int(seconds * rate))
    return buf.getvalue()


async def test_services_follow_their_containers(sim_pair: SimPair) -> None:
    p_url, m_url = sim_pair.parakeet_url, sim_pair.magpie_url
    async with aiohttp.ClientSession() as http:

        async def parakeet_ready() -> bool:
            try:
                async with http.get(f"{p_url}/healthz") as resp:
                    return resp.status == 200
            except aiohttp.ClientConnectionError:
                return False

        async def magpie_ready() -> bool:
            try:
                async with http.get(f"{m_url}/v1/health/ready") as resp:
                    return resp.status == 200 and (await resp.json()) == {"ready": True}
            except aiohttp.ClientConnectionError:
                return False

        await eventually(parakeet_ready, 30)
        await eventually(magpie_ready, 30)
        form = aiohttp.FormData()
        form.add_field("file", wav_bytes(2.0), filename="a.wav", content_type="audio/wav")
        form.add_field("response_format", "verbose_json")
        async with http.post(f"{p_url}/v1/audio/transcriptions", data=form) as resp:
            verbose = await resp.json()
        assert verbose["duration"] == 2.0 and verbose["segments"] == []  # silence: no words
        form = aiohttp.FormData()
        form.add_field("file", wav_bytes(), filename="a.wav")
        form.add_field("response_format", "text")
        async with http.post(f"{p_url}/v1/audio/transcriptions", data=form) as resp:
            assert resp.status == 200 and await resp.text() == ""
        form = aiohttp.FormData()
        form.add_field("file", wav_bytes(1.5), filename="a.wav")
        form.add_field("response_format", "srt")
        async with http.post(f"{p_url}/v1/audio/transcriptions", data=form) as resp:
            assert (await resp.text()).splitlines()[:2] == ["1", "00:00:00,000 --> 00:00:01,500"]
        form = aiohttp.FormData()
        form.add_field("file", b"", filename="a.wav")
        async with http.post(f"{p_url}/v1/audio/transcriptions", data=form) as resp:
            assert resp.status == 400
        async with http.get(f"{p_url}/v1/models") as resp:
            assert (await resp.json())["data"][0]["owned_by"] == "nvidia"
        async with http.get(f"{m_url}/v1/audio/list_voices") as resp:
            voices = await resp.json()
        assert any("Aria" in v for entry in voices.values() for v in entry["voices"])
        form = aiohttp.FormData()
        form.add_field("text", "Hello from the Spark")
        form.add_field("language", "en-US")
        form.add_field("voice", "Magpie-Multilingual.EN-US.Aria")
        async with http.post(f"{m_url}/v1/audio/synthesize", data=form) as resp:
            audio = await resp.read()
        with wave.open(io.BytesIO(audio)) as wav:
            assert wav.getnframes() > 0
        async with http.post(f"{m_url}/v1/audio/synthesize", json={"text": "hi"}) as resp:
            assert resp.status == 400 and "empty text input" in await resp.text()
    async with ssh(sim_pair, "worker") as conn:
        _, out, _ = await run(
            conn, "docker inspect -f '{{.State.Status}} {{.State.StartedAt}}' parakeet"
        )
        status, started = out.split()
        assert status == "running" and started.endswith("Z")
        assert (await run(conn, "docker stop parakeet magpie"))[1].split() == ["parakeet", "magpie"]
        assert not await port_open(sim_pair.parakeet_port)
        assert not await port_open(sim_pair.magpie_port)
        _, out, _ = await run(
            conn,
            "docker inspect -f '{{.State.Status}}' parakeet; "
            "docker ps -a --format '{{.Names}} {{.State}}'",
        )
        assert out.splitlines()[0] == "exited"  # long-lived container: stopped, not removed
        assert "parakeet exited" in out
        assert (await run(conn, "docker start parakeet"))[1] == "parakeet\n"
        await eventually(lambda: port_open(sim_pair.parakeet_port), 30)
        assert (await run(conn, "docker restart magpie"))[0] == 0
        await eventually(lambda: port_open(sim_pair.magpie_port), 30)


async def test_docker_logs_since_follow_exec_and_errors(sim_pair: SimPair) -> None:
    async with ssh(sim_pair) as conn:
        code, out, _ = await run(conn, "docker run -d --rm --name box vllm-node sleep infinity")
        assert code == 0 and len(out.strip()) == 64
        code, _, err = await run(conn, "docker run -d --name box vllm-node sleep infinity")
        assert code == 125 and 'The container name "/box" is already in use' in err
        await run(conn, "docker exec -d box bash -c 'echo early >> /proc/1/fd/1'")
        await asyncio.sleep(1.2)
        mark = time.time()
        await run(conn, "docker exec -d box bash -c 'echo late >> /proc/1/fd/1'")

        async def logged() -> bool:
            return "late" in (await run(conn, "docker logs box"))[1]

        await eventually(logged, 10)
        assert (await run(conn, "docker logs box"))[1] == "early\nlate\n"
        assert (await run(conn, f"docker logs --since {mark:.3f} box"))[1] == "late\n"
        assert (await run(conn, "docker logs --since 1s box"))[1] in ("late\n", "")
        assert (await run(conn, "docker logs --since 2000-01-01T00:00:00Z box"))[
            1
        ] == "early\nlate\n"
        assert (await run(conn, "docker logs --tail 1 box"))[1] == "late\n"
        follower = await conn.create_process("docker logs -f box")
        assert await asyncio.wait_for(follower.stdout.readline(), 10) == "early\n"
        await run(conn, "docker exec box bash -c 'echo direct'")  # foreground exec: to the caller
        await run(conn, "docker exec -d box bash -c 'echo more >> /proc/1/fd/1'")
        assert await asyncio.wait_for(follower.stdout.readline(), 10) == "late\n"
        assert await asyncio.wait_for(follower.stdout.readline(), 10) == "more\n"
        await run(conn, "docker stop box")
        await asyncio.wait_for(follower.wait(), 15)  # -f ends when the container stops
        code, _, err = await run(conn, "docker logs box")
        assert code == 1 and err.strip() == "Error response from daemon: No such container: box"
        code, _, err = await run(conn, "docker exec box true")
        assert code == 1
        code, out, _ = await run(conn, "docker ps")
        assert out.startswith("CONTAINER ID   IMAGE")
        code, out, _ = await run(conn, "docker image inspect --format '{{.Id}}' vllm-node")
        assert out.startswith("sha256:")
        code, _, err = await run(conn, "docker image inspect --format '{{.Id}}' nope")
        assert code == 1 and "No such image: nope" in err


async def test_nvidia_smi_and_system_files(sim_pair_factory: PairFactory) -> None:
    pair = await sim_pair_factory(PairConfig(initial_model="org/Model-8B"))
    fields = (
        "name,driver_version,utilization.gpu,temperature.gpu,power.draw,clocks.sm,"
        "memory.used,memory.total"
    )
    async with ssh(pair) as conn:
        code, out, _ = await run(
            conn, f"nvidia-smi --query-gpu={fields} --format=csv,noheader,nounits"
        )
        row = out.strip().split(", ")
        assert code == 0 and row[0] == "NVIDIA GB10" and row[6:] == ["[N/A]", "[N/A]"]
        assert float(row[4]) > 0
        code, out, _ = await run(
            conn,
            "nvidia-smi --query-compute-apps=pid,process_name,used_memory "
            "--format=csv,noheader,nounits",
        )
        pid, name, mem = out.strip().split(", ")
        assert name == "VLLM::EngineCore" and int(mem) > 80000 and pid.isdigit()
        code, out, _ = await run(conn, "nvidia-smi --query-gpu=bogus --format=csv")
        assert code == 2
        code, out, _ = await run(conn, "cat /proc/meminfo /etc/machine-id")
        lines = out.splitlines()
        assert lines[0].split() == ["MemTotal:", "131334144", "kB"]
        assert lines[-1] == pair.head.machine_id
        code, out, _ = await run(
            conn,
            "cd spark-vllm-docker && ./launch-cluster.sh stop >/dev/null; "
            "nvidia-smi --query-compute-apps=pid --format=csv,noheader",
        )
        assert out.strip() == ""


async def test_abandoned_log_follower_of_a_quiet_container_exits(sim_pair: SimPair) -> None:
    def followers() -> list[int]:
        found = []
        for pid in procs.sim_pids(sim_pair.root):
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"tools.docker" in b" ".join(cmdline) and b"-f" in cmdline:
                found.append(pid)
        return found

    async with ssh(sim_pair) as conn:
        await run(conn, "docker run -d --rm --name quiet vllm-node sleep infinity")
        follower = await conn.create_process("docker logs -f quiet")
        await eventually(lambda: _truthy(followers()), 20)
        del follower

    async def none_left() -> bool:
        return not followers()

    await eventually(none_left, 20)
    assert "quiet" in (await sim_pair.run("head", "docker ps --format '{{.Names}}'"))[1]


async def _truthy(value: object) -> bool:
    return bool(value)


async def test_log_pump_keeps_slow_lines_whole_and_ends_with_pid1(sim_pair: SimPair) -> None:
    def pumps() -> list[int]:
        found = []
        for pid in procs.sim_pids(sim_pair.root):
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            if b"EPOCHREALTIME" in cmdline and b"containers/short/" in cmdline:
                found.append(pid)
        return found

    code, _, err = await sim_pair.run(
        "head",
        "docker run -d --name short vllm-node "
        "bash -c \"printf 'par'; sleep 1.6; echo tial; sleep 0.2\"",
    )
    assert code == 0, err
    assert pumps()

    async def pump_gone() -> bool:
        return not pumps()

    await eventually(pump_gone, 20)  # PID 1 exited on its own; nobody ran docker since
    code, out, _ = await sim_pair.run(
        "head", "docker logs short; docker inspect -f '{{.State.Status}}' short"
    )
    assert out.splitlines() == ["partial", "exited"]
