"""Command builders: argument lists quoted so real bash sees each value as one literal word."""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path

import pytest

from custom_components.spark_control.api import InvalidInputError, ModelSettings
from custom_components.spark_control.api import commands as c
from custom_components.spark_control.api.download import parse_blob_sizes

from .hostile import HOSTILE, MARKER


def _bash(script: str, home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", script],
        capture_output=True,
        text=True,
        timeout=20,
        env={"HOME": str(home), "PATH": "/usr/bin:/bin"},
        check=False,
    )


@pytest.mark.parametrize("value", HOSTILE)
def test_quoting_keeps_hostile_words_literal_in_real_bash(value: str, tmp_path: Path) -> None:
    """Even past validation, join() hands bash exactly one literal word."""
    marker = Path(MARKER)
    marker.unlink(missing_ok=True)
    if "\x00" in value:
        return  # bash arguments cannot hold NUL; validation refuses it (test_validation)
    result = subprocess.run(
        ["bash", "-c", c.join(["printf", "%s", value])],
        capture_output=True,
        timeout=20,
        env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert result.returncode == 0
    assert result.stdout.decode() == value
    assert not marker.exists()


def test_settings_flags() -> None:
    assert c.settings_flags(ModelSettings()) == []
    flags = c.settings_flags(
        ModelSettings(
            max_model_len=32768,
            gpu_memory_utilization=0.8,
            fastsafetensors=True,
            prefix_caching=True,
            fp8_kv_cache=True,
        )
    )
    assert flags == [
        "--max-model-len",
        "32768",
        "--gpu-memory-utilization",
        "0.80",
        "--load-format",
        "fastsafetensors",
        "--enable-prefix-caching",
        "--kv-cache-dtype",
        "fp8",
    ]
    assert c.settings_flags(ModelSettings(prefix_caching=False)) == ["--no-enable-prefix-caching"]
    with pytest.raises(InvalidInputError):
        c.settings_flags(ModelSettings(gpu_memory_utilization=2.0))
    assert c.settings_flags(ModelSettings(tool_call_parser="hermes")) == [
        "--enable-auto-tool-choice",
        "--tool-call-parser",
        "hermes",
    ]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_tool_call_parser_never_reaches_a_launch(value: str) -> None:
    """Even settings built around the catalog's checks are validated again at launch."""
    with pytest.raises(InvalidInputError):
        c.launch_argv(
            "Org/Model",
            ModelSettings(tool_call_parser=value),
            mode="solo",
            vllm_port=8000,
            daemon=True,
            has_solo=True,
        )


def test_launch_argv_dialects() -> None:
    new_cluster = c.launch_argv(
        "Qwen/Qwen2.5-72B-Instruct",
        ModelSettings(max_model_len=8192),
        mode="cluster",
        vllm_port=8888,
        daemon=True,
        has_solo=True,
    )
    assert new_cluster[:3] == ["./launch-cluster.sh", "-d", "exec"]
    assert "-tp" in new_cluster
    assert "--distributed-executor-backend" not in new_cluster
    old_cluster = c.launch_argv(
        "Qwen/Qwen2.5-72B-Instruct",
        ModelSettings(),
        mode="cluster",
        vllm_port=8888,
        daemon=False,
        has_solo=False,
    )
    assert old_cluster[1] == "exec"
    assert old_cluster[-2:] == ["--distributed-executor-backend", "ray"]
    new_solo = c.launch_argv(
        "a/b", ModelSettings(), mode="solo", vllm_port=8888, daemon=True, has_solo=True
    )
    assert new_solo[:4] == ["./launch-cluster.sh", "--solo", "-d", "exec"]
    old_solo = c.launch_argv(
        "a/b",
        ModelSettings(),
        mode="solo",
        vllm_port=8888,
        daemon=False,
        has_solo=False,
        solo_ip="192.168.177.11",
    )
    assert old_solo[:4] == ["./launch-cluster.sh", "-n", "192.168.177.11", "exec"]
    assert old_solo[old_solo.index("serve") + 1] == "a/b"
    with pytest.raises(InvalidInputError):
        c.launch_argv(
            "a/b;x", ModelSettings(), mode="solo", vllm_port=1, daemon=True, has_solo=True
        )


def test_detached_launch_runs_args_as_words(tmp_path: Path) -> None:
    """The old-dialect wrapper passes every argument through intact and logs the exit."""
    checkout = tmp_path / "spark-vllm-docker"
    checkout.mkdir()
    script = checkout / "launch-cluster.sh"
    script.write_text('#!/bin/bash\nfor a in "$@"; do echo "arg=$a"; done\nexit 3\n')
    script.chmod(0o755)
    argv = ["./launch-cluster.sh", "exec", "vllm", "serve", "a/b", "--max-model-len", "8192"]
    result = _bash(c.detached_launch("spark-vllm-docker", argv) + "; wait", tmp_path)
    assert result.returncode == 0
    log = tmp_path / c.LAUNCH_LOG
    for _ in range(100):
        if c.LAUNCHER_EXIT_MARK in log.read_text():
            break
        subprocess.run(["sleep", "0.05"], check=True)
    text = log.read_text()
    assert "arg=serve\narg=a/b\narg=--max-model-len\narg=8192" in text
    assert f"{c.LAUNCHER_EXIT_MARK} 3" in text
    follow = _bash(c.follow_launch_log(1).replace("-F", ""), tmp_path)
    assert follow.stdout.splitlines()[0] == "arg=vllm"


def test_in_checkout_and_cache_commands(tmp_path: Path) -> None:
    (tmp_path / "co").mkdir()
    assert _bash(c.in_checkout("co", ["pwd"]), tmp_path).stdout.strip() == str(tmp_path / "co")
    hub = tmp_path / ".cache/huggingface/hub"
    done = hub / "models--org--done"
    (done / "snapshots/abc").mkdir(parents=True)
    (done / "blobs").mkdir()
    (done / "blobs/x").write_bytes(b"12345")
    partial = hub / "models--org--partial"
    (partial / "snapshots/abc").mkdir(parents=True)
    (partial / "blobs").mkdir()
    (partial / "blobs/y.incomplete").write_bytes(b"1")
    (hub / "models--org--nosnap/blobs").mkdir(parents=True)
    listing = _bash(c.list_cache(), tmp_path).stdout
    assert "models--org--done 1 0" in listing
    assert "models--org--partial 1 1" in listing
    assert "models--org--nosnap 0 0" in listing
    assert _bash(c.blob_sizes("org/done"), tmp_path).stdout.strip() == "5 x"
    assert _bash(c.blob_sizes("org/missing"), tmp_path).stdout.strip() == ""
    assert _bash(c.list_cache(), tmp_path / "nothing").returncode == 0


def test_blob_sizes_are_exact_beyond_2_31(tmp_path: Path) -> None:
    """Sparse 3 GB + 40 GB blobs and a partial one: the sum is exact (no awk involved)."""
    blobs = tmp_path / ".cache/huggingface/hub/models--org--big/blobs"
    blobs.mkdir(parents=True)
    sizes = {"a": 3 * 2**30, "b": 43_563_500_001, "c.incomplete": 2**31 + 7}
    for name, size in sizes.items():
        with (blobs / name).open("wb") as handle:
            handle.truncate(size)
    complete, partial = parse_blob_sizes(_bash(c.blob_sizes("org/big"), tmp_path).stdout)
    assert complete == 3 * 2**30 + 43_563_500_001
    assert partial == 2**31 + 7


def test_simple_builders() -> None:
    assert c.service_action("parakeet", "restart") == "docker restart parakeet"
    with pytest.raises(InvalidInputError):
        c.service_action("parakeet", "kill")  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError):
        c.container_states(["parakeet", "x;y"])
    assert c.hf_download("a/b", "cluster") == ["./hf-download.sh", "a/b", "-c"]
    assert c.hf_download("a/b", "solo") == ["./hf-download.sh", "a/b"]
    assert c.uvx_download("a/b", "main", dry_run=True)[-3:] == ["--revision", "main", "--dry-run"]
    assert c.cache_dir_name("Org/Name") == "models--Org--Name"
    assert shlex.split(c.follow_docker_logs(12))[:5] == ["docker", "logs", "-f", "--since", "12"]
    assert "git" in c.git_pull()
    assert c.build_and_copy() == ["./build-and-copy.sh", "-c"]
    assert "machine-id" in c.machine_id()
    assert c.remote_now() == "date +%s"
    assert len(c.git_check()) == 5
    with pytest.raises(InvalidInputError):
        c.in_checkout("../x", ["ls"])


