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
import subprocess
import sys
import time
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


def test_demo_reaches_live_cluster_and_ctrl_c_leaves_nothing(tmp_path: Path) -> None:
    """Start, read the guide, query discovery like a user, press Ctrl-C, find no process left."""
    state = tmp_path / "demo"
    # Keep the demo's nightly swap from firing during the test.
    far_from_now = (datetime.now(UTC) + timedelta(hours=12)).strftime("%H:%M:%S")
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "demo", "--state-dir", str(state), "--port", "0"),
            *("--no-addon", "--nightly-at", far_from_now),
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
        assert "python -m relay_lib" in guide
        token = (state / "token.txt").read_text().strip()
        endpoints = _curl_json(f"{url.group(1)}/api/spark_control/endpoints", token)
        vllm = endpoints["vllm"]
        assert isinstance(vllm, dict)
        assert vllm["ready"] is True
        assert str(vllm["base_url"]).endswith("/v1")
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
