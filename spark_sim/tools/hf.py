"""`hf download` (as `uvx hf download` runs it): real HF cache layout, growing *.incomplete blobs.

Weights are sparse files: `stat`/`du --apparent-size`/`du -b` show the declared GB while the disk
holds almost nothing. Progress bars follow huggingface_hub 2.4.0 (`Fetching N files`,
`Reconstructing (incomplete total...)`), `\r`-separated on stderr; the snapshot path goes to stdout.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import sys
import time
from pathlib import Path

from spark_sim.tools import simenv

SHARD_MAX = 5_000_000_000
BYTES_PER_PARAM = (
    ("nvfp4", 0.56),
    ("fp4", 0.56),
    ("awq", 0.6),
    ("gptq", 0.6),
    ("fp8", 1.05),
    ("mxfp4", 0.55),
    ("int4", 0.55),
)
REPO_RE = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


def repo_files(repo: str) -> dict[str, int]:
    """Deterministic files and declared sizes for a repo id (from e.g. `35B` and the quant)."""
    match = re.search(r"(\d+(?:\.\d+)?)B", repo)
    params = float(match.group(1)) if match else 1.0
    scale = next((v for k, v in BYTES_PER_PARAM if k in repo.lower()), 2.0)
    total = int(params * 1e9 * scale)
    shards = max(1, math.ceil(total / SHARD_MAX))
    files = {
        "config.json": 1_843,
        "generation_config.json": 214,
        "tokenizer.json": 11_422_654,
        "tokenizer_config.json": 9_732,
        "model.safetensors.index.json": 61_440 + 40 * shards,
    }
    for i in range(1, shards + 1):
        files[f"model-{i:05d}-of-{shards:05d}.safetensors"] = total // shards
    return files


def commit_of(repo: str) -> str:
    return hashlib.sha1(f"{repo}@main".encode()).hexdigest()  # noqa: S324 - an id, not security


def blob_of(repo: str, name: str) -> str:
    return hashlib.sha256(f"{repo}/{name}".encode()).hexdigest()


def repo_dir(hub: Path, repo: str) -> Path:
    return hub / ("models--" + repo.replace("/", "--"))


def small_content(repo: str, name: str, size: int) -> bytes:
    """Real JSON for the small files (padded to their declared size where that is small)."""
    if name == "config.json":
        text = json.dumps(
            {
                "_name_or_path": repo,
                "architectures": ["Qwen3MoeForCausalLM"],
                "max_position_embeddings": 262144,
                "model_type": "qwen3_moe",
            }
        )
        return text.encode().ljust(size, b" ")
    return b"{}".ljust(min(size, 4096), b" ")


def finish_file(hub: Path, repo: str, name: str, size: int) -> None:
    """Complete one file: blob in place, snapshot symlink, refs/main."""
    base = repo_dir(hub, repo)
    blob = base / "blobs" / blob_of(repo, name)
    partial = blob.with_name(blob.name + ".incomplete")
    if partial.exists():
        partial.replace(blob)
    elif not blob.exists():
        write_blob(blob, repo, name, size)
    snap = base / "snapshots" / commit_of(repo)
    snap.mkdir(parents=True, exist_ok=True)
    link = snap / name
    if not link.is_symlink():
        link.symlink_to(Path("../../blobs") / blob.name)
    (base / "refs").mkdir(exist_ok=True)
    (base / "refs" / "main").write_text(commit_of(repo))


def write_blob(path: Path, repo: str, name: str, size: int) -> None:
    if name.endswith(".safetensors"):
        with path.open("wb") as handle:
            handle.write(b"\x08\x00\x00\x00\x00\x00\x00\x00{}      ")
            handle.truncate(size)
    else:
        with path.open("wb") as handle:  # real JSON head, sparse tail up to the declared size
            handle.write(small_content(repo, name, size))
            handle.truncate(size)


def materialize(hub: Path, repo: str) -> Path:
    """A fully downloaded repo in the cache (used for PairConfig.downloaded_models)."""
    base = repo_dir(hub, repo)
    (base / "blobs").mkdir(parents=True, exist_ok=True)
    for name, size in repo_files(repo).items():
        finish_file(hub, repo, name, size)
    return base / "snapshots" / commit_of(repo)


def fmt_size(num: float) -> str:
    """tqdm's format_sizeof (3 significant digits, SI prefixes)."""
    for unit in ("", "k", "M", "G", "T"):
        if abs(num) < 999.5:
            if abs(num) < 99.95:
                if abs(num) < 9.995:
                    return f"{num:1.2f}{unit}"
                return f"{num:2.1f}{unit}"
            return f"{num:3.0f}{unit}"
        num /= 1000
    return f"{num:3.1f}P"


def bar(frac: float, width: int = 10) -> str:
    blocks = " ▏▎▍▌▋▊▉█"
    filled = frac * width
    full = int(filled)
    part = blocks[int((filled - full) * 8)] if full < width else ""
    return ("█" * full + part).ljust(width)


def clock(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 60:02d}:{seconds % 60:02d}"


