"""Parsers of real command and HTTP output shapes (contract §3, §4, §6, §9)."""

from __future__ import annotations

import pytest

from custom_components.spark_control.api import LoadFailure
from custom_components.spark_control.api import parsers as p

MEMINFO = "MemTotal:       131334144 kB\nMemFree:         1000 kB\nMemAvailable:   100000000 kB\n"


def test_gpu_na_is_unknown_never_zero() -> None:
    gpu = p.parse_gpu("NVIDIA GB10, [N/A], 39, 3.74\n", "6330, VLLM::EngineCore, 96073\n1, x, 7\n")
    assert gpu is not None
    assert gpu.name == "NVIDIA GB10"
    assert gpu.utilization_pct is None
    assert gpu.temperature_c == 39
    assert gpu.power_w == 3.74
    assert gpu.process_memory_mib == 96080
    gpu = p.parse_gpu("NVIDIA GB10, 12, [N/A], Not Supported", "")
    assert gpu is not None
    assert gpu.temperature_c is None
    assert gpu.power_w is None
    assert gpu.process_memory_mib == 0
    assert p.parse_gpu("garbage", None) is None
    assert p.parse_gpu("NVIDIA GB10, 1, 2, 3 W", None).process_memory_mib is None  # type: ignore[union-attr]
    assert p.parse_process_memory("1, x, [N/A]") is None


def test_meminfo() -> None:
    mem = p.parse_meminfo(MEMINFO)
    assert mem is not None
    assert mem.total_bytes == 131334144 * 1024
    assert mem.used_bytes == (131334144 - 100000000) * 1024
    assert p.parse_meminfo("MemTotal: 5 kB") is None


@pytest.mark.parametrize("kv_name", ["vllm:kv_cache_usage_perc", "vllm:gpu_cache_usage_perc"])
def test_prometheus_metrics(kv_name: str) -> None:
    text = (
        "# HELP vllm:num_requests_running x\n# TYPE vllm:num_requests_running gauge\n"
        'vllm:num_requests_running{engine="0",model_name="a/b"} 2.0\n'
        'vllm:num_requests_waiting{engine="0",model_name="a/b"} 1.0\n'
        f'{kv_name}{{engine="0",model_name="a/b"}} 0.25\n'
        'vllm:generation_tokens_total{engine="0",model_name="a/b"} 1234.0\n'
        "bad line\nvllm:weird NaNx\n"
    )
    metrics = p.vllm_metrics(text)
    assert metrics.running == 2
    assert metrics.waiting == 1
    assert metrics.kv_cache_usage == 0.25
    assert metrics.generation_tokens == 1234.0
    empty = p.vllm_metrics("")
    assert empty.running is None
    assert empty.kv_cache_usage is None


@pytest.mark.parametrize(
    ("line", "done", "total"),
    [
        (
            "Downloading (incomplete total...):  37%|███▋      | 1.85G/4.98G "
            "[00:25<00:42, 74.1MB/s]",
            1_850_000_000,
            4_980_000_000,
        ),
        (
            "Reconstructing (incomplete total...): 37%|███▋ | 1.85GB / 4.98GB 74.1MB/s",
            1_850_000_000,
            4_980_000_000,
        ),
        (
            "model-00001-of-00004.safetensors:  50%|█████     | 512M/1.02G [00:05<00:05, 100MB/s]",
            512_000_000,
            1_020_000_000,
        ),
        (
            "Download complete: 100%|██████████| 4.98G/4.98G [01:07<00:00]",
            4_980_000_000,
            4_980_000_000,
        ),
    ],
)
def test_tqdm_byte_bars(line: str, done: int, total: int) -> None:
    bar = p.parse_tqdm(line)
    assert bar is not None
    assert bar.done == done
    assert bar.total == total


