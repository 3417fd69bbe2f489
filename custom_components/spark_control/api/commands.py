"""Remote command lines built from argument lists: every value validated, then shell-quoted.

Only fixed shell syntax written here (`cd`, `&&`, redirections to fixed paths) is unquoted.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping, Sequence
from typing import NamedTuple

from . import validation
from .exceptions import InvalidInputError
from .models import LaunchMode, ModelSettings, ServiceAction

VLLM_CONTAINER = "vllm_node"
STATE_DIR = ".spark-control"
LAUNCH_LOG = f"{STATE_DIR}/launch.log"
SWAP_STATE = f"{STATE_DIR}/swap.state"
LAUNCHER_EXIT_MARK = "spark-control: launcher exited with status"
FEATURE_PATTERNS: dict[str, str] = {
    "solo": "--solo",
    "daemon_exec": "Command dispatched in background",
    "launch_script": "--launch-script",
    "setup": "--setup",
    "ray_flag": "--ray",
}
GPU_QUERY = [
    "nvidia-smi",
    "--query-gpu=name,utilization.gpu,temperature.gpu,power.draw",
    "--format=csv,noheader,nounits",
]
APPS_QUERY = [
    "nvidia-smi",
    "--query-compute-apps=pid,process_name,used_memory",
    "--format=csv,noheader,nounits",
]
MEMINFO = ["cat", "/proc/meminfo"]


def join(argv: Sequence[str]) -> str:
    """Quote each word; the remote shell sees exactly these arguments."""
    return shlex.join(argv)


def in_checkout(checkout_dir: str, argv: Sequence[str]) -> str:
    """`argv` run inside the spark-vllm-docker checkout (relative to the remote $HOME)."""
    path = validation.relative_path(checkout_dir)
    return f'cd -- "$HOME"/{shlex.quote(path)} && {join(argv)}'


def settings_flags(settings: ModelSettings) -> list[str]:
    """vLLM flags for per-model settings (contract §5)."""
    flags: list[str] = []
    if settings.max_model_len is not None:
        flags += ["--max-model-len", str(validation.max_model_len(settings.max_model_len))]
    if settings.gpu_memory_utilization is not None:
        fraction = validation.gpu_memory_utilization(settings.gpu_memory_utilization)
        flags += ["--gpu-memory-utilization", f"{fraction:.2f}"]
    if settings.fastsafetensors:
        flags += ["--load-format", "fastsafetensors"]
    if settings.prefix_caching is True:
        flags.append("--enable-prefix-caching")
    elif settings.prefix_caching is False:
        flags.append("--no-enable-prefix-caching")
    if settings.fp8_kv_cache:
        flags += ["--kv-cache-dtype", "fp8"]
    if settings.tool_call_parser is not None:
        parser = validation.tool_call_parser(settings.tool_call_parser)
        flags += ["--enable-auto-tool-choice", "--tool-call-parser", parser]
    return flags


def launch_argv(
    repo_id: str,
    settings: ModelSettings,
    *,
    mode: LaunchMode,
    vllm_port: int,
    daemon: bool,
    has_solo: bool,
    solo_ip: str | None = None,
) -> list[str]:
    """`./launch-cluster.sh [opts] exec vllm serve ...`, one word per argument."""
    validation.repo_id(repo_id)
    validation.port(vllm_port, "vllm_port")
    argv = ["./launch-cluster.sh"]
    if mode == "solo":
        if has_solo:
            argv.append("--solo")
        elif solo_ip is not None:
            argv += ["-n", validation.host(solo_ip)]
    if daemon:
        argv.append("-d")
    argv += ["exec", "vllm", "serve", repo_id, "--host", "0.0.0.0", "--port", str(vllm_port)]  # noqa: S104 - vLLM must listen on the LAN
    if mode == "cluster":
        argv += ["-tp", "2"]
        if not daemon:
            argv += ["--distributed-executor-backend", "ray"]
    return argv + settings_flags(settings)


def detached_launch(checkout_dir: str, argv: Sequence[str]) -> str:
    """Old dialect: run the launcher detached (survives an SSH drop), output to a log file."""
    path = validation.relative_path(checkout_dir)
    inner = f'"$@"; echo "{LAUNCHER_EXIT_MARK} $?"'
    return (
        f'mkdir -p -- "$HOME"/{STATE_DIR} && cd -- "$HOME"/{shlex.quote(path)} && '
        f"{{ nohup setsid bash -c {shlex.quote(inner)} spark-control {join(argv)} "
        f'</dev/null >"$HOME"/{LAUNCH_LOG} 2>&1 & }}'
    )


def swap_record(repo_id: str, mode: LaunchMode, *, daemon: bool, since: int) -> str:
    """Write the launch's record on the head (read back by a client re-attaching to it)."""
    validation.repo_id(repo_id)
    if mode not in ("solo", "cluster"):
        raise InvalidInputError("mode", mode, "must be 'solo' or 'cluster'")
    lines = [f"model={repo_id}", f"mode={mode}", f"daemon={int(daemon)}", f"since={int(since)}"]
    quoted = " ".join(shlex.quote(line) for line in lines)
    return (
        f'mkdir -p -- "$HOME"/{STATE_DIR} && '
        f'printf \'%s\\n\' {quoted} "started=$(date +%s)" >"$HOME"/{SWAP_STATE}'
    )


