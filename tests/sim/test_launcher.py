"""launch-cluster.sh, both dialects: headers, errors, -d, --solo, teardown on session loss, --rm."""

from __future__ import annotations

import asyncio

import pytest

from spark_sim.config import PairConfig
from spark_sim.fixtures import PairFactory
from spark_sim.pair import SimPair
from tests.sim.conftest import containers, eventually, port_open, run, ssh

HEADER = [
    "Head Node: 192.168.177.11",
    "Worker Nodes: 192.168.177.12",
    "Container Name: vllm_node",
    "Image Name: vllm-node",
]


async def test_header_status_and_stop_both_dialects(sim_pair_any_dialect: SimPair) -> None:
    pair = sim_pair_any_dialect
    async with ssh(pair) as conn:
        code, out, _ = await run(conn, "cd spark-vllm-docker && ./launch-cluster.sh status")
        assert code == 0
        lines = out.splitlines()
        assert lines[:5] == [*HEADER, "Action: status"]
        assert "[HEAD] 192.168.177.11: Container 'vllm_node' is NOT running." in lines
        assert "[WORKER] 192.168.177.12: Container 'vllm_node' is NOT running." in lines
        code, out, _ = await run(conn, "cd spark-vllm-docker && ./launch-cluster.sh -h")
        assert code == 1 and out.startswith("Usage:")
        code, out, _ = await run(conn, "cd spark-vllm-docker && ./launch-cluster.sh stop")
        assert code == 0
        assert out.splitlines()[-4:] == [
            "Stopping cluster...",
            "Stopping head node (192.168.177.11)...",
            "Stopping worker node (192.168.177.12)...",
            "Cluster stopped.",
        ]


async def test_aug2026_errors_solo_and_quoting(sim_pair: SimPair) -> None:
    async with ssh(sim_pair) as conn:
        code, out, _ = await run(conn, "cd spark-vllm-docker && ./launch-cluster.sh")
        assert code == 1 and out.splitlines()[0] == "Error: No action specified"
        code, out, _ = await run(
            conn, "cd spark-vllm-docker && ./launch-cluster.sh --bogus exec true"
        )
        assert code == 1 and out.splitlines()[0] == "Error: Unknown argument or action: --bogus"
        code, out, _ = await run(
            conn, "cd spark-vllm-docker && ./launch-cluster.sh --solo exec vllm serve m -tp 2"
        )
        assert code == 1
        assert out.splitlines()[-1] == (
            "Error: Command requires 2 nodes (tp=2 * pp=1 * dp=1) "
            "but only 1 node(s) are configured."
        )
        # Each exec argument is quoted on its own (printf %q): a word with a space stays one word.
        code, out, _ = await run(
            conn, "cd spark-vllm-docker && ./launch-cluster.sh --solo exec printf '<%s>' 'a b' c"
        )
        assert code == 0, out
        assert "<a b><c>" in out
        assert "Cluster stopped." in out  # foreground exec cleans up when it ends
        assert "vllm_node" not in await containers(sim_pair, "head")


async def test_jan2026_has_no_solo_and_joins_arguments(sim_pair_factory: PairFactory) -> None:
    pair = await sim_pair_factory(PairConfig(dialect="jan2026"))
    async with ssh(pair) as conn:
        code, out, err = await run(
            conn, "cd spark-vllm-docker && ./launch-cluster.sh --solo exec true"
        )
        # Unknown words are the command in this dialect: bash runs "--solo exec true".
        assert code != 0
        assert "Executing command on head node: --solo exec true" in out
        assert "bash: --: invalid option" in err  # real bash parses the joined string as options
        code, out, err = await run(
            conn, "cd spark-vllm-docker && ./launch-cluster.sh exec printf '[%s]' 'a b' c"
        )
        assert "bash: no job control in this shell" in err  # bash -i without a terminal
        assert "[a][b][c]" in out  # joined into one string, re-split by bash
        assert not await containers(pair, "head")


