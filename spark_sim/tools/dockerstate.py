"""The fake Docker daemon's state: containers as dirs under ~/.sim/docker/containers/<name>/.

A container is a JSON record plus a "PID 1" process group started with setsid; its output goes
through a FIFO into a timestamped log (so `docker logs --since` works). Processes started by
`docker exec` register their process group so that `docker stop` kills every one of them.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import signal
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from spark_sim.tools import simenv

ZERO_TIME = "0001-01-01T00:00:00Z"
# The container's PID 1: a pump turns the FIFO into a timestamped log (and ends within a second
# of PID 1), then exec the command.
INIT = (
    'exec 3<>"$1"; '
    "( trap '' TERM; pid1=$$; buf=''; while :; do "
    "if IFS= read -r -t 1 -u 3 line; then "
    'printf "%s %s\\n" "$EPOCHREALTIME" "$buf$line" >>"$2"; buf=""; '
    'elif (( $? > 128 )); then buf+=$line; kill -0 "$pid1" 2>/dev/null || break; '
    "else break; fi; done ) & "
    'shift 2; exec "$@" >"$FIFO_PATH" 2>&1 3>&- </dev/null'
)
# Restart policies under which the daemon brings a container back after PID 1 ends on its own.
RESTARTING = ("always", "unless-stopped", "on-failure")
DROP_ENV = ("SSH_ORIGINAL_COMMAND", "PWD", "OLDPWD", "SHLVL", "_", "SSH_CONNECTION", "SSH_CLIENT")


class DockerError(Exception):
    """A docker CLI error: message for stderr and the exit status."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


def rfc3339(epoch: float) -> str:
    """Docker's RFC3339Nano timestamp."""
    stamp = datetime.fromtimestamp(epoch, UTC)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond:06d}000Z"


def new_id(seed: str) -> str:
    """A 64-hex docker id."""
    return hashlib.sha256(f"{seed}{time.time_ns()}{os.getpid()}".encode()).hexdigest()


