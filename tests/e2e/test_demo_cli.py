"""`python -m demo` (`make demo`): reaches a live cluster, prints the guide, Ctrl-C cleans up.

The demo runs as a real child process; the discovery JSON is read with curl and the token the demo
wrote, exactly as its guide tells a user to.
"""

from __future__ import annotations

import json
import os
import re
import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from demo.procs import find_marked

REPO = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 420.0
STOP_TIMEOUT_S = 120.0

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


def _read_until(proc: subprocess.Popen[bytes], marker: bytes, timeout_s: float) -> str:
    """Everything the demo printed up to and including `marker` (or its exit / the timeout)."""
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    out = b""
    deadline = time.monotonic() + timeout_s
    while marker not in out and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 1.0)
        if ready:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            out += chunk
    return out.decode(errors="replace")


def _curl_json(url: str, token: str) -> dict[str, object]:
    result = subprocess.run(
        ["curl", "-sS", "--fail-with-body", "-H", f"Authorization: Bearer {token}", url],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return dict(json.loads(result.stdout))


def _run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *argv], cwd=REPO, capture_output=True, text=True, timeout=60, check=False
    )


def _answers(url: str, token: str) -> bool:
    result = subprocess.run(
        ["curl", "-sS", "--fail", "-H", f"Authorization: Bearer {token}", url],
        capture_output=True,
        timeout=30,
        check=False,
    )
    return result.returncode == 0


def _refused(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(2)
        return sock.connect_ex(("127.0.0.1", port)) != 0


def _eventually(check: Callable[[], bool], timeout_s: float = 30) -> bool:
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def test_demo_reaches_live_cluster_and_ctrl_c_leaves_nothing(
    tmp_path: Path, socket_enabled: None
) -> None:
    """Start, read the guide, query discovery like a user, take the Sparks offline, kill and
    restart Home Assistant on the same config (the Sparks stay up), press Ctrl-C, find no
    process left."""
    state = tmp_path / "demo"
    # Keep the demo's nightly swap from firing during the test.
    far_from_now = (datetime.now(UTC) + timedelta(hours=12)).strftime("%H:%M:%S")
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "demo", "--state-dir", str(state), "--port", "0"),
            *("--no-addon", "--keep-sparks", "--nightly-at", far_from_now),
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        guide = _read_until(proc, b"Press Ctrl-C", START_TIMEOUT_S)
        assert "Press Ctrl-C" in guide, guide[-4000:]
        url = re.search(r"Home Assistant : (http://127\.0\.0\.1:\d+)", guide)
        assert url is not None, guide
        assert "demo / demo-password" in guide
        assert f"Control panel  : {url.group(1)}/spark-control" in guide
        # --no-addon: no command that needs the add-on is offered
        assert "python -m relay_lib" not in guide
        assert "not started (--no-addon)" in guide
        token = (state / "token.txt").read_text().strip()
        endpoints = _curl_json(f"{url.group(1)}/api/spark_control/endpoints", token)
        vllm = endpoints["vllm"]
        assert isinstance(vllm, dict)
        assert vllm["ready"] is True
        assert str(vllm["base_url"]).endswith("/v1")
        # The guide's fault commands work against the demo's own pair, both nodes at once.
        ports = [int(p) for p in re.findall(r"ssh\s+127\.0\.0\.1:(\d+)", guide)]
        assert len(ports) == 2, guide
        assert "unreachable=both" in guide
        fault = ("-m", "spark_sim", "fault", "--state-dir", str(state))
        assert _run(*fault, "unreachable=both").returncode == 0
        assert _eventually(lambda: all(_refused(port) for port in ports))
        assert _run(*fault, "--clear", "unreachable").returncode == 0
        assert _eventually(lambda: not any(_refused(port) for port in ports))
        # --keep-sparks: Home Assistant dies, the Sparks stay, HA comes back on its config.
        assert "python -m demo restart-ha" in guide
        assert _run("-m", "demo", "kill-ha", "--state-dir", str(state)).returncode == 0
        died = _read_until(proc, b"restart-ha --state-dir", START_TIMEOUT_S)
        assert "Home Assistant exited" in died, died
        assert not any(_refused(port) for port in ports)
        assert _run("-m", "demo", "restart-ha", "--state-dir", str(state)).returncode == 0
        back = _read_until(proc, b"Home Assistant is back", START_TIMEOUT_S)
        assert "Home Assistant is back" in back, back
        endpoint = f"{url.group(1)}/api/spark_control/endpoints"
        assert _eventually(lambda: _answers(endpoint, token), START_TIMEOUT_S)
        proc.send_signal(signal.SIGINT)
        rest = _read_until(proc, b"nothing left running", STOP_TIMEOUT_S)
        assert proc.wait(timeout=STOP_TIMEOUT_S) == 0
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
    assert "demo: stopped; nothing left running." in rest
    assert "had to kill leftover" not in rest
    assert find_marked([f"SPARK_SIM_ROOT={state / 'sim'}"]) == []
    # No process (HA, its children) still runs with the demo's config dir on its command line.
    needle = str(state).encode()
    leftovers = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if needle in (entry / "cmdline").read_bytes():
                    leftovers.append(int(entry.name))
            except OSError:
                continue
    assert leftovers == []