def read_swap_record() -> str:
    """The launch record (empty when there is none)."""
    return f'cat -- "$HOME"/{SWAP_STATE} 2>/dev/null; true'


def close_swap_record(state: str) -> str:
    """Mark the recorded launch as ended (`ready` or `failed`)."""
    if state not in ("ready", "failed"):
        raise InvalidInputError("state", state, "must be 'ready' or 'failed'")
    return f'[ -f "$HOME"/{SWAP_STATE} ] && echo end={state} >>"$HOME"/{SWAP_STATE}; true'


def follow_launch_log(skip_lines: int) -> str:
    """Stream the old dialect's launch log from line `skip_lines + 1`."""
    return f'tail -n +{int(skip_lines) + 1} -F -- "$HOME"/{LAUNCH_LOG} 2>/dev/null'


def follow_docker_logs(since: int) -> str:
    """Stream vLLM's output from the container (new dialect, `-d exec`)."""
    return join(["docker", "logs", "-f", "--since", str(int(since)), VLLM_CONTAINER]) + " 2>&1"


def stop_vllm() -> str:
    """Stop the vLLM container; missing containers are fine."""
    return join(["docker", "stop", VLLM_CONTAINER]) + " >/dev/null 2>&1; true"


def list_containers() -> str:
    """Names of running containers."""
    return join(["docker", "ps", "--format", "{{.Names}}"])


def container_states(containers: Sequence[str]) -> list[str]:
    """One `docker inspect` for several containers: `/<name> <status>` per existing one."""
    names = [validation.container(name) for name in containers]
    return ["docker", "inspect", "-f", "{{.Name}} {{.State.Status}}", *names]


class ProbePart(NamedTuple):
    """One read of a host probe.

    `keep_stderr` merges its error lines into its output; `can_hang` runs it under `timeout`
    (nvidia-smi hangs on a wedged GPU, docker on a stuck daemon; a /proc read cannot).
    """

    argv: Sequence[str]
    keep_stderr: bool = False
    can_hang: bool = True


PROBE_MARK = "@@spark-control-part"
_PART_NAME = re.compile(r"[a-z][a-z_]{0,31}")


def host_probe(parts: Mapping[str, ProbePart], part_timeout: float) -> str:
    """Every part at once, each hang-prone one under its own `timeout`, printed in order.

    One SSH command per host and poll instead of one per figure; the per-part limit keeps a hung
    nvidia-smi (a wedged GPU) or docker from costing the other parts their answers. Each block is
    `PROBE_MARK <name> <exit status>` followed by the part's output. The parts write to files in
    a directory of the login user's own, removed on exit.
    """
    if not parts:
        raise InvalidInputError("parts", "", "a probe needs at least one part")
    limit = f"timeout -k 1 {max(part_timeout, 0.1):g} "
    lines = [
        # The login's private tmpfs if systemd gave it one (RAM: a full disk cannot stop the
        # poll), else our state directory in $HOME (no other user can plant links in either).
        'd="${XDG_RUNTIME_DIR:-}"',
        f'{{ [ -d "$d" ] && [ -w "$d" ]; }} || {{ d="$HOME"/{STATE_DIR}; '
        '[ -d "$d" ] || mkdir -p -- "$d" || exit 1; }',
        't="$d"/probe.$$',
        "trap 'rm -f -- \"$t\".*' EXIT",
    ]
    for index, (name, part) in enumerate(parts.items()):
        if not _PART_NAME.fullmatch(name):
            raise InvalidInputError("part", name, "must be a short lower-case identifier")
        errors = "2>&1" if part.keep_stderr else "2>/dev/null"
        run = (limit if part.can_hang else "") + join(part.argv)
        lines.append(
            f"{{ o=$({run} {errors}); "
            f'printf \'%s %s %s\\n%s\\n\' {PROBE_MARK} {name} "$?" "$o" '
            f'>"$t".{index}; }} &'
        )
    lines.append("wait")
    files = " ".join(f'"$t".{index}' for index in range(len(parts)))
    # POSIX builtins only: the login shell on the Spark need not be bash.
    echo = "printf '%s\\n' \"$l\""
    lines.append(f'for f in {files}; do while IFS= read -r l; do {echo}; done <"$f"; done')
    return "\n".join(lines)


class PartResult(NamedTuple):
    """A probe part's exit status (124/137: it timed out) and output."""

    exit_status: int
    output: str


def parse_probe(stdout: str) -> dict[str, PartResult]:
    """The blocks of a host_probe run; a part missing from the output is missing here."""
    found: dict[str, PartResult] = {}
    name: str | None = None
    status = 0
    body: list[str] = []
    for line in [*stdout.splitlines(), f"{PROBE_MARK} _end 0"]:
        fields = line.split(" ")
        if len(fields) == 3 and fields[0] == PROBE_MARK and fields[2].isdigit():
            if name is not None:
                found[name] = PartResult(status, "\n".join(body).strip("\n"))
            name, status, body = fields[1], int(fields[2]), []
        elif name is not None:
            body.append(line)
    found.pop("_end", None)
    return found


