"""Run a simulated pair in the foreground, or inject faults into a running one.

`python -m spark_sim --state-dir DIR` (what `make demo` runs);
`python -m spark_sim fault --state-dir DIR NAME[=VALUE]` (or `--clear [NAME]`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import signal
import sys
from pathlib import Path

from spark_sim import procs
from spark_sim.config import DIALECTS, PairConfig
from spark_sim.faults import FAULT_NAMES, FaultControl

DEMO_MODEL = "RedHatAI/Qwen3.6-35B-A3B-NVFP4"


def run_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m spark_sim", description=__doc__)
    parser.add_argument(
        "--state-dir", type=Path, required=True, help="where sim.json and the sandboxes go"
    )
    parser.add_argument("--dialect", choices=DIALECTS, default="aug2026")
    parser.add_argument("--load-seconds", type=float, default=15.0, help="vLLM load time")
    parser.add_argument("--service-load-seconds", type=float, default=3.0)
    parser.add_argument("--log-interval", type=float, default=10.0)
    parser.add_argument("--user", default="spark")
    parser.add_argument("--behind", type=int, default=3, help="commits the checkout is behind")
    parser.add_argument(
        "--initial-model", default=DEMO_MODEL, help="model loaded at start ('' for none)"
    )
    parser.add_argument("--download-seconds", type=float, default=8.0)
    return parser


def fault_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m spark_sim fault")
    parser.add_argument("--state-dir", type=Path, required=True)
    parser.add_argument("--clear", action="store_true", help="clear the named fault (or all)")
    parser.add_argument(
        "fault", nargs="?", help=f"NAME[=VALUE], NAME one of: {', '.join(FAULT_NAMES)}"
    )
    return parser


def sim_root(state_dir: Path) -> Path:
    """The pair's own dir inside the state dir (sim.json points at it)."""
    info = state_dir / "sim.json"
    if info.exists():
        return Path(json.loads(info.read_text())["state_dir"])
    return (state_dir / "sim").resolve()


def fault_main(argv: list[str]) -> int:
    args = fault_parser().parse_args(argv)
    control = FaultControl(sim_root(args.state_dir))
    name, _, value = (args.fault or "").partition("=")
    try:
        if args.clear:
            control.clear(name or None)
        elif not name:
            print(json.dumps(control.active()))
            return 0
        else:
            control.set(name, value if value else True)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(json.dumps(control.active()))
    return 0


def describe(pair_info: dict[str, object], state_dir: Path) -> str:
    info = pair_info
    nodes = info["nodes"]
    assert isinstance(nodes, dict)
    key, known = info["client_key_path"], info["known_hosts"]
    lines = [
        f"Simulated DGX Spark pair ({info['dialect']} scripts) is up. State: {info['state_dir']}",
        "",
    ]
    for name, node in nodes.items():
        lines.append(
            f"  {name:<7} ssh {node['user']}@{node['host']} -p {node['ssh_port']}  "
            f"host key {node['host_key_fingerprint']}"
        )
    lines += [
        f"  key     {key}",
        f"  vLLM     {info['vllm_url']}   Parakeet {info['parakeet_url']}   Magpie {info['magpie_url']}",  # noqa: E501
        f"  info    {state_dir / 'sim.json'}",
        "",
        "Try:",
        f"  ssh -i {key} -o UserKnownHostsFile={known} -p {nodes['head']['ssh_port']} "
        f"{info['user']}@127.0.0.1 'cd spark-vllm-docker && ./launch-cluster.sh stop && "
        f"./launch-cluster.sh -d exec vllm serve org/model --port {info['vllm_port']}'",
        f"  curl http://127.0.0.1:{info['vllm_port']}/v1/models",
        f"  python -m spark_sim fault --state-dir {state_dir} engine_death",
        "",
        "Ctrl-C stops everything.",
    ]
    return "\n".join(lines)


async def run_main(argv: list[str]) -> int:
    args = run_parser().parse_args(argv)
    from spark_sim.pair import SimPair

    state_dir = args.state_dir.resolve()
    root = state_dir / "sim"
    if root.exists():  # a previous run that did not stop cleanly
        procs.kill_all(root)
        shutil.rmtree(root)
    state_dir.mkdir(parents=True, exist_ok=True)
    config = PairConfig(
        dialect=args.dialect,
        user=args.user,
        vllm_load_seconds=args.load_seconds,
        service_load_seconds=args.service_load_seconds,
        vllm_log_interval=args.log_interval,
        behind_count=args.behind,
        initial_model=args.initial_model or None,
        download_seconds=args.download_seconds,
        launcher_settle_seconds=2.0,
        build_seconds=5.0,
    )
    pair = SimPair(root, config)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await pair.start()
        info = pair.info()
        (state_dir / "sim.json").write_text(json.dumps(info, indent=1))
        print(describe(info, state_dir), flush=True)
        await pair.watch_reachability(stop)
    finally:
        print("Stopping the simulated pair...", flush=True)
        await pair.stop()
    print("Stopped.", flush=True)
    return 0


def main(argv: list[str]) -> int:
    if argv[:1] == ["fault"]:
        return fault_main(argv[1:])
    return asyncio.run(run_main(argv))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
