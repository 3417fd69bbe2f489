"""The whole product wired together: simulated Sparks, diarizer add-on, Home Assistant.

Used by `python -m demo` and by tests/e2e, so both run exactly the same system.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self, TypeVar

import aiohttp

from demo.addon import AddonProcess
from demo.catalog import INITIAL_MODEL, SECOND_MODEL
from demo.flow import add_cluster, create_pipeline
from demo.haclient import HAClient
from demo.hass import REPO_ROOT, HomeAssistantProcess, Owner, install_rest_token, write_config
from demo.ports import free_ports
from demo.procs import MARKER_VAR, find_marked, kill_pids
from spark_sim import PairConfig, SimPair

ADDON_PYTHON = REPO_ROOT / ".venv" / "addon" / "bin" / "python"

T = TypeVar("T")


def running(value: T | None, what: str) -> T:
    """`value`, or a clear error when that part of the stack is not up."""
    if value is None:
        raise RuntimeError(f"{what} is not running")
    return value


@dataclass
class StackOptions:
    """What differs between the demo (realistic pace) and the e2e test (fast)."""

    state_dir: Path
    ha_port: int | None = None
    vllm_load_seconds: float = 8.0
    download_seconds: float = 6.0
    with_addon: bool = True
    keep_sparks: bool = False  # the Sparks stay up when Home Assistant dies
    owner: Owner = field(default_factory=Owner)
    # When the time-of-day blueprint's automation fires (HH:MM:SS, HA's time zone is UTC).
    nightly_at: str = "03:00:00"


class Stack:
    """Start, use and stop every process of the demo; `stop()` leaves nothing running."""

    def __init__(self, options: StackOptions) -> None:
        self.options = options
        self.state_dir = options.state_dir.resolve()
        self.marker = uuid.uuid4().hex
        self.pair: SimPair | None = None
        self.addon: AddonProcess | None = None
        self.hass: HomeAssistantProcess | None = None
        self.session: aiohttp.ClientSession | None = None
        self.client: HAClient | None = None
        self.rest_token: str | None = None
        self.entry_id: str | None = None
        self.leftovers: list[int] = []

    @property
    def logs(self) -> Path:
        """Where every child's log goes."""
        return self.state_dir / "logs"

    @property
    def config_dir(self) -> Path:
        """Home Assistant's config dir."""
        return self.state_dir / "ha-config"

    def _child_env(self) -> dict[str, str]:
        env = dict(os.environ)
        env[MARKER_VAR] = self.marker
        env.setdefault("PYTHONUNBUFFERED", "1")
        return env

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # start ------------------------------------------------------------------------------
    async def start(self) -> None:
        """Sparks, add-on and HA up, owner onboarded, REST sensor holding a long-lived token."""
        options = self.options
        await asyncio.to_thread(shutil.rmtree, self.state_dir, True)
        self.logs.mkdir(parents=True)
        self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        try:
            await self._start_all(options)
        except BaseException:
            await self.stop()
            raise

    async def _start_all(self, options: StackOptions) -> None:
        session = running(self.session, "the HTTP session")
        port = options.ha_port or free_ports(1)[0]
        await asyncio.to_thread(write_config, self.config_dir, port, options.nightly_at)
        await self._start_hass(port)
        if options.with_addon:
            self.addon = AddonProcess(ADDON_PYTHON, free_ports(1)[0], self.logs)
            await self.addon.process.start(self._child_env(), REPO_ROOT)
        config = PairConfig(
            vllm_load_seconds=options.vllm_load_seconds,
            download_seconds=options.download_seconds,
            initial_model=INITIAL_MODEL,
            downloaded_models=(INITIAL_MODEL, SECOND_MODEL),
        )
        self.pair = SimPair(self.state_dir / "sim", config)
        await self.pair.start()
        hass = running(self.hass, "Home Assistant")
        self.client = HAClient(session, hass.url)
        await hass.wait_ready(self.client)
        owner = options.owner
        await self.client.onboard_owner(owner.name, owner.username, owner.password)
        self.rest_token = await self.client.long_lived_token("REST sensor")
        await asyncio.to_thread(install_rest_token, self.config_dir, self.rest_token)
        await self.client.call_service("rest", "reload", {})

    @property
    def hass_pid_file(self) -> Path:
        """Where the running Home Assistant's pid is written (for `python -m demo kill-ha`)."""
        return self.state_dir / "hass.pid"

    async def _start_hass(self, port: int) -> None:
        self.hass = HomeAssistantProcess(self.config_dir, port, Path(sys.executable), self.logs)
        await self.hass.process.start(self._child_env(), REPO_ROOT)
        await asyncio.to_thread(self.hass_pid_file.write_text, f"{self.hass.process.pid}\n")

    def hass_exit_status(self) -> int | None:
        """Home Assistant's exit status once it has died, else None."""
        return self.hass.process.returncode if self.hass is not None else None

    async def restart_hass(self) -> None:
        """Start Home Assistant again on the same config dir and port (after it died)."""
        old = running(self.hass, "Home Assistant")
        await old.process.stop()
        await self._start_hass(old.port)
        await running(self.hass, "Home Assistant").wait_ready(running(self.client, "HA client"))

    async def wait_addon(self) -> None:
        """Until the add-on answers /health (its worker loads models while HA starts)."""
        if self.addon is not None:
            await self.addon.wait_ready(running(self.session, "the HTTP session"))

    # the integration ----------------------------------------------------------------------
    def flow_address(self) -> dict[str, Any]:
        """The user step's fields for the simulated pair."""
        pair = running(self.pair, "the simulated pair")
        return {
            "head_host": pair.head.host,
            "worker_host": pair.worker.host,
            "ssh_port": pair.head.ssh_port,
            "worker_ssh_port": pair.worker.ssh_port,
            "username": pair.user,
            "vllm_port": pair.vllm_port,
        }

    def flow_services(self) -> dict[str, Any]:
        """The services step's fields."""
        pair = running(self.pair, "the simulated pair")
        services: dict[str, Any] = {
            "parakeet_node": pair.config.parakeet_node,
            "parakeet_port": pair.parakeet_port,
            "parakeet_container": pair.config.parakeet_container,
            "magpie_node": pair.config.magpie_node,
            "magpie_port": pair.magpie_port,
            "magpie_container": pair.config.magpie_container,
            "tts_flavour": "nim",
        }
        if self.addon is not None:
            services["addon_url"] = self.addon.url
        return services

    def fingerprints(self) -> dict[str, str]:
        """Host key fingerprints as `ssh-keygen -lf` prints them on each Spark."""
        pair = running(self.pair, "the simulated pair")
        return {name: node.host_key_fingerprint for name, node in pair.nodes.items()}

    def authorize(self, public_key_line: str) -> None:
        """Append HA's public key to authorized_keys on both simulated Sparks."""
        running(self.pair, "the simulated pair").authorize_key(public_key_line)

    async def add_integration(self) -> str:
        """Run the config flow over REST; returns the entry id."""
        result = await add_cluster(
            running(self.client, "Home Assistant"),
            self.flow_address(),
            self.flow_services(),
            self.authorize,
            self.fingerprints(),
        )
        self.entry_id = str(result["result"]["entry_id"])
        return self.entry_id

    async def create_pipeline(self) -> None:
        """The "Spark Control" Assist pipeline, through the options flow as a user would."""
        if self.entry_id is None:
            raise RuntimeError("add the integration first")
        await create_pipeline(running(self.client, "Home Assistant"), self.entry_id)

    async def entity_ids(self) -> dict[str, str]:
        """unique_id suffix (e.g. `vllm_model`) → entity_id, from the entity registry."""
        client = running(self.client, "Home Assistant")
        entries = await client.ws_command({"type": "config/entity_registry/list"})
        return {
            entry["unique_id"]: entry["entity_id"]
            for entry in entries
            if entry.get("platform") == "spark_control"
        }

    async def wait_loaded(self, timeout_s: float = 180.0) -> None:
        """Until the entry is loaded and the model select has a value."""
        client = running(self.client, "Home Assistant")
        async with asyncio.timeout(timeout_s):
            while True:
                self.check_alive()
                entries = await client.get("/api/config/config_entries/entry")
                states = [e["state"] for e in entries if e["domain"] == "spark_control"]
                if states and states[0] == "loaded":
                    return
                await asyncio.sleep(1)

    def check_alive(self, *, hass: bool = True) -> None:
        """Raise if a child process died (Home Assistant only when `hass`)."""
        for child in (self.hass if hass else None, self.addon):
            if child is not None:
                child.process.check_alive()

    # stop -------------------------------------------------------------------------------
    async def stop(self) -> None:
        """HA first (it holds SSH sessions), then add-on and Sparks; sweep any leftover process."""
        if self.hass is not None:
            await self.hass.process.stop()
        if self.addon is not None:
            await self.addon.process.stop()
        if self.pair is not None:
            await self.pair.stop()
        if self.session is not None:
            await self.session.close()
            self.session = None
        needles = [f"{MARKER_VAR}={self.marker}", f"SPARK_SIM_ROOT={self.state_dir / 'sim'}"]
        for _ in range(20):
            self.leftovers = find_marked(needles)
            if not self.leftovers:
                break
            await asyncio.sleep(0.25)
        if self.leftovers:
            kill_pids(self.leftovers)
