"""A diarizer container on a Spark: started, stopped and restarted like Parakeet and Magpie."""

from __future__ import annotations

import shlex
import sys
from typing import Any

import pytest

from custom_components.spark_control.api import InvalidInputError, ServiceConfig
from custom_components.spark_control.api.client import validate_config
from spark_sim.ports import free_ports

from .conftest import ClusterFactory, cluster_config

TOKEN = "diar.token-1"
# A stand-in add-on: /health answers 200 only with the bearer token.
SERVER = """
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        ok = self.path == "/health" and self.headers.get("Authorization") == "Bearer %s"
        self.send_response(200 if ok else 401)
        self.end_headers()
        self.wfile.write(b'{"status": "ok"}' if ok else b"{}")
    def log_message(self, *args):
        pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
"""


async def _diarizer_pair(sim_pair: Any, port: int) -> None:
    script = SERVER % TOKEN
    command = (
        f"printf %s {shlex.quote(script)} > ~/diarizer.py && "
        "docker create --name diarizer --restart unless-stopped vllm-node:latest "
        f'{shlex.quote(sys.executable)} "$HOME/diarizer.py" {port} >/dev/null'
    )
    code, _, err = await sim_pair.run("worker", command)
    assert code == 0, err


def _config(sim_pair: Any, port: int, token: str | None = TOKEN) -> Any:
    return cluster_config(
        sim_pair,
        diarizer=ServiceConfig(
            key="diarizer",
            host="127.0.0.1",
            port=port,
            container="diarizer",
            ssh_node="worker",
            health_path="/health",
            bearer_token=token,
        ),
    )


async def test_diarizer_container_start_stop_restart(
    sim_pair: Any, cluster_factory: ClusterFactory
) -> None:
    """Status shows its container and readiness (probed with the token); docker verbs work."""
    (port,) = free_ports(1)
    await _diarizer_pair(sim_pair, port)
    cluster = await cluster_factory(sim_pair, config=_config(sim_pair, port))
    status = await cluster.status()
    assert status.services["diarizer"].container_state == "created"
    assert status.services["diarizer"].ready is False

    started = await cluster.service_action("diarizer", "start")
    assert started.container_state == "running"
    for _ in range(50):  # the server needs a moment to bind
        status = await cluster.status()
        if status.services["diarizer"].ready:
            break
    assert status.services["diarizer"].ready is True

    restarted = await cluster.service_action("diarizer", "restart")
    assert restarted.container_state == "running"
    stopped = await cluster.service_action("diarizer", "stop")
    assert stopped.container_state == "exited"
    assert (await cluster.status()).services["parakeet"].container_state == "running"


async def test_diarizer_without_the_token_is_not_ready(
    sim_pair: Any, cluster_factory: ClusterFactory
) -> None:
    """The health probe carries the configured token; without it the add-on answers 401."""
    (port,) = free_ports(1)
    await _diarizer_pair(sim_pair, port)
    cluster = await cluster_factory(sim_pair, config=_config(sim_pair, port, token=None))
    await cluster.service_action("diarizer", "start")
    for _ in range(20):
        status = await cluster.status()
        if status.services["diarizer"].container_state == "running":
            break
    assert status.services["diarizer"].ready is not True


@pytest.mark.parametrize("token", ["a b", "tok\r\nX-Evil: 1", "ünï", ""])
def test_hostile_tokens_are_refused(sim_pair: Any, token: str) -> None:
    """A token that could break the header never reaches a request."""
    with pytest.raises(InvalidInputError):
        validate_config(_config(sim_pair, 8010, token=token))
