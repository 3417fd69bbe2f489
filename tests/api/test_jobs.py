"""Detached jobs (api/jobs.py) run by real bash in a temporary $HOME: start, list, poll, end."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from custom_components.spark_control.api import InvalidInputError
from custom_components.spark_control.api import jobs as j

from .hostile import HOSTILE

JOB = "download-1764412345-abcdef"


def _bash(script: str, home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", script],
        capture_output=True,
        text=True,
        timeout=20,
        env={"HOME": str(home), "PATH": "/usr/bin:/bin"},
        check=False,
    )


def _list(home: Path) -> list[j.JobInfo]:
    return j.parse_jobs(_bash(j.list_command(), home).stdout, "head")


def _wait_state(home: Path, state: j.JobState) -> j.JobInfo:
    deadline = time.monotonic() + 20
    while True:
        found = _list(home)
        if found and found[0].state is state:
            return found[0]
        assert time.monotonic() < deadline, found
        time.sleep(0.05)


def test_a_job_outlives_its_session_and_reports_its_exit(tmp_path: Path) -> None:
    script = "echo one; printf 'two\\rthree\\n'; sleep 0.5; echo 'Error: it broke' >&2; exit 4"
    start = j.start_command(
        JOB, ["bash", "-c", script], {"kind": "download", "repo": "org/m"}, cwd=None
    )
    # the starting shell returns at once although the job runs on
    assert _bash(start, tmp_path).returncode == 0
    running = _list(tmp_path)[0]
    assert running.job_id == JOB and running.kind == "download"
    assert running.meta["repo"] == "org/m" and running.started
    assert running.pid and running.pid > 1
    ended = _wait_state(tmp_path, j.JobState.FAILED)
    assert ended.exit_status == 4
    poll = j.parse_poll(_bash(j.poll_command(JOB, 0), tmp_path).stdout, "head")
    assert poll.job is not None and poll.job.exit_status == 4
    assert poll.log.replace("\r", "\n").startswith("one\ntwo\nthree\n")
    assert "Error: it broke" in poll.log
    # from an offset: only what follows it
    later = j.parse_poll(_bash(j.poll_command(JOB, 4), tmp_path).stdout, "head")
    assert later.log.replace("\r", "\n").startswith("two\nthree")
    assert "Error: it broke" in _bash(j.log_tail_command(JOB), tmp_path).stdout
    _bash(j.forget_command(JOB), tmp_path)
    assert _list(tmp_path) == []


def test_success_sections_and_the_job_cwd(tmp_path: Path) -> None:
    (tmp_path / "co").mkdir()
    start = j.start_command(JOB, ["pwd"], {"kind": "update"}, cwd="co")
    assert _bash(start, tmp_path).returncode == 0
    ended = _wait_state(tmp_path, j.JobState.SUCCEEDED)
    assert ended.exit_status == 0 and ended.log_size == len(str(tmp_path / "co")) + 1
    poll = j.parse_poll(
        _bash(j.poll_command(JOB, 0, {"blobs": "echo 5 x; echo 7 y"}), tmp_path).stdout, "head"
    )
    assert poll.log.strip() == str(tmp_path / "co")
    assert poll.sections == {"blobs": "5 x\n7 y"}


def test_a_missing_directory_fails_at_start(tmp_path: Path) -> None:
    result = _bash(j.start_command(JOB, ["true"], {"kind": "update"}, cwd="nope"), tmp_path)
    assert result.returncode == 3
    assert "~/nope does not exist" in result.stderr
    assert _list(tmp_path) == []


def test_cancel_reaches_the_whole_group(tmp_path: Path) -> None:
    start = j.start_command(JOB, ["bash", "-c", "sleep 60 & sleep 60"], {"kind": "x"}, cwd=None)
    _bash(start, tmp_path)
    running = _list(tmp_path)[0]
    assert running.state is j.JobState.RUNNING
    assert _bash(j.cancel_command(JOB), tmp_path).returncode == 0
    ended = _wait_state(tmp_path, j.JobState.CANCELLED)
    assert ended.exit_status is not None and ended.cancelled
    assert running.pid is not None
    group = subprocess.run(
        ["ps", "-o", "stat=", "-g", str(running.pid)], capture_output=True, text=True, check=False
    )
    assert all(state.startswith("Z") for state in group.stdout.split())  # all ended
    assert _bash(j.cancel_command(JOB), tmp_path).returncode == 0  # ended: no-op


def test_a_killed_job_is_lost(tmp_path: Path) -> None:
    _bash(j.start_command(JOB, ["sleep", "60"], {"kind": "x"}, cwd=None), tmp_path)
    running = _list(tmp_path)[0]
    assert running.pid is not None
    os.killpg(running.pid, signal.SIGKILL)
    lost = _wait_state(tmp_path, j.JobState.LOST)
    assert lost.exit_status is None and not lost.alive


def test_a_job_from_before_a_reboot_is_lost(tmp_path: Path) -> None:
    _bash(j.start_command(JOB, ["sleep", "60"], {"kind": "x"}, cwd=None), tmp_path)
    running = _list(tmp_path)[0]
    meta = tmp_path / j.JOBS_DIR / JOB / "meta"
    meta.write_text(meta.read_text().replace("boot=", "boot=other-"))
    assert _list(tmp_path)[0].state is j.JobState.LOST
    assert running.pid is not None
    os.killpg(running.pid, signal.SIGKILL)


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_values_never_reach_the_shell_unquoted(tmp_path: Path, value: str) -> None:
    if "\n" in value or not value.isascii() or not value.isprintable():
        with pytest.raises(InvalidInputError):
            j.start_command(JOB, ["echo", value], {"kind": value}, cwd=None)
        return
    start = j.start_command(JOB, ["printf", "%s", value], {"repo": value}, cwd=None)
    assert _bash(start, tmp_path).returncode == 0
    ended = _wait_state(tmp_path, j.JobState.SUCCEEDED)
    assert ended.meta["repo"] == value
    poll = j.parse_poll(_bash(j.poll_command(JOB, 0), tmp_path).stdout, "head")
    assert poll.log == value


@pytest.mark.parametrize(
    "bad", ["../x", "download-1-ab", "x; rm -rf ~", "", "DOWNLOAD-1764412345-abcdef"]
)
def test_job_ids_are_checked(bad: str) -> None:
    with pytest.raises(InvalidInputError):
        j.poll_command(bad)
    with pytest.raises(InvalidInputError):
        j.cancel_command(bad)


def test_new_job_ids_are_valid() -> None:
    assert j.check_job_id(j.new_job_id("download")).startswith("download-")
    assert j.new_job_id("update") != j.new_job_id("update")