def gated_error(repo: str) -> int:
    for line in (
        "Traceback (most recent call last):",
        '  File "/root/.cache/uv/archive-v0/hf/bin/hf", line 10, in <module>',
        "    sys.exit(main())",
        f"huggingface_hub.errors.GatedRepoError: 403 Client Error. (Request ID: Root=1-{os.getpid():08x}-5f3a9c2e1d7b4a6f8e0c2b1a)",  # noqa: E501
        "",
        f"Cannot access gated repo for url https://huggingface.co/{repo}/resolve/main/config.json.",
        f"Access to model {repo} is restricted. You must have access to it and be authenticated to "
        "access it. Please log in.",
    ):
        simenv.say(line, err=True)
    return 1


def download(repo: str, *, dry_run: bool, quiet: bool, hub: Path) -> int:
    files = repo_files(repo)
    base = repo_dir(hub, repo)
    done_names = {n for n in files if (base / "snapshots" / commit_of(repo) / n).exists()}
    if dry_run:
        missing = {n: s for n, s in files.items() if n not in done_names}
        simenv.say(
            f"[dry-run] Will download {len(missing)} files (out of {len(files)}) totalling "
            f"{fmt_size(sum(missing.values()))}B."
        )
        simenv.say("File" + " " * 40 + "Bytes to download")
        for name, size in files.items():
            simenv.say(f"{name:<44}{'-' if name in done_names else fmt_size(size) + 'B'}")
        return 0
    if simenv.fault("gated_download") is not None or "gated" in repo.lower():
        return gated_error(repo)
    (base / "blobs").mkdir(parents=True, exist_ok=True)
    show = not quiet and os.environ.get("HF_HUB_DISABLE_PROGRESS_BARS") != "1"
    seconds = float(simenv.config().get("download_seconds", 2.0))
    todo = [(n, s) for n, s in files.items() if n not in done_names]
    need = sum(s for _, s in todo)
    start = time.monotonic()
    written = 0.0

    def draw(final: bool = False) -> None:
        if not show:
            return
        elapsed = max(time.monotonic() - start, 1e-3)
        nfiles = sum(1 for n, s in todo if (base / "blobs" / blob_of(repo, n)).exists())
        nfiles += len(done_names)
        frac_files = nfiles / len(files)
        frac = written / need if need else 1.0
        rate = written / elapsed
        desc = "Reconstruction complete" if final else "Reconstructing (incomplete total...)"
        text = (
            f"\rFetching {len(files)} files: {frac_files * 100:3.0f}%|{bar(frac_files)}| "
            f"{nfiles}/{len(files)} [{clock(elapsed)}<00:00, {nfiles / elapsed:5.2f}it/s]\n"
            f"\r{desc}: {frac * 100:3.0f}%|{bar(frac)}| {fmt_size(written):>5}B / "
            f"{fmt_size(need):>5}B {fmt_size(rate):>6}B/s\x1b[A"
        )
        if final:
            text += "\n\n"
        try:
            sys.stderr.write(text)
            sys.stderr.flush()
        except BrokenPipeError:
            os._exit(141)

    steps = max(1, int(seconds / 0.1))
    for step in range(1, steps + 1):
        target = need * step / steps
        for name, size in todo:
            blob = base / "blobs" / blob_of(repo, name)
            partial = blob.with_name(blob.name + ".incomplete")
            offset = sum(s for n, s in todo[: [n for n, _ in todo].index(name)])
            have = min(size, max(0.0, target - offset))
            if blob.exists() or have <= 0:
                continue
            if have >= size:
                with partial.open("ab") as handle:
                    handle.truncate(size)
                if name.endswith(".safetensors"):
                    partial.replace(blob)
                else:
                    partial.unlink()
                    write_blob(blob, repo, name, size)
                finish_file(hub, repo, name, size)  # hf links each file as it completes
            else:
                with partial.open("ab") as handle:
                    handle.truncate(int(have))
        written = target
        draw()
        time.sleep(seconds / steps)
    for name, size in files.items():
        finish_file(hub, repo, name, size)
    written = need
    draw(final=True)
    simenv.say(str(base / "snapshots" / commit_of(repo)))
    return 0


def main(argv: list[str]) -> int:
    if not argv or argv[0] != "download":
        simenv.say(
            "Usage: hf download REPO_ID [FILENAMES]... [--revision R] [--dry-run] [--quiet]",
            err=True,
        )
        return 2
    repo = ""
    dry_run = quiet = False
    hub = Path(os.environ.get("HF_HOME", str(Path.home() / ".cache" / "huggingface"))) / "hub"
    rest = argv[1:]
    i = 0
    while i < len(rest):
        arg = rest[i]
        if arg == "--dry-run":
            dry_run = True
        elif arg in ("--quiet", "-q"):
            quiet = True
        elif arg == "--cache-dir":
            hub = Path(rest[i + 1])
            i += 1
        elif arg in (
            "--revision",
            "--token",
            "--repo-type",
            "--include",
            "--exclude",
            "--local-dir",
            "--max-workers",
        ):
            i += 1
        elif not arg.startswith("-") and not repo:
            repo = arg
        i += 1
    if not REPO_RE.match(repo):
        simenv.say(
            f"huggingface_hub.errors.HFValidationError: Repo id must be in the form "
            f"'repo_name' or 'namespace/repo_name': '{repo}'.",
            err=True,
        )
        return 1
    return download(repo, dry_run=dry_run, quiet=quiet, hub=hub)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
