"""SimPair: two simulated DGX Sparks (head + worker) on 127.0.0.1, run from asyncio."""

from __future__ import annotations

import asyncio
import contextlib
import json
import shlex
import shutil
import signal
import sys
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import asyncssh

from spark_sim import procs
from spark_sim.config import PairConfig
from spark_sim.faults import FaultControl
from spark_sim.gitrepo import build_checkout
from spark_sim.node import SimNode
from spark_sim.ports import free_ports
from spark_sim.tools import hf

PARAKEET_IMAGE = "nvcr.io/nim/nvidia/parakeet-tdt-0.6b-v3:latest"
MAGPIE_IMAGE = "nvcr.io/nim/nvidia/magpie-tts-multilingual:latest"


class SimPair:
    """A head and a worker Spark with SSH servers, shims, containers and fake HTTP services."""

    def __init__(self, root: Path, config: PairConfig | None = None) -> None:
        self.root = Path(root).resolve()
        self.config = config or PairConfig()
        self.user = self.config.user
        self.client_key_path = self.root / "client_key"
        self.client_public_key = ""
        self._authorized: set[bytes] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self.faults = FaultControl(self.root, self._reach_hook)
        ports = free_ports(5)
        self.vllm_port, self.parakeet_port, self.magpie_port = ports[2:]
        self.head = SimNode(self.root, "head", **self._node_args(ports[0]))
        self.worker = SimNode(self.root, "worker", **self._node_args(ports[1]))
        self.nodes = {"head": self.head, "worker": self.worker}
        self._started = False

    def _node_args(self, ssh_port: int) -> dict[str, Any]:
        return {
            "user": self.user,
            "ssh_port": ssh_port,
            "faults": self.faults,
            "authorized": self._authorized,
            "settle": self.config.launcher_settle_seconds,
        }

    # lifecycle ----------------------------------------------------------------------------
    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def start(self) -> None:
        """Build both sandboxes, start SSH servers and the service containers."""
        config = self.config
        (self.root / "sim-config.json").write_text(json.dumps(self._config_json(), indent=1))
        key = asyncssh.generate_private_key(
            "ssh-ed25519", comment=f"spark-sim-client@{self.root.name}"
        )
        key.write_private_key(str(self.client_key_path), "openssh")
        self.client_key_path.chmod(0o600)
        key.write_public_key(str(self.client_key_path) + ".pub", "openssh")
        self.client_public_key = key.export_public_key("openssh").decode().strip()
        self.authorize_key(self.client_public_key)
        self._started = True
        try:
            await build_checkout(self.root, self.head.home, config, self.head.run_env())
            for name in config.downloaded_models:
                hf.materialize(self.head.home / ".cache/huggingface/hub", name)
                hf.materialize(self.worker.home / ".cache/huggingface/hub", name)
            await self._setup_docker()
            for node in self.nodes.values():
                await node.start()
            self._write_known_hosts()
            if config.initial_model:
                await self._load_initial_model(config.initial_model)
            (self.root / "sim.json").write_text(json.dumps(self.info(), indent=1))
        except BaseException:
            await self.stop()
            raise

    async def stop(self) -> None:
        """Kill every process the pair started, close servers and connections, leave no tasks."""
        if not self._started:
            return
        self._started = False
        for task in list(self._tasks):
            task.cancel()
        for _ in range(3):
            if not procs.kill_all(self.root, signal.SIGKILL):
                break
            await asyncio.sleep(0.05)
        for node in self.nodes.values():
            await node.stop()
        procs.kill_all(self.root, signal.SIGKILL)
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=5)

    # keys ---------------------------------------------------------------------------------
    def authorize_key(self, public_key_line: str) -> None:
        """Authorise another client key on both nodes (asyncssh memory + authorized_keys)."""
        key = asyncssh.import_public_key(public_key_line.strip())
        self._authorized.add(key.public_data)
        for node in self.nodes.values():
            path = node.home / ".ssh" / "authorized_keys"
            lines = path.read_text().splitlines() if path.exists() else []
            if public_key_line.strip() not in lines:
                lines.append(public_key_line.strip())
            path.write_text("\n".join(lines) + "\n")
            path.chmod(0o600)

    def revoke_keys(self) -> None:
        """Remove every authorised key (reauth tests)."""
        self._authorized.clear()
        for node in self.nodes.values():
            (node.home / ".ssh" / "authorized_keys").write_text("")

    # info ---------------------------------------------------------------------------------
    @property
    def vllm_url(self) -> str:
        return f"http://127.0.0.1:{self.vllm_port}"

    @property
    def parakeet_url(self) -> str:
        return f"http://127.0.0.1:{self.parakeet_port}"

    @property
    def magpie_url(self) -> str:
        return f"http://127.0.0.1:{self.magpie_port}"

    @property
    def known_hosts_path(self) -> Path:
        return self.root / "known_hosts"

    def info(self) -> dict[str, Any]:
        """Everything a client needs, JSON-able (also written to <root>/sim.json)."""
        nodes = {
            name: {
                "host": node.host,
                "ssh_port": node.ssh_port,
                "user": self.user,
                "key_file": str(self.client_key_path),
                "host_key_fingerprint": node.host_key_fingerprint,
                "host_public_key": node.host_public_key,
                "machine_id": node.machine_id,
                "home": str(node.home),
                "wrapper": str(node.wrapper),
            }
            for name, node in self.nodes.items()
        }
        return {
            "nodes": nodes,
            "user": self.user,
            "client_key_path": str(self.client_key_path),
            "client_public_key": self.client_public_key,
            "known_hosts": str(self.known_hosts_path),
            "vllm_url": self.vllm_url,
            "vllm_port": self.vllm_port,
            "parakeet_url": self.parakeet_url,
            "parakeet_port": self.parakeet_port,
            "magpie_url": self.magpie_url,
            "magpie_port": self.magpie_port,
            "parakeet_node": self.config.parakeet_node,
            "magpie_node": self.config.magpie_node,
            "parakeet_container": self.config.parakeet_container,
            "magpie_container": self.config.magpie_container,
            "dialect": self.config.dialect,
            "state_dir": str(self.root),
        }

    # helpers ------------------------------------------------------------------------------
    async def run(self, node: str, command: str, timeout: float = 60) -> tuple[int, str, str]:
        """Run a command on a node through its wrapper (no SSH); for setup and tests."""
        proc = await asyncio.create_subprocess_exec(
            str(self.nodes[node].wrapper),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env={
                "SSH_ORIGINAL_COMMAND": command,
                "PATH": "/usr/bin:/bin",
                "SPARK_SIM_ROOT": str(self.root),
            },
            start_new_session=True,
        )
        try:
            out, err = await asyncio.wait_for(proc.communicate(), timeout)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
            raise
        return proc.returncode or 0, out.decode(errors="replace"), err.decode(errors="replace")

    async def _checked(self, node: str, command: str) -> str:
        code, out, err = await self.run(node, command)
        if code:
            raise RuntimeError(f"[{node}] {command!r} failed ({code}): {out}{err}")
        return out

    def _config_json(self) -> dict[str, Any]:
        data = self.config.to_json()
        data["ports"] = {
            "vllm": self.vllm_port,
            "parakeet": self.parakeet_port,
            "magpie": self.magpie_port,
        }
        data["nodes"] = {
            n: {"home": str(node.home), "ssh_port": node.ssh_port} for n, node in self.nodes.items()
        }
        return data

    async def _setup_docker(self) -> None:
        """Images on both nodes (same vllm-node id), Parakeet/Magpie as long-lived containers."""
        py = shlex.quote(sys.executable)
        image_id = "sha256:" + "5e1f" * 16
        for name in self.nodes:
            state = self.nodes[name].home / ".sim" / "docker"
            images = {
                "vllm-node:latest": {"id": image_id, "cmd": ["sleep", "infinity"], "created": 0}
            }
            (state / "images.json").write_text(json.dumps(images))
        services = (
            (self.config.parakeet_node, self.config.parakeet_container, PARAKEET_IMAGE, "parakeet"),
            (self.config.magpie_node, self.config.magpie_container, MAGPIE_IMAGE, "magpie"),
        )
        for node, container, image, module in services:
            # Magpie keeps its model cache on the host, as the real NIM's volume does.
            cache = self.nodes[node].home / ".cache" / "nim"
            cache.mkdir(parents=True, exist_ok=True)
            volume = f"-v {shlex.quote(f'{cache}:/opt/nim/.cache')} " if module == "magpie" else ""
            state = self.nodes[node].home / ".sim" / "docker" / "images.json"
            images = json.loads(state.read_text())
            images[image] = {
                "id": "sha256:" + module.encode().hex().ljust(64, "0"),
                "cmd": [sys.executable, "-m", f"spark_sim.services.{module}"],
                "created": 0,
            }
            state.write_text(json.dumps(images))
            command = (
                f"docker create --name {shlex.quote(container)} --restart unless-stopped "
                f"--gpus all --shm-size=8GB {volume}{shlex.quote(image)} {py} -m "
                f"spark_sim.services.{module} >/dev/null"
            )
            if self.config.services_running:
                command += f" && docker start {shlex.quote(container)} >/dev/null"
            await self._checked(node, command)

    async def _load_initial_model(self, model: str) -> None:
        """Bring the cluster up with `model` already loaded (instant load) via the launcher."""
        for node in self.nodes.values():
            (node.home / ".sim" / "vllm" / "instant-load").touch()
        args = f"vllm serve {shlex.quote(model)} --host 0.0.0.0 --port {self.vllm_port} -tp 2"
        if self.config.initial_vllm_args:
            args += " " + shlex.join(self.config.initial_vllm_args)
        if self.config.dialect == "aug2026":
            await self._checked(
                "head", f"cd spark-vllm-docker && ./launch-cluster.sh -d exec {args}"
            )
        else:
            await self._checked(
                "head",
                # `a && b &` would background a subshell that keeps our pipes open: use `;`.
                "cd spark-vllm-docker || exit 1; nohup setsid ./launch-cluster.sh exec "
                f"{args} --distributed-executor-backend ray </dev/null "
                ">~/.spark-control/launch.log 2>&1 &",
            )
        await self.wait_vllm_ready(60)

    async def wait_vllm_ready(self, timeout: float) -> None:
        """Wait until the vLLM port accepts connections."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", self.vllm_port)
            except OSError:
                if loop.time() > deadline:
                    raise TimeoutError(f"vLLM did not come up on port {self.vllm_port}") from None
                await asyncio.sleep(0.1)
                continue
            writer.close()
            await writer.wait_closed()
            return

    def _write_known_hosts(self) -> None:
        lines = [f"[{n.host}]:{n.ssh_port} {n.host_public_key}" for n in self.nodes.values()]
        self.known_hosts_path.write_text("\n".join(lines) + "\n")

    def _reach_hook(self, node: str, reachable: bool) -> None:
        """FaultControl 'unreachable': flip the node's SSH server from the event loop."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        task = loop.create_task(self.nodes[node].set_reachable(reachable))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def watch_reachability(self, stop: asyncio.Event, interval: float = 0.5) -> None:
        """Until `stop`: apply `unreachable` flags set by another process (the fault CLI).

        `python -m spark_sim fault --state-dir DIR unreachable=both` only writes files; the
        process that owns the SSH servers (the standalone simulator, the demo) runs this.
        """
        while not stop.is_set():
            for name, node in self.nodes.items():
                want = not (self.root / name / "unreachable").exists()
                if want != node.listening:
                    await node.set_reachable(want)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval)

    def remove_state(self) -> None:
        """Delete the state dir (after stop)."""
        shutil.rmtree(self.root, ignore_errors=True)