PROBE_PARTS = {
    "first": c.ProbePart(["printf", "%s\\n", "a, b", "-e \\n"]),
    "noisy": c.ProbePart(["sh", "-c", "echo out; echo err >&2; exit 3"], keep_stderr=True),
    "quiet": c.ProbePart(["sh", "-c", "echo out; echo err >&2"], can_hang=False),
    "stuck": c.ProbePart(["sleep", "30"]),
}


@pytest.mark.parametrize("runtime_dir", ["unset", "tmpfs", "missing"])
@pytest.mark.parametrize("shell", ["bash", "dash"])
def test_host_probe_runs_parts_at_once_and_bounds_each(
    shell: str, runtime_dir: str, tmp_path: Path
) -> None:
    """Every part answers in its own block; a hung part times out alone (exit 124).

    Its files go to the login's XDG_RUNTIME_DIR when there is one, else to ~/.spark-control,
    and are gone afterwards either way.
    """
    home, runtime = tmp_path / "home", tmp_path / "run"
    home.mkdir()
    env = {"HOME": str(home), "PATH": "/usr/bin:/bin"}
    if runtime_dir == "tmpfs":
        runtime.mkdir()
        env["XDG_RUNTIME_DIR"] = str(runtime)
    elif runtime_dir == "missing":
        env["XDG_RUNTIME_DIR"] = str(runtime)
    result = subprocess.run(
        [shell, "-c", c.host_probe(PROBE_PARTS, part_timeout=0.5)],
        capture_output=True,
        text=True,
        timeout=20,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    found = c.parse_probe(result.stdout)
    assert found == {
        "first": c.PartResult(0, "a, b\n-e \\n"),
        "noisy": c.PartResult(3, "out\nerr"),
        "quiet": c.PartResult(0, "out"),
        "stuck": c.PartResult(124, ""),
    }
    assert list(found) == list(PROBE_PARTS)
    used = runtime if runtime_dir == "tmpfs" else home / c.STATE_DIR
    assert used.is_dir()
    assert list(used.iterdir()) == []  # its files are gone
    assert (home / c.STATE_DIR).exists() is (runtime_dir != "tmpfs")
    assert runtime.exists() is (runtime_dir == "tmpfs")


def test_host_probe_refuses_bad_part_names() -> None:
    with pytest.raises(InvalidInputError):
        c.host_probe({}, 1)
    for name in ("GPU", "a b", "x;y", "", "a" * 40):
        with pytest.raises(InvalidInputError):
            c.host_probe({name: c.ProbePart(["true"])}, 1)


def test_parse_probe_ignores_what_is_not_a_block() -> None:
    text = (
        "motd noise\n"
        f"{c.PROBE_MARK} gpu 0\nrow\n\n"
        f"{c.PROBE_MARK} broken\n"  # not a header: too few fields, so part of gpu's output
        f"{c.PROBE_MARK} memory x\n"  # nor is a non-numeric status
        f"{c.PROBE_MARK} apps 137\n"
    )
    assert c.parse_probe(text) == {
        "gpu": c.PartResult(0, f"row\n\n{c.PROBE_MARK} broken\n{c.PROBE_MARK} memory x"),
        "apps": c.PartResult(137, ""),
    }
    assert c.parse_probe("") == {}
