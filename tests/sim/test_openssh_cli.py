"""Real OpenSSH client vs the asyncssh server, real sshd serving the sandbox, the standalone CLI."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path

import aiohttp
import asyncssh

from spark_sim import procs
from spark_sim.openssh import run_sshd
from spark_sim.pair import SimPair
from spark_sim.sandbox import REPO_ROOT
from tests.sim.conftest import eventually, port_open


def ssh_argv(key: str, known_hosts: str, port: int, user: str, *extra: str) -> list[str]:
    return [
        "ssh",
        "-i",
        key,
        "-o",
        f"UserKnownHostsFile={known_hosts}",
        "-o",
        "StrictHostKeyChecking=yes",
        "-o",
        "BatchMode=yes",
        "-o",
        "IdentitiesOnly=yes",
        "-F",
        "/dev/null",
        "-p",
        str(port),
        *extra,
        f"{user}@127.0.0.1",
    ]


async def ssh_cli(argv: list[str], command: str, timeout: float = 60) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        *argv,
        command,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout)
    return proc.returncode or 0, out.decode(), err.decode()


async def test_openssh_client_against_simulator(sim_pair: SimPair) -> None:
    argv = ssh_argv(
        str(sim_pair.client_key_path),
        str(sim_pair.known_hosts_path),
        sim_pair.head.ssh_port,
        sim_pair.user,
    )
    code, out, err = await ssh_cli(argv, "echo $HOME; exit 4")
    assert (code, out) == (4, f"{sim_pair.head.home}\n"), err
    code, out, _ = await ssh_cli([*argv[:-1], "-tt", argv[-1]], "tty >/dev/null && echo has-tty")
    assert out.replace("\r", "") == "has-tty\n"
    sim_pair.head.rotate_host_key()  # known_hosts no longer matches: OpenSSH refuses
    code, _, err = await ssh_cli(argv, "true")
    assert code == 255 and "HOST IDENTIFICATION HAS CHANGED" in err


async def test_real_sshd_serves_the_sandbox(sim_pair: SimPair, tmp_path: Path) -> None:
    async with run_sshd(sim_pair.worker, tmp_path / "sshd") as sshd:
        key = asyncssh.read_private_key(str(sim_pair.client_key_path))
        async with asyncssh.connect(
            sshd.host,
            port=sshd.port,
            username=sshd.user,
            client_keys=[key],
            known_hosts=None,
            config=[],
            agent_path=None,
            connect_timeout=10,
        ) as conn:
            assert conn.get_server_host_key().get_fingerprint("sha256") == sshd.host_key_fingerprint
            result = await conn.run(
                "echo $HOME $SPARK_SIM_NODE; docker ps --format '{{.Names}}' | sort"
            )
            assert result.stdout.splitlines() == [
                f"{sim_pair.worker.home} worker",
                "magpie",
                "parakeet",
            ]
            assert (await conn.run("exit 3")).exit_status == 3
        sim_pair.revoke_keys()
        try:
            await asyncssh.connect(
                sshd.host,
                port=sshd.port,
                username=sshd.user,
                client_keys=[key],
                known_hosts=None,
                config=[],
                agent_path=None,
                connect_timeout=10,
            )
        except asyncssh.PermissionDenied:
            pass
        else:
            raise AssertionError("sshd accepted a revoked key")


async def test_cli_writes_sim_json_injects_faults_and_stops_clean(
    tmp_path: Path, socket_enabled: None
) -> None:
    state = tmp_path / "demo"
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "spark_sim",
        "--state-dir",
        str(state),
        "--load-seconds",
        "1",
        "--service-load-seconds",
        "0.2",
        "--initial-model",
        "org/Demo-1B",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env=env,
        cwd=REPO_ROOT,
    )
    root = state / "sim"
    try:
        assert proc.stdout is not None
        banner = ""
        while "Ctrl-C stops everything." not in banner:
            line = await asyncio.wait_for(proc.stdout.readline(), 120)
            assert line, banner
            banner += line.decode()
        info = json.loads((state / "sim.json").read_text())
        assert set(info["nodes"]) == {"head", "worker"}
        assert f"curl http://127.0.0.1:{info['vllm_port']}/v1/models" in banner
        head = info["nodes"]["head"]
        argv = ssh_argv(
            info["client_key_path"], info["known_hosts"], head["ssh_port"], info["user"]
        )
        command = (
            "cd spark-vllm-docker && ./launch-cluster.sh stop >/dev/null && "
            "./launch-cluster.sh -d "
            f"exec vllm serve org/model --port {info['vllm_port']}"
        )
        code, out, err = await ssh_cli(argv, command)
        assert code == 0, out + err
        await eventually(lambda: port_open(info["vllm_port"]), 60)
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{info['vllm_url']}/v1/models") as resp:
                assert (await resp.json())["data"][0]["id"] == "org/model"
            fault = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "spark_sim",
                "fault",
                "--state-dir",
                str(state),
                "engine_death",
                env=env,
                cwd=REPO_ROOT,
                stdout=asyncio.subprocess.PIPE,
            )
            assert json.loads((await fault.communicate())[0]) == {"engine_death": "1"}

            async def dead() -> bool:
                async with http.get(f"{info['vllm_url']}/health") as resp:
                    return resp.status == 503

            await eventually(dead, 20)
        fault = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "spark_sim",
            "fault",
            "--state-dir",
            str(state),
            "unreachable=worker",
            env=env,
            cwd=REPO_ROOT,
            stdout=asyncio.subprocess.DEVNULL,
        )
        await fault.wait()
        worker_port = info["nodes"]["worker"]["ssh_port"]
        await eventually(lambda: _refused(worker_port), 20)
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), 60) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert procs.sim_pids(root.resolve()) == []
    assert not await port_open(info["vllm_port"])


async def _refused(port: int) -> bool:
    return not await port_open(port)


async def test_stop_leaves_no_process_or_listener(sim_pair: SimPair) -> None:
    code, _, _ = await sim_pair.run(
        "head", "cd spark-vllm-docker || exit; nohup setsid sleep 300 >/dev/null 2>&1 &"
    )
    assert code == 0
    assert procs.sim_pids(sim_pair.root)
    ports = [
        sim_pair.head.ssh_port,
        sim_pair.worker.ssh_port,
        sim_pair.parakeet_port,
        sim_pair.magpie_port,
    ]
    await eventually(lambda: port_open(sim_pair.parakeet_port), 30)
    await sim_pair.stop()
    assert procs.sim_pids(sim_pair.root) == []
    for port in ports:
        assert not await port_open(port)