def service_action(container: str, action: ServiceAction) -> str:
    """docker start/stop/restart of a speech container."""
    if action not in ("start", "stop", "restart"):
        raise InvalidInputError("action", action, "must be start, stop or restart")
    return join(["docker", action, validation.container(container)])


CRASH_SEPARATOR = "--- spark-control: container log ---"


def crash_facts(container: str) -> str:
    """A container's `docker inspect` JSON, a separator line, then its last 80 log lines."""
    name = validation.container(container)
    return (
        f"{join(['docker', 'inspect', name])} 2>/dev/null; echo {shlex.quote(CRASH_SEPARATOR)}; "
        f"{join(['docker', 'logs', '--tail', '80', name])} 2>&1"
    )


def checkout_probe(checkout_dir: str) -> str:
    """Commit of the checkout, then which launcher features its script text contains."""
    path = validation.relative_path(checkout_dir)
    greps = " ".join(f"-e {shlex.quote(p)}" for p in FEATURE_PATTERNS.values())
    return (
        f'cd -- "$HOME"/{shlex.quote(path)} && git rev-parse HEAD && '
        f"{{ grep -oF {greps} -- launch-cluster.sh | sort -u; true; }}"
    )


def cx7_ip() -> str:
    """The IPv4 address of the first active ConnectX-7 link (what the launcher calls local IP)."""
    return (
        "ip -4 -o addr show \"$(ibdev2netdev 2>/dev/null | awk '/\\(Up\\)/ {print $5; exit}')\" "
        "2>/dev/null | awk '{print $4}' | cut -d/ -f1 | head -n1"
    )


def remote_now() -> str:
    """The remote clock as Unix seconds (for `docker logs --since`)."""
    return "date +%s"


def hf_download(repo_id: str, target: LaunchMode) -> list[str]:
    """`./hf-download.sh <model> [-c]` — the model name always first (contract §6 trap)."""
    argv = ["./hf-download.sh", validation.repo_id(repo_id)]
    if target == "cluster":
        argv.append("-c")
    return argv


def uvx_download(repo_id: str, revision: str | None, *, dry_run: bool = False) -> list[str]:
    """`uvx hf download <model> [--revision R] [--dry-run]`."""
    argv = ["uvx", "hf", "download", validation.repo_id(repo_id)]
    if revision is not None:
        argv += ["--revision", validation.revision(revision)]
    if dry_run:
        argv.append("--dry-run")
    return argv


def hub_dir() -> str:
    """Shell expression of the Hugging Face hub cache directory."""
    return '"${HF_HOME:-$HOME/.cache/huggingface}"/hub'


def cache_dir_name(repo_id: str) -> str:
    """`models--org--name` for a repo id."""
    org, name = validation.repo_id(repo_id).split("/", 1)
    return f"models--{org}--{name}"


def blob_sizes(repo_id: str) -> str:
    """`<bytes> <name>` per blob of the repo (partial `*.incomplete` files included).

    Apparent sizes (weights may be sparse while hf_xet writes them); the client sums them, as
    no awk is exact for sums beyond 2^31 everywhere (mawk prints `4.35635e+10`).
    """
    blobs = f"{hub_dir()}/{shlex.quote(cache_dir_name(repo_id))}/blobs"
    return f"find -L {blobs} -type f -printf '%s %f\\n' 2>/dev/null; true"


def list_cache() -> str:
    """One line per cached model: `dir snapshots_present incomplete_count`."""
    return (
        f"cd -- {hub_dir()} 2>/dev/null || exit 0; "
        'for d in models--*; do [ -d "$d" ] || continue; '
        's=0; for x in "$d"/snapshots/*; do [ -e "$x" ] && s=1 && break; done; '
        'i=0; for x in "$d"/blobs/*.incomplete; do [ -e "$x" ] && i=$((i+1)); done; '
        'echo "$d $s $i"; done'
    )


def git_check() -> list[list[str]]:
    """The update check, one command per line of output we need."""
    return [
        ["git", "fetch", "--quiet", "origin", "main"],
        ["git", "rev-parse", "--short", "HEAD"],
        ["git", "rev-parse", "--short", "origin/main"],
        ["git", "rev-list", "--count", "HEAD..origin/main"],
        ["git", "log", "--oneline", "--max-count=50", "HEAD..origin/main"],
    ]


def git_pull() -> list[str]:
    """`git pull` (fails on a dirty tree)."""
    return ["git", "pull"]


def build_and_copy() -> list[str]:
    """`./build-and-copy.sh -c` (build or pull the image, copy it to the worker)."""
    return ["./build-and-copy.sh", "-c"]


def machine_id() -> str:
    """The host's machine id."""
    return join(["cat", "/etc/machine-id"])
