"""`nvidia-smi` on a DGX Spark (GB10): memory fields are [N/A]; per-process rows do work."""

from __future__ import annotations

import json
import random
import sys
import time

from tests.spark_sim.tools import simenv
from tests.spark_sim.tools.dockerstate import start_ticks

DRIVER = "580.126.09"
NA_FIELDS = {
    "memory.used",
    "memory.total",
    "memory.free",
    "memory.reserved",
    "power.limit",
    "enforced.power.limit",
    "power.default_limit",
    "fan.speed",
}


def vllm_processes() -> list[dict[str, object]]:
    """Live fake-vLLM processes on this node (from their pid files)."""
    found = []
    folder = simenv.state_dir() / "vllm"
    for path in folder.glob("*.json"):
        try:
            info = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if start_ticks(int(info.get("pid", 0))) is None:  # gone or a zombie
            continue
        found.append(info)
    return found


def gpu_values(loaded: bool) -> dict[str, tuple[str, str]]:
    """field -> (value with units, value without units)."""
    rng = random.Random(int(time.time() * 2))
    util = rng.randint(35, 96) if loaded else rng.randint(0, 3)
    temp = rng.randint(52, 68) if loaded else rng.randint(36, 42)
    power = rng.uniform(28.0, 62.0) if loaded else rng.uniform(3.5, 6.0)
    clock = rng.choice((2405, 2418, 2496)) if loaded else rng.choice((208, 850))
    node = simenv.node()
    return {
        "name": ("NVIDIA GB10", "NVIDIA GB10"),
        "driver_version": (DRIVER, DRIVER),
        "utilization.gpu": (f"{util} %", str(util)),
        "utilization.memory": ("[N/A]", "[N/A]"),
        "temperature.gpu": (str(temp), str(temp)),
        "power.draw": (f"{power:.2f} W", f"{power:.2f}"),
        "clocks.sm": (f"{clock} MHz", str(clock)),
        "clocks.current.sm": (f"{clock} MHz", str(clock)),
        "clocks.max.sm": ("3003 MHz", "3003"),
        "compute_cap": ("12.1", "12.1"),
        "pstate": ("P0" if loaded else "P8", "P0" if loaded else "P8"),
        "index": ("0", "0"),
        "uuid": (f"GPU-{'b7e1' if node == 'head' else 'c3d9'}4a2e-58f1-7c0d-9e36-1f2a3b4c5d6e",)
        * 2,
        "pci.bus_id": ("0000000F:01:00.0", "0000000F:01:00.0"),
        "count": ("1", "1"),
    }


def query_gpu(fields: list[str], header: bool, units: bool) -> int:
    values = gpu_values(bool(vllm_processes()))
    row = []
    for field in fields:
        if field in NA_FIELDS:
            row.append("[N/A]")
        elif field in values:
            row.append(values[field][0 if units else 1])
        else:
            simenv.say(f'Field "{field}" is not a valid field to query.', err=True)
            simenv.say("", err=True)
            return 2
    if header:
        simenv.say(", ".join(fields))
    simenv.say(", ".join(row))
    return 0


def query_apps(fields: list[str], header: bool, units: bool) -> int:
    rows = []
    for info in vllm_processes():
        mem = 90112 if info.get("phase") == "ready" else 41216
        cells = {
            "pid": str(info["pid"]),
            "process_name": "VLLM::EngineCore",
            "used_memory": f"{mem} MiB" if units else str(mem),
            "gpu_name": "NVIDIA GB10",
            "gpu_uuid": gpu_values(True)["uuid"][0],
        }
        rows.append(", ".join(cells.get(f, "[N/A]") for f in fields))
    if header:
        simenv.say(", ".join(f"{f} [MiB]" if f == "used_memory" and units else f for f in fields))
    for row in rows:
        simenv.say(row)
    return 0


def table() -> int:
    loaded = bool(vllm_processes())
    v = gpu_values(loaded)
    stamp = time.strftime("%a %b %d %H:%M:%S %Y")
    lines = [
        stamp,
        "+-----------------------------------------------------------------------------------------+",
        f"| NVIDIA-SMI {DRIVER}             Driver Version: {DRIVER}     CUDA Version: 13.0     |",
        "+-----------------------------------------+------------------------+----------------------+",
        "| GPU  Name                 Persistence-M | Bus-Id          Disp.A | Volatile Uncorr. ECC |",  # noqa: E501
        "| Fan  Temp   Perf          Pwr:Usage/Cap |           Memory-Usage | GPU-Util  Compute M. |",  # noqa: E501
        "|=========================================+========================+======================|",
        "|   0  NVIDIA GB10                    On  |   0000000F:01:00.0 Off |                  N/A |",  # noqa: E501
        f"| N/A   {v['temperature.gpu'][1]}C    {v['pstate'][0]}            {v['power.draw'][1]:>5}W /  N/A  | "  # noqa: E501
        f"       Not Supported   |    {v['utilization.gpu'][1]:>3}%      Default |",
        "+-----------------------------------------+------------------------+----------------------+",
        "",
        "+-----------------------------------------------------------------------------------------+",
        "| Processes:                                                                              |",  # noqa: E501
        "|  GPU   GI   CI              PID   Type   Process name                        GPU Memory |",  # noqa: E501
        "|=========================================================================================|",
    ]
    procs = vllm_processes()
    for info in procs:
        lines.append(
            f"|    0   N/A  N/A         {info['pid']:>8}      C   VLLM::EngineCore"
            f"                          90112MiB |"
        )
    if not procs:
        lines.append(
            "|  No running processes found                                                             |"  # noqa: E501
        )
    lines.append(
        "+-----------------------------------------------------------------------------------------+"
    )
    for line in lines:
        simenv.say(line)
    return 0


def main(argv: list[str]) -> int:
    query: str | None = None
    kind = ""
    header = units = True
    for arg in argv:
        if arg.startswith("--query-gpu="):
            kind, query = "gpu", arg.split("=", 1)[1]
        elif arg.startswith("--query-compute-apps="):
            kind, query = "apps", arg.split("=", 1)[1]
        elif arg.startswith("--format="):
            opts = arg.split("=", 1)[1].split(",")
            header = "noheader" not in opts
            units = "nounits" not in opts
        elif arg in ("-L", "--list-gpus"):
            simenv.say(f"GPU 0: NVIDIA GB10 (UUID: {gpu_values(False)['uuid'][0]})")
            return 0
    if query is None:
        return table()
    fields = [f.strip() for f in query.split(",") if f.strip()]
    return query_gpu(fields, header, units) if kind == "gpu" else query_apps(fields, header, units)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
