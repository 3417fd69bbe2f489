"""hf download / hf-download.sh, the git checkout (behind, dirty tree) and build-and-copy.sh."""

from __future__ import annotations

import asyncio

import pytest

from spark_sim.config import PairConfig
from spark_sim.fixtures import PairFactory
from spark_sim.pair import SimPair
from spark_sim.tools.hf import commit_of, repo_files
from tests.sim.conftest import run, ssh


async def test_hf_download_progress_cache_layout_and_gated(sim_pair_factory: PairFactory) -> None:
    pair = await sim_pair_factory(PairConfig(download_seconds=2.5))
    repo = "org/Tiny-2B-FP8"
    blobs = pair.head.home / ".cache/huggingface/hub/models--org--Tiny-2B-FP8/blobs"
    async with ssh(pair) as conn:
        code, out, _ = await run(conn, f"uvx hf download {repo} --dry-run")
        assert out.startswith(f"[dry-run] Will download {len(repo_files(repo))} files (out of ")
        proc = await conn.create_process(f"uvx hf download {repo}")
        stderr = ""
        saw_partial = False
        while "Reconstruction complete" not in stderr:
            stderr += await asyncio.wait_for(proc.stderr.read(4096), 30)
            saw_partial |= any(p.name.endswith(".incomplete") for p in blobs.glob("*"))
        result = await proc.wait()  # collects what is left of stdout
        stdout = str(result.stdout)
        assert result.exit_status == 0
        assert saw_partial  # *.incomplete blobs grew while downloading
        assert "\r" in stderr and "Fetching 6 files:" in stderr
        assert "Reconstructing (incomplete total...):" in stderr
        snapshot = (
            pair.head.home
            / ".cache/huggingface/hub/models--org--Tiny-2B-FP8/snapshots"
            / commit_of(repo)
        )
        assert stdout.strip() == str(snapshot)
        assert (snapshot.parent.parent / "refs/main").read_text() == commit_of(repo)
        assert not list(blobs.glob("*.incomplete"))
        shard = snapshot / "model-00001-of-00001.safetensors"
        assert shard.is_symlink() and shard.stat().st_size == repo_files(repo)[shard.name]
        code, out, _ = await run(
            conn, f"du -sb --apparent-size {snapshot.parent.parent / 'blobs'} | cut -f1"
        )
        assert int(out) >= sum(repo_files(repo).values())
        code, _, err = await run(conn, "uvx hf download meta-llama/Gated-8B")
        assert code == 1 and "GatedRepoError" in err and "Cannot access gated repo" in err
        pair.faults.set("gated_download")
        code, _, err = await run(conn, "uvx hf download org/Other-1B")
        assert code == 1 and "Access to model org/Other-1B is restricted." in err
        pair.faults.clear("gated_download")
        # Cancelling (killing the process) leaves the partial blobs behind.
        proc = await conn.create_process("uvx hf download org/Big-30B")
        await asyncio.wait_for(proc.stderr.read(64), 30)
        await run(conn, "pkill -f 'tools.hf download org/Big-30B'")
        await proc.wait()
        code, out, _ = await run(conn, "ls .cache/huggingface/hub/models--org--Big-30B/blobs")
        assert ".incomplete" in out


