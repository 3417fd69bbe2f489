"""The spark-vllm-docker checkout: a real git clone of a local bare upstream N commits ahead."""

from __future__ import annotations

import asyncio
from pathlib import Path

from spark_sim.config import PairConfig
from spark_sim.sandbox import PACKAGE

UPSTREAM_MESSAGES = (
    "Add --gpu-mem and --max-model-len overrides to run-recipe.sh",
    "Fix autodiscovery when the CX7 link reports a link-local address first",
    "Bump prebuilt vLLM wheels to 0.11.2",
    "README: note that fastsafetensors needs free RAM above the weights size",
    "hf-download.sh: honour HF_HOME on the copy target",
    "Add drop-caches mod for GB10 page-cache pressure",
    "launch-cluster.sh: print the container name in daemon mode",
    "build-and-copy.sh: skip hosts whose image ID already matches",
    "Add recipe for Qwen3-Next-80B-A3B NVFP4",
    "Document the --master-port option",
)
README = """# spark-vllm-docker

Docker configuration for running vLLM on a cluster of DGX Spark machines (simulated checkout).

## Quick Start

```bash
git clone https://github.com/eugr/spark-vllm-docker.git
cd spark-vllm-docker
./build-and-copy.sh -c
./launch-cluster.sh exec vllm serve Qwen/Qwen3-8B --port 8888 --host 0.0.0.0 -tp 2
```

## Changelog
"""
DATES = {"jan2026": "2026-01-28T10:00:00+00:00", "aug2026": "2026-08-14T10:00:00+00:00"}


async def git(*args: str, cwd: Path, env: dict[str, str]) -> str:
    """Run git; raise with its stderr on failure."""
    proc = await asyncio.create_subprocess_exec(
        "git",
        *args,
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    if proc.returncode:
        raise RuntimeError(f"git {' '.join(args)} failed: {err.decode()}")
    return out.decode()


def render_scripts(config: PairConfig) -> dict[str, str]:
    """The dialect's scripts with the pair's timing knobs filled in."""
    files = {}
    for script in sorted((PACKAGE / "scripts" / config.dialect).iterdir()):
        text = script.read_text()
        text = text.replace("@@SETTLE@@", f"{config.launcher_settle_seconds:g}")
        text = text.replace("@@BUILD_SECONDS@@", f"{config.build_seconds:g}")
        files[script.name] = text
    files["README.md"] = README
    files[".gitignore"] = ".env\nmods/pr-*\n"
    files["Dockerfile"] = "FROM nvcr.io/nvidia/pytorch:26.01-py3\nWORKDIR /workspace/vllm\n"
    return files


async def build_checkout(
    root: Path, head_home: Path, config: PairConfig, env: dict[str, str]
) -> None:
    """Bare upstream + first commit, clone to ~/spark-vllm-docker, then N more commits."""
    upstream = root / "upstream" / "spark-vllm-docker.git"
    work = root / "upstream" / "work"
    upstream.parent.mkdir(parents=True, exist_ok=True)
    genv = dict(env)
    genv.update(
        GIT_AUTHOR_NAME="Eugene Rakhmatulin",
        GIT_AUTHOR_EMAIL="eugr@users.noreply.github.com",
        GIT_COMMITTER_NAME="Eugene Rakhmatulin",
        GIT_COMMITTER_EMAIL="eugr@users.noreply.github.com",
    )
    await git("init", "--quiet", "--bare", "-b", "main", str(upstream), cwd=root, env=genv)
    await git("init", "--quiet", "-b", "main", str(work), cwd=root, env=genv)
    for name, text in render_scripts(config).items():
        path = work / name
        path.write_text(text)
        if name.endswith(".sh"):
            path.chmod(0o755)
    base = DATES[config.dialect]
    genv.update(GIT_AUTHOR_DATE=base, GIT_COMMITTER_DATE=base)
    await git("add", "-A", cwd=work, env=genv)
    await git("commit", "--quiet", "-m", "Merge upstream changes", cwd=work, env=genv)
    await git("remote", "add", "origin", str(upstream), cwd=work, env=genv)
    await git("push", "--quiet", "origin", "main", cwd=work, env=genv)
    await git(
        "clone", "--quiet", str(upstream), str(head_home / "spark-vllm-docker"), cwd=root, env=genv
    )
    readme = work / "README.md"
    for i in range(config.behind_count):
        message = UPSTREAM_MESSAGES[i % len(UPSTREAM_MESSAGES)]
        stamp = base.replace("T10:", f"T{11 + i % 12:02d}:")
        genv.update(GIT_AUTHOR_DATE=stamp, GIT_COMMITTER_DATE=stamp)
        readme.write_text(readme.read_text() + f"- {message}\n")
        await git("commit", "--quiet", "-am", message, cwd=work, env=genv)
    if config.behind_count:
        await git("push", "--quiet", "origin", "main", cwd=work, env=genv)