def test_tqdm_ignores_other_bars() -> None:
    assert p.parse_tqdm("Fetching 17 files:  41%|████      | 7/17 [00:12<00:17, ...]") is None
    assert p.parse_tqdm("Downloading bytes: |███| 1.85GB 74.1MB/s") is None
    assert p.parse_size("12,345") == 12345
    assert p.parse_size("1.5Gi") == int(1.5 * 1024**3)
    assert p.parse_size("nope") is None
    assert p.parse_size("1.2.3") is None


def test_dry_run_total() -> None:
    text = "[dry-run] Will download 17 files (out of 20) totalling 4.98G.\n"
    assert p.parse_dry_run_total(text) == 4_980_000_000
    assert p.parse_dry_run_total("nothing") is None


@pytest.mark.parametrize(
    ("line", "failure"),
    [
        (
            "(EngineCore_DP0 pid=7) ValueError: Free memory on device (100.1/119.7 GiB) on startup "
            "is less than desired GPU memory utilization (0.9, 107.7 GiB).",
            LoadFailure.FREE_MEMORY,
        ),
        (
            "ValueError: No available memory for the cache blocks. "
            "Try increasing `gpu_memory_utilization`.",
            LoadFailure.NO_CACHE_BLOCKS,
        ),
        (
            "ValueError: To serve at least one request with the models's max seq len "
            "(262144), (24.0 GiB KV cache is needed, which is larger than the available "
            "KV cache memory (8.3 GiB).",
            LoadFailure.KV_CACHE,
        ),
        (
            "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB",
            LoadFailure.CUDA_OOM,
        ),
        (
            "RuntimeError: CUDA error: an illegal memory access was encountered",
            LoadFailure.CUDA_ERROR,
        ),
        ("OSError: [Errno 98] Address already in use", LoadFailure.PORT_IN_USE),
        (
            "RuntimeError: Engine core initialization failed. See root cause above. Failed core "
            "proc(s): {}",
            LoadFailure.ENGINE_CORE,
        ),
        ("Error: No active IB interfaces found.", LoadFailure.LAUNCHER),
        ("Timeout waiting for cluster to start.", LoadFailure.LAUNCHER),
        (
            "(APIServer pid=1) INFO 11-24 01:02:03 [api_server.py:1] vLLM API server version 0.11",
            None,
        ),
        ("bash: no job control in this shell", None),
    ],
)
def test_failure_patterns(line: str, failure: LoadFailure | None) -> None:
    assert p.classify_failure(line) is failure


def test_log_helpers() -> None:
    line = (
        "(APIServer pid=1) INFO 11-24 01:02:03 [weight_utils.py:1] Loading safetensors "
        "checkpoint shards:  50% Completed | 2/4 [00:01<00:01]"
    )
    assert p.shard_percent(line) == 50.0
    assert p.shard_percent("Loading safetensors checkpoint shards: 0% Completed | 0/0") == 0.0
    assert p.shard_percent("nothing") is None
    assert p.is_ready_line("(APIServer pid=1) INFO:     Application startup complete.")
    assert p.strip_log_prefix("(APIServer pid=1) INFO 11-24 01:02:03 [x.py:2] hello") == "hello"
    assert p.split_lines("a\rb\n\nc\r\n") == ["a", "b", "c"]


def test_container_states_from_one_inspect() -> None:
    names = ["parakeet", "magpie", "other"]
    output = "/parakeet running\nError: No such object: magpie\n"
    assert p.parse_container_states(output, names) == {
        "parakeet": "running",
        "magpie": "missing",
        "other": None,  # docker said nothing about it: unknown, not missing
    }
    daemon_down = "Cannot connect to the Docker daemon at unix:///var/run/docker.sock."
    assert p.parse_container_states(daemon_down, ["parakeet"]) == {"parakeet": None}
    newer = "Error response from daemon: No such container: parakeet"
    assert p.parse_container_states(newer, ["parakeet"]) == {"parakeet": "missing"}
    assert p.parse_container_states("/someone-else exited", ["parakeet"]) == {"parakeet": None}
