"""Build one node's sandbox: home, PATH shims, fake container rootfs, wrapper, environment."""

from __future__ import annotations

import os
import shlex
import shutil
import sys
import uuid
from pathlib import Path

from spark_sim.config import CX7_IPS

PACKAGE = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE.parent
HOST_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def node_env(root: Path, node: str, user: str) -> dict[str, str]:
    """The environment every command on `node` runs with (shims first on PATH, real tools after)."""
    home = root / node / "home"
    return {
        "HOME": str(home),
        "USER": user,
        "LOGNAME": user,
        "SHELL": "/bin/bash",
        "PATH": f"{home}/bin:{home}/.local/bin:{HOST_PATH}",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "SPARK_SIM_ROOT": str(root),
        "SPARK_SIM_NODE": node,
        "SPARK_SIM_STATE": str(home / ".sim"),
        "SPARK_SIM_CX7_IP": CX7_IPS[node],
        "SPARK_SIM_PYTHON": sys.executable,
        "PYTHONPATH": str(REPO_ROOT),
        "PYTHONUNBUFFERED": "1",
        "GIT_CONFIG_NOSYSTEM": "1",
    }


WRAPPER = """#!/bin/bash
# Runs "$SSH_ORIGINAL_COMMAND" (or the arguments) in the {node} sandbox exactly as the simulator's
# SSH server does: non-login bash, cwd = sandbox home, env = SimNode.run_env(). Usable as an
# OpenSSH `ForceCommand`.
if [[ -n "${{SSH_ORIGINAL_COMMAND+x}}" ]]; then cmd="$SSH_ORIGINAL_COMMAND"; else cmd="$*"; fi
cd {home} || exit 1
extra=()
[[ ${{TERM@a}} == *x* ]] && extra+=("TERM=$TERM")  # exported only: bash itself sets TERM=dumb
[[ -n "${{SSH_CONNECTION:-}}" ]] && extra+=("SSH_CONNECTION=$SSH_CONNECTION")
if [[ -z "$cmd" ]]; then
  exec env -i {env} "${{extra[@]}}" /bin/bash --noprofile --norc
fi
exec env -i {env} "${{extra[@]}}" /bin/bash --noprofile --norc -c "$cmd"
"""


def mawk_path() -> str:
    """Debian's mawk: a Spark's `awk` (DGX OS is Ubuntu), so the simulator runs it too.

    mawk prints large sums as `4.35635e+10` and clamps `printf "%d"` at 2^31 - 1; a remote
    command that is only right under gawk must fail here as it would on a Spark.
    """
    found = shutil.which("mawk")
    if found is None:
        raise RuntimeError(
            "The Spark simulator needs Debian's mawk (a Spark's awk): apt-get install mawk"
        )
    return found


def build(root: Path, node: str, user: str, settle: float) -> Path:
    """Create the node's sandbox under <root>/<node>/ and return its wrapper path."""
    del settle
    base = root / node
    home = base / "home"
    state = home / ".sim"
    for sub in (
        "bin",
        ".ssh",
        ".cache/huggingface/hub",
        ".cache/vllm",
        ".cache/flashinfer",
        ".triton",
        ".spark-control",
        ".sim/docker",
        ".sim/vllm",
        ".sim/rootfs/usr/local/bin",
        ".sim/rootfs/workspace/vllm",
    ):
        (home / sub).mkdir(parents=True, exist_ok=True)
    for shim in (PACKAGE / "shims").iterdir():
        shutil.copy2(shim, home / "bin" / shim.name)
    awk = home / "bin" / "awk"
    awk.unlink(missing_ok=True)
    awk.symlink_to(mawk_path())
    for tool in ("vllm", "ray"):
        shutil.copy2(PACKAGE / "container_bin" / tool, state / "rootfs/usr/local/bin" / tool)
    shutil.copy2(
        PACKAGE / "container_bin" / "run-cluster-node.sh",
        state / "rootfs/workspace/vllm/run-cluster-node.sh",
    )
    (state / "machine-id").write_text(uuid.uuid4().hex + "\n")
    (home / ".gitconfig").write_text(
        f"[user]\n\tname = {user}\n\temail = {user}@spark-{node}.local\n"
        "[init]\n\tdefaultBranch = main\n[pull]\n\tff = only\n[advice]\n\tdetachedHead = false\n"
    )
    env = " ".join(f"{k}={shlex.quote(v)}" for k, v in node_env(root, node, user).items())
    wrapper = base / "wrapper"
    wrapper.write_text(WRAPPER.format(node=node, home=shlex.quote(str(home)), env=env))
    wrapper.chmod(0o755)
    os.chmod(home / ".ssh", 0o700)
    return wrapper