async def test_hf_download_script_copies_to_worker(sim_pair_factory: PairFactory) -> None:
    pair = await sim_pair_factory(PairConfig(download_seconds=0.5))
    async with ssh(pair) as conn:
        code, out, _ = await run(conn, "cd spark-vllm-docker && ./hf-download.sh -c Org/Model-1B")
        assert code == 1 and out.startswith("Error: Model name is required.")
        code, out, err = await run(
            conn, "cd spark-vllm-docker && ./hf-download.sh Org/Model-1B -c 192.168.177.12"
        )
        assert code == 0, out + err
        lines = out.splitlines()
        assert lines[0] == "Downloading model 'Org/Model-1B' using uvx..."
        assert any(line.startswith("Download completed in 00:00:") for line in lines)
        assert f"Copying model 'Org/Model-1B' to {pair.user}@192.168.177.12..." in lines
        assert any("100%" in line for line in lines)  # rsync progress lines
        assert "TIMING STATISTICS" in lines
        assert lines[-1] == "Done downloading Org/Model-1B."
        copied = pair.worker.home / ".cache/huggingface/hub/models--Org--Model-1B/snapshots"
        assert (copied / commit_of("Org/Model-1B") / "config.json").exists()
        code, out, _ = await run(conn, "cd spark-vllm-docker && ./hf-download.sh Org/Model-1B -c")
        assert code == 0 and "Autodiscovered hosts: 192.168.177.12" in out
        await pair.worker.set_reachable(False)
        code, out, _ = await run(
            conn, "cd spark-vllm-docker && ./hf-download.sh Org/Model-1B -c 192.168.177.12"
        )
        assert code == 1 and "Copy to 192.168.177.12 failed." in out


@pytest.mark.parametrize("dialect", ["jan2026", "aug2026"])
async def test_git_behind_dirty_tree_and_build(sim_pair_factory: PairFactory, dialect: str) -> None:
    pair = await sim_pair_factory(PairConfig(dialect=dialect, behind_count=4, build_seconds=0.3))
    git = "git -C ~/spark-vllm-docker"
    async with ssh(pair) as conn:
        code, out, err = await run(
            conn, f"{git} fetch --quiet origin main && {git} rev-list --count HEAD..origin/main"
        )
        assert (code, out) == (0, "4\n"), err
        code, out, _ = await run(conn, f"{git} log --oneline HEAD..origin/main")
        assert len(out.splitlines()) == 4
        assert (await run(conn, f"{git} rev-parse --short HEAD"))[1].strip()
        pair.faults.set("dirty_tree")
        code, out, err = await run(conn, "cd ~/spark-vllm-docker && git pull")
        assert code == 1
        assert (
            "error: Your local changes to the following files would be overwritten by merge" in err
        )
        pair.faults.clear("dirty_tree")
        code, out, err = await run(conn, "cd ~/spark-vllm-docker && git pull")
        assert code == 0, err
        assert (await run(conn, f"{git} rev-list --count HEAD..origin/main"))[1] == "0\n"
        old_id = (
            await run(conn, "ssh 192.168.177.12 docker image inspect --format '{{.Id}}' vllm-node")
        )[1]
        code, out, err = await run(
            conn, "cd ~/spark-vllm-docker && ./build-and-copy.sh -c 192.168.177.12"
        )
        assert code == 0, out + err
        done = "Done building vllm-node." if dialect == "jan2026" else "Done preparing vllm-node."
        assert out.splitlines()[-1] == done
        assert "Loading image into" in out
        head_id = (await run(conn, "docker image inspect --format '{{.Id}}' vllm-node"))[1]
        worker_id = (
            await run(conn, "ssh 192.168.177.12 docker image inspect --format '{{.Id}}' vllm-node")
        )[1]
        assert head_id == worker_id != old_id
        code, out, _ = await run(conn, "cd ~/spark-vllm-docker && ./build-and-copy.sh --bogus")
        assert code == 1 and out.startswith("Unknown parameter passed: --bogus")
        pair.faults.set("build_failure")
        code, out, err = await run(
            conn, "cd ~/spark-vllm-docker && ./build-and-copy.sh -c 192.168.177.12"
        )
        assert code != 0 and done not in out


async def test_checkout_scripts_match_dialect(sim_pair_any_dialect: SimPair) -> None:
    pair = sim_pair_any_dialect
    script = (pair.head.home / "spark-vllm-docker/launch-cluster.sh").read_text()
    new = pair.config.dialect == "aug2026"
    assert ("--solo" in script) is new
    assert ("Command dispatched in background" in script) is new
    _, out, _ = await pair.run(
        "head",
        "git -C spark-vllm-docker remote get-url origin; "
        "git -C spark-vllm-docker status --porcelain",
    )
    assert out.splitlines() == [str(pair.root / "upstream" / "spark-vllm-docker.git")]