def start_ticks(pid: int) -> str | None:
    """Kernel start time of a pid (guards against pid reuse); None when dead or a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    if fields[0] in ("Z", "X"):
        return None
    return fields[19]


class Docker:
    """State of the fake Docker daemon on one node."""

    def __init__(self, state: Path | None = None) -> None:
        self.base = (state or simenv.state_dir()) / "docker"
        self.containers = self.base / "containers"
        self.containers.mkdir(parents=True, exist_ok=True)
        self.images_file = self.base / "images.json"

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Serialise state changes between concurrent docker invocations."""
        with (self.base / "lock").open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    # images -------------------------------------------------------------------------------
    def images(self) -> dict[str, dict[str, Any]]:
        try:
            data: dict[str, dict[str, Any]] = json.loads(self.images_file.read_text())
        except FileNotFoundError:
            return {}
        return data

    def save_images(self, images: dict[str, dict[str, Any]]) -> None:
        tmp = self.images_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(images, indent=1))
        tmp.replace(self.images_file)

    @staticmethod
    def image_key(name: str) -> str:
        return name if ":" in name.rsplit("/", 1)[-1] else f"{name}:latest"

    def image(self, name: str) -> dict[str, Any] | None:
        return self.images().get(self.image_key(name))

    def set_image(
        self, name: str, cmd: list[str] | None = None, image_id: str | None = None
    ) -> str:
        images = self.images()
        key = self.image_key(name)
        old = images.get(key, {})
        record = {
            "id": image_id or "sha256:" + new_id(key),
            "cmd": cmd if cmd is not None else old.get("cmd", ["sleep", "infinity"]),
            "created": time.time(),
        }
        images[key] = record
        self.save_images(images)
        return str(record["id"])

    # containers ---------------------------------------------------------------------------
    def cdir(self, name: str) -> Path:
        return self.containers / name

    def load(self, name: str) -> dict[str, Any] | None:
        try:
            data: dict[str, Any] = json.loads((self.cdir(name) / "container.json").read_text())
        except (FileNotFoundError, NotADirectoryError):
            return None
        return data

    def save(self, record: dict[str, Any]) -> None:
        """Write the record, and beside it the one-line `state` the docker shim's bash reads."""
        cdir = self.cdir(record["name"])
        for name, text in (
            ("container.json", json.dumps(record, indent=1)),
            ("state", f"{record['status']} {record['pid1']} {record['pid1_start'] or 0}\n"),
        ):
            tmp = cdir / f"{name}.tmp"
            tmp.write_text(text)
            tmp.replace(cdir / name)

    def find(self, ref: str) -> dict[str, Any] | None:
        """Container by name or (prefix of) id, after reaping dead ones."""
        self.reap()
        record = self.load(ref.lstrip("/"))
        if record:
            return record
        for other in self.all():
            if len(ref) >= 4 and other["id"].startswith(ref):
                return other
        return None

    def all(self) -> list[dict[str, Any]]:
        records = []
        for entry in sorted(self.containers.iterdir()):
            record = self.load(entry.name)
            if record:
                records.append(record)
        return records

    def running(self, record: dict[str, Any]) -> bool:
        return bool(
            record["status"] == "running" and start_ticks(record["pid1"]) == record["pid1_start"]
        )

    def reap(self) -> None:
        """Mark containers whose PID 1 died as exited; --rm ones vanish (`docker run --rm`).

        A container with a restart policy goes to "restarting" instead and is started again
        once its back-off has passed (0.2 s, doubling per restart up to a minute, as dockerd).
        """
        for record in self.all():
            if record["status"] == "running" and not self.running(record):
                if record.get("restart", "no").split(":")[0] in RESTARTING and not record["rm"]:
                    self.crashed(record)
                else:
                    self.finish(record, 0)
            elif record["status"] == "restarting" and time.time() >= record.get("restart_at", 0):
                self.start(record)

    def crashed(self, record: dict[str, Any]) -> None:
        """PID 1 ended on its own under a restart policy: back off, then start again."""
        self.kill_groups(record, signal.SIGKILL)
        count = int(record.get("restart_count", 0)) + 1
        record.update(
            status="restarting",
            exit_code=1,
            restart_count=count,
            finished_at=rfc3339(time.time()),
            restart_at=time.time() + min(0.1 * 2**count, 60.0),
        )
        self.save(record)

    def finish(self, record: dict[str, Any], exit_code: int) -> None:
        """PID 1 is gone: kill what is left, record the exit, honour --rm."""
        self.kill_groups(record, signal.SIGKILL)
        if record["rm"]:
            self.discard(record["name"])
            return
        record.update(status="exited", exit_code=exit_code, finished_at=rfc3339(time.time()))
        self.save(record)

    def groups(self, record: dict[str, Any]) -> list[int]:
        """Live process groups of the container: PID 1's and every registered exec."""
        found = []
        if record.get("pid1") and start_ticks(record["pid1"]) == record.get("pid1_start"):
            found.append(record["pid1"])
        procs = self.cdir(record["name"]) / "procs"
        if procs.is_dir():
            for entry in procs.iterdir():
                pid = int(entry.name)
                if start_ticks(pid) == entry.read_text():
                    found.append(pid)
                else:
                    entry.unlink(missing_ok=True)
        return found

    def kill_groups(self, record: dict[str, Any], sig: int) -> None:
        for group in self.groups(record):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(group, sig)

    def register(self, name: str, pid: int) -> None:
        """Remember an exec'd process group so that stop kills it."""
        procs = self.cdir(name) / "procs"
        procs.mkdir(exist_ok=True)
        ticks = start_ticks(pid)
        if ticks:
            (procs / str(pid)).write_text(ticks)

    def create(
        self,
        name: str,
        image: str,
        cmd: list[str],
        *,
        rm: bool,
        env: dict[str, str],
        restart: str = "no",
        mounts: list[list[str]] | None = None,
    ) -> dict[str, Any]:
        image_record = self.image(image)
        if image_record is None:
            raise DockerError(
                f"Unable to find image '{self.image_key(image)}' locally\n"
                "docker: Error response from daemon: pull access denied for "
                f"{image.split(':', maxsplit=1)[0]}, repository does not exist or may require "
                "'docker login': denied: requested access to the resource is denied.",
                125,
            )
        existing = self.find(name)
        if existing is not None:
            raise DockerError(
                "docker: Error response from daemon: Conflict. The container name "
                f'"/{name}" is already in use by container "{existing["id"]}". You have to '
                "remove (or rename) that container to be able to reuse that name.",
                125,
            )
        cdir = self.cdir(name)
        if cdir.exists():  # debris of a container whose record is already gone
            self.discard(name)
        cdir.mkdir(parents=True)
        os.mkfifo(cdir / "fifo")
        (cdir / "log").touch()
        clean_env = {k: v for k, v in env.items() if k not in DROP_ENV}
        clean_env["SPARK_SIM_CONTAINER"] = name
        rootfs = Path(clean_env.get("SPARK_SIM_STATE", str(self.base.parent))) / "rootfs"
        clean_env["PATH"] = f"{rootfs}/usr/local/bin:{clean_env.get('PATH', '/usr/bin:/bin')}"
        record: dict[str, Any] = {
            "id": new_id(name),
            "name": name,
            "image": image,
            "image_id": image_record["id"],
            "cmd": cmd or list(image_record["cmd"]),
            "env": clean_env,
            "rm": rm,
            "restart": restart,
            "mounts": mounts or [],
            "restart_count": 0,
            "created": rfc3339(time.time()),
            "status": "created",
            "started_at": ZERO_TIME,
            "finished_at": ZERO_TIME,
            "exit_code": 0,
            "pid1": 0,
            "pid1_start": None,
            "workdir": str(rootfs / "workspace" / "vllm"),
        }
        self.save(record)
        return record

    def start(self, record: dict[str, Any]) -> None:
        """Spawn PID 1 in its own session; its output feeds the container log."""
        cdir = self.cdir(record["name"])
        (cdir / "procs").mkdir(exist_ok=True)
        env = dict(record["env"])
        env["FIFO_PATH"] = str(cdir / "fifo")
        workdir = record["workdir"] if Path(record["workdir"]).is_dir() else env.get("HOME", "/")
        import subprocess

        proc = subprocess.Popen(
            ["bash", "--noprofile", "--norc", "-c", INIT, "init", cdir / "fifo", cdir / "log"]
            + record["cmd"],
            env=env,
            cwd=workdir,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        record.update(
            status="running",
            pid1=proc.pid,
            pid1_start=start_ticks(proc.pid),
            started_at=rfc3339(time.time()),
            finished_at=ZERO_TIME,
            exit_code=0,
        )
        self.save(record)

    def stop(self, record: dict[str, Any], timeout: float = 10.0) -> None:
        """SIGTERM every process, SIGKILL after the grace period; --rm containers vanish."""
        if not self.running(record):
            self.kill_groups(record, signal.SIGKILL)
            if record["status"] == "restarting":  # stopping ends the restart loop
                self.finish(record, record["exit_code"])
            return
        self.kill_groups(record, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        code = 143
        while start_ticks(record["pid1"]) == record["pid1_start"]:
            if time.monotonic() > deadline:
                code = 137
                break
            time.sleep(0.02)
        self.finish(record, code)

    def remove(self, record: dict[str, Any]) -> None:
        self.kill_groups(record, signal.SIGKILL)
        self.discard(record["name"])

    def discard(self, name: str) -> None:
        """Make a container's directory vanish atomically, then delete it.

        A plain rmtree races with processes still writing into the directory (the log pump, an
        exec registering itself, a concurrent `save`): it could leave a half-deleted directory
        behind, and the next `docker run --name` of the same name then failed. Renaming first
        frees the name at once, as the real daemon does when an `--rm` container is removed.
        """
        grave = self.base / "graveyard" / f"{name}-{new_id(name)[:12]}"
        grave.parent.mkdir(exist_ok=True)
        try:
            self.cdir(name).rename(grave)
        except FileNotFoundError:
            return
        shutil.rmtree(grave, ignore_errors=True)