async def test_aug2026_daemon_exec_returns_before_ready(sim_pair_factory: PairFactory) -> None:
    pair = await sim_pair_factory(PairConfig(vllm_load_seconds=5))
    command = (
        f"cd spark-vllm-docker && ./launch-cluster.sh -d exec vllm serve org/Model-8B "
        f"--host 0.0.0.0 --port {pair.vllm_port} --max-model-len 8192 -tp 2"
    )
    async with ssh(pair) as conn:
        code, out, _ = await run(conn, command)
        ready_when_returned = await port_open(pair.vllm_port)
        assert code == 0
        assert (
            out.splitlines()[-1]
            == "Command dispatched in background (Daemon mode). Container: vllm_node"
        )
        assert not ready_when_returned  # returned while the model was still loading
        assert "  SSH to 192.168.177.12: OK" in out
        await eventually(lambda: port_open(pair.vllm_port), 60)
        code, logs, _ = await run(conn, "docker logs vllm_node")
        assert "Application startup complete." in logs
        assert "--nnodes 2 --node-rank 0" in out
        code, wlogs, _ = await run(conn, "ssh 192.168.177.12 docker logs vllm_node")
        assert "headless mode" in wlogs
        assert "Application startup complete." not in wlogs
        # vLLM crashing does not stop its container; stop removes it on both nodes (--rm).
        await run(conn, "docker exec vllm_node pkill -f spark_sim.services.vllm || true")
        await eventually(lambda: _closed(pair.vllm_port), 20)
        assert "vllm_node" in await containers(pair, "head")
        code, out, _ = await run(conn, "cd spark-vllm-docker && ./launch-cluster.sh stop")
        for node in ("head", "worker"):
            assert "vllm_node" not in await containers(pair, node)
        code, _, err = await run(conn, "docker inspect -f '{{.State.Status}}' vllm_node")
        assert code == 1 and err.strip() == "Error: No such object: vllm_node"
        code, _, err = await run(conn, "docker start vllm_node")
        assert code == 1 and "No such container: vllm_node" in err


async def _closed_check(port: int) -> bool:
    return not await port_open(port)


def _closed(port: int):  # type: ignore[no-untyped-def]
    return _closed_check(port)


@pytest.mark.parametrize("pty", [False, True], ids=["no-pty-epipe", "pty-sighup"])
async def test_jan2026_foreground_exec_tears_down_when_session_drops(
    sim_pair_factory: PairFactory, pty: bool
) -> None:
    pair = await sim_pair_factory(
        PairConfig(dialect="jan2026", vllm_load_seconds=1.5, vllm_log_interval=0.3)
    )
    command = (
        f"cd spark-vllm-docker && ./launch-cluster.sh exec vllm serve org/Model-8B --host 0.0.0.0 "
        f"--port {pair.vllm_port} -tp 2 --distributed-executor-backend ray"
    )
    async with ssh(pair) as conn:
        proc = await conn.create_process(command, term_type="xterm" if pty else None)
        seen = ""
        while "Loading safetensors" not in seen and "non-default args" not in seen:
            seen += await asyncio.wait_for(proc.stdout.readline(), 30)
        for node in ("head", "worker"):
            assert "vllm_node" in await containers(pair, node)
    # The client connection is gone. No PTY: vLLM's next write hits EPIPE, the launcher exits and
    # its EXIT trap stops the cluster. PTY: SIGHUP to the process group, HUP trap, same result.
    await eventually(lambda: _gone(pair), 60, step=0.3)


async def _gone(pair: SimPair) -> bool:
    running = [await containers(pair, n) for n in ("head", "worker")]
    return all("vllm_node" not in names for names in running)


async def test_autodetect_failure_and_unreachable_worker(sim_pair_any_dialect: SimPair) -> None:
    pair = sim_pair_any_dialect
    pair.faults.set("autodetect_failure")
    code, out, _ = await pair.run("head", "cd spark-vllm-docker && ./launch-cluster.sh status")
    assert code == 1
    assert out.strip() == "Error: ibdev2netdev not found. Cannot auto-detect interfaces."
    pair.faults.clear("autodetect_failure")
    await pair.worker.set_reachable(False)
    code, out, _ = await pair.run(
        "head",
        "cd spark-vllm-docker && ./launch-cluster.sh -n 192.168.177.11,192.168.177.12 "
        "--eth-if enp1s0f1np1 --ib-if rocep1s0f1 exec vllm serve m -tp 2",
    )
    assert code == 1
    assert out.splitlines()[-1] == "Error: Passwordless SSH to 192.168.177.12 failed."


async def test_jan2026_initial_model_runs_detached_through_nohup(
    sim_pair_factory: PairFactory,
) -> None:
    pair = await sim_pair_factory(PairConfig(dialect="jan2026", initial_model="org/Start-8B"))
    assert await port_open(pair.vllm_port)
    log = (pair.head.home / ".spark-control" / "launch.log").read_text()
    assert "Executing command on head node: vllm serve org/Start-8B" in log
    assert "Application startup complete." in log
    for node in ("head", "worker"):
        assert "vllm_node" in await containers(pair, node)
