"""`docker` shim: the subset of the Docker CLI that spark-vllm-docker and the integration use."""

from __future__ import annotations

import json
import os
import re
import select
import sys
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from spark_sim.tools import simenv
from spark_sim.tools.dockerstate import Docker, DockerError, new_id, rfc3339

say = simenv.say
VALUE_FLAGS = {
    "-e",
    "--env",
    "-v",
    "--volume",
    "--name",
    "--ipc",
    "--network",
    "--net",
    "--gpus",
    "--ulimit",
    "--entrypoint",
    "--shm-size",
    "-p",
    "--publish",
    "--restart",
    "-w",
    "--workdir",
    "--runtime",
    "--device",
    "--cap-add",
    "--security-opt",
    "-l",
    "--label",
    "--env-file",
    "-u",
    "--user",
    "--memory",
    "--pid",
    "--hostname",
    "-h",
    "--mount",
}
BOOL_FLAGS = {
    "-d",
    "--detach",
    "--rm",
    "--privileged",
    "-i",
    "--interactive",
    "-t",
    "--tty",
    "-it",
    "-itd",
    "-dit",
    "--init",
}
TEMPLATE = re.compile(r"\{\{\s*(json\s+)?\.([\w.]*)\s*\}\}")


def render(template: str, data: dict[str, Any]) -> str:
    """Tiny Go-template subset: {{.A.B}} and {{json .A}}."""

    def field(match: re.Match[str]) -> str:
        value: Any = data
        for part in filter(None, match.group(2).split(".")):
            value = value.get(part, "<no value>") if isinstance(value, dict) else "<no value>"
        if match.group(1):
            return json.dumps(value)
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, list):
            return "[" + " ".join(map(str, value)) + "]"
        return str(value)

    return TEMPLATE.sub(field, template.replace("\\t", "\t").replace("\\n", "\n"))


def inspect_data(dock: Docker, record: dict[str, Any]) -> dict[str, Any]:
    """`docker inspect` JSON for a container."""
    running = dock.running(record)
    status = "running" if running else record["status"]
    return {
        "Id": record["id"],
        "Created": record["created"],
        "Path": record["cmd"][0] if record["cmd"] else "",
        "Args": record["cmd"][1:],
        "State": {
            "Status": status,
            "Running": running,
            "Paused": False,
            "Restarting": record["status"] == "restarting",
            "OOMKilled": False,
            "Dead": False,
            "Pid": record["pid1"] if running else 0,
            "ExitCode": record["exit_code"],
            "Error": "",
            "StartedAt": record["started_at"],
            "FinishedAt": record["finished_at"],
        },
        "Image": record["image_id"],
        "Name": "/" + record["name"],
        "RestartCount": record.get("restart_count", 0),
        "Mounts": [
            {"Type": "bind", "Source": source, "Destination": destination, "RW": True}
            for source, destination in record.get("mounts", [])
        ],
        "HostConfig": {"AutoRemove": record["rm"], "RestartPolicy": {"Name": record["restart"]}},
        "Config": {
            "Image": record["image"],
            "Cmd": record["cmd"],
            "Env": [f"{k}={v}" for k, v in record["env"].items() if k.startswith("NCCL")],
        },
    }


def ago(stamp: str) -> str:
    """Docker's human "N seconds ago" wording."""
    started = datetime.strptime(stamp[:19], "%Y-%m-%dT%H:%M:%S").timestamp() - time.timezone
    secs = max(0, int(time.time() - started))
    if secs < 60:
        return "Less than a second" if secs < 1 else f"{secs} seconds"
    if secs < 3600:
        return "About a minute" if secs < 120 else f"{secs // 60} minutes"
    return "About an hour" if secs < 7200 else f"{secs // 3600} hours"


def ps_row(dock: Docker, record: dict[str, Any]) -> dict[str, str]:
    running = dock.running(record)
    if running:
        status = f"Up {ago(record['started_at'])}"
    elif record["status"] == "created":
        status = "Created"
    elif record["status"] == "restarting":
        status = f"Restarting ({record['exit_code']}) {ago(record['finished_at'])} ago"
    else:
        status = f"Exited ({record['exit_code']}) {ago(record['finished_at'])} ago"
    command = " ".join(record["cmd"])
    return {
        "ID": record["id"][:12],
        "Image": record["image"],
        "Command": f'"{command[:20]}…"' if len(command) > 20 else f'"{command}"',
        "CreatedAt": record["created"],
        "RunningFor": ago(record["created"]) + " ago",
        "Status": status,
        "State": "running" if running else record["status"],
        "Ports": "",
        "Names": record["name"],
    }


def parse_run(args: list[str]) -> tuple[dict[str, Any], list[str]]:
    """Split `docker run/create` flags from IMAGE [CMD...]."""
    opts: dict[str, Any] = {
        "rm": False,
        "detach": False,
        "env": [],
        "name": None,
        "restart": "no",
        "mounts": [],
    }
    i = 0
    while i < len(args):
        arg = args[i]
        if not arg.startswith("-") or arg == "-":
            break
        flag, sep, inline = arg.partition("=")
        if flag in VALUE_FLAGS:
            value = inline if sep else args[i + 1]
            i += 1 if sep else 2
            if flag == "--name":
                opts["name"] = value
            elif flag in ("-e", "--env"):
                opts["env"].append(value)
            elif flag == "--restart":
                opts["restart"] = value
            elif flag in ("-v", "--volume"):
                source, _, rest = value.partition(":")
                opts["mounts"].append([source, rest.split(":")[0]])
            continue
        if flag in BOOL_FLAGS:
            opts["rm"] |= flag == "--rm"
            opts["detach"] |= "d" in flag.lstrip("-") and flag != "--rm"
            i += 1
            continue
        raise DockerError(f"unknown flag: {flag}\nSee 'docker run --help'.", 125)
    if i >= len(args):
        raise DockerError('"docker run" requires at least 1 argument.', 1)
    return opts, args[i:]


def env_with(extra: list[str]) -> dict[str, str]:
    env = dict(os.environ)
    for item in extra:
        key, sep, value = item.partition("=")
        if sep:
            env[key] = value
        elif key in os.environ:
            env[key] = os.environ[key]
    return env


def cmd_run(dock: Docker, args: list[str], *, start: bool = True) -> int:
    opts, rest = parse_run(args)
    name = opts["name"] or f"sim_{new_id('anon')[:8]}"
    with dock.lock():
        record = dock.create(
            name,
            rest[0],
            rest[1:],
            rm=opts["rm"],
            env=env_with(opts["env"]),
            restart=opts["restart"],
            mounts=opts["mounts"],
        )
        if start:
            dock.start(record)
    if start and not opts["detach"]:
        return follow_logs(dock, name, since=0.0, timestamps=False, follow=True)
    say(record["id"])
    return 0


def require(dock: Docker, ref: str) -> dict[str, Any]:
    record = dock.find(ref)
    if record is None:
        raise DockerError(f"Error response from daemon: No such container: {ref}")
    return record


def cmd_start(dock: Docker, args: list[str]) -> int:
    status = 0
    for ref in [a for a in args if not a.startswith("-")]:
        with dock.lock():
            record = dock.find(ref)
            if record is None:
                simenv.say(f"Error response from daemon: No such container: {ref}", err=True)
                status = 1
                continue
            if not dock.running(record):
                dock.start(record)
        say(ref)
    if status:
        simenv.say("Error: failed to start containers: " + " ".join(args), err=True)
    return status


def grace(args: list[str]) -> tuple[float, list[str]]:
    timeout, refs, i = 10.0, [], 0
    while i < len(args):
        if args[i] in ("-t", "--time", "--timeout"):
            timeout = float(args[i + 1])
            i += 2
        elif args[i].startswith(("--time=", "--timeout=")):
            timeout = float(args[i].split("=", 1)[1])
            i += 1
        else:
            refs.append(args[i])
            i += 1
    return timeout, refs


def cmd_stop(dock: Docker, args: list[str], *, restart: bool = False) -> int:
    timeout, refs = grace(args)
    status = 0
    for ref in refs:
        record = dock.find(ref)
        if record is None:
            simenv.say(f"Error response from daemon: No such container: {ref}", err=True)
            status = 1
            continue
        dock.stop(record, timeout)
        if restart:
            with dock.lock():
                again = dock.find(ref)
                if again is None:
                    simenv.say(f"Error response from daemon: No such container: {ref}", err=True)
                    status = 1
                    continue
                dock.start(again)
        say(ref)
    return status


def cmd_rm(dock: Docker, args: list[str]) -> int:
    force = any(a in ("-f", "--force") for a in args)
    status = 0
    for ref in [a for a in args if not a.startswith("-")]:
        record = dock.find(ref)
        if record is None:
            simenv.say(f"Error response from daemon: No such container: {ref}", err=True)
            status = 1
        elif dock.running(record) and not force:
            simenv.say(
                f'Error response from daemon: cannot remove container "/{ref}": container is '
                "running: stop the container before removing or force remove",
                err=True,
            )
            status = 1
        else:
            dock.remove(record)
            say(ref)
    return status


def cmd_ps(dock: Docker, args: list[str]) -> int:
    show_all = quiet = False
    fmt: str | None = None
    filters: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in ("-a", "--all"):
            show_all = True
        elif arg in ("-q", "--quiet"):
            quiet = True
        elif arg in ("--format", "-f", "--filter"):
            (filters.append if arg in ("-f", "--filter") else lambda v: None)(args[i + 1])
            fmt = args[i + 1] if arg == "--format" else fmt
            i += 1
        elif arg.startswith("--format="):
            fmt = arg.split("=", 1)[1]
        elif arg.startswith("--filter="):
            filters.append(arg.split("=", 1)[1])
        elif arg == "--no-trunc":
            pass
        i += 1
    dock.reap()
    rows = []
    for record in dock.all():
        if not show_all and not dock.running(record):
            continue
        row = ps_row(dock, record)
        if all(
            not f.startswith("name=") or re.search(f.split("=", 1)[1], row["Names"])
            for f in filters
        ):
            rows.append(row)
    if quiet:
        for row in rows:
            say(row["ID"])
        return 0
    if fmt and not fmt.startswith("table"):
        for row in rows:
            say(render(fmt, row))
        return 0
    cols = ("ID", "Image", "Command", "RunningFor", "Status", "Ports", "Names")
    heads = ("CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES")
    widths = [
        max([len(h)] + [len(r[c]) for r in rows]) + 3 for c, h in zip(cols, heads, strict=True)
    ]
    say("".join(h.ljust(w) for h, w in zip(heads, widths, strict=True)).rstrip())
    for row in rows:
        say("".join(row[c].ljust(w) for c, w in zip(cols, widths, strict=True)).rstrip())
    return 0


def image_data(dock: Docker, name: str) -> dict[str, Any] | None:
    record = dock.image(name)
    if record is None:
        return None
    return {
        "Id": record["id"],
        "RepoTags": [dock.image_key(name)],
        "Created": rfc3339(record["created"]),
        "Config": {"Cmd": record["cmd"]},
    }


def split_format(args: list[str]) -> tuple[str | None, list[str]]:
    fmt, refs, i = None, [], 0
    while i < len(args):
        if args[i] in ("-f", "--format"):
            fmt = args[i + 1]
            i += 2
        elif args[i].startswith("--format="):
            fmt = args[i].split("=", 1)[1]
            i += 1
        elif args[i] == "--type":
            i += 2
        elif args[i].startswith("-"):
            i += 1
        else:
            refs.append(args[i])
            i += 1
    return fmt, refs


def cmd_inspect(dock: Docker, args: list[str], *, images_only: bool = False) -> int:
    fmt, refs = split_format(args)
    found: list[dict[str, Any]] = []
    status = 0
    for ref in refs:
        data: dict[str, Any] | None = None
        if not images_only:
            record = dock.find(ref)
            data = inspect_data(dock, record) if record else None
        if data is None:
            data = image_data(dock, ref)
        if data is None:
            kind = "image" if images_only else "object"
            simenv.say(f"Error: No such {kind}: {ref}", err=True)
            status = 1
            continue
        found.append(data)
    if fmt:
        for data in found:
            say(render(fmt, data))
    else:
        say(json.dumps(found, indent=4))
    return status


def parse_since(value: str) -> float:
    """--since as RFC3339, unix seconds or a Go duration like 10m / 1h30m."""
    if re.fullmatch(r"\d+(\.\d+)?", value):
        return float(value)
    if re.fullmatch(r"(\d+(\.\d+)?(h|m|s|ms))+", value):
        scale = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
        total = sum(
            float(n) * scale[u] for n, _, u in re.findall(r"(\d+(\.\d+)?)(ms|h|m|s)", value)
        )
        return time.time() - total
    try:
        text = value.replace("Z", "+00:00")
        text = re.sub(r"(\.\d{6})\d+", r"\1", text)
        return datetime.fromisoformat(text).timestamp()
    except ValueError as err:
        raise DockerError(
            f'invalid value for "since": failed to parse value as time or duration: "{value}"'
        ) from err


def follow_logs(
    dock: Docker,
    name: str,
    *,
    since: float,
    timestamps: bool,
    follow: bool,
    tail: int | None = None,
) -> int:
    """Print the container log (the FIFO pump's timestamped lines), optionally following it."""
    log = dock.cdir(name) / "log"
    out = sys.stdout.buffer
    position = 0
    first = True
    while True:
        try:
            with log.open("rb") as handle:
                handle.seek(position)
                chunk = handle.read()
        except FileNotFoundError:
            return 0
        complete = chunk[: chunk.rfind(b"\n") + 1]
        position += len(complete)
        lines = []
        for raw in complete.splitlines():
            stamp, _, text = raw.partition(b" ")
            try:
                when = float(stamp)
            except ValueError:
                continue
            if when >= since:
                lines.append(rfc3339(when).encode() + b" " + text if timestamps else text)
        if first and tail is not None:
            lines = lines[-tail:] if tail else []
        first = False
        try:
            out.write(b"".join(line + b"\n" for line in lines))
            out.flush()
        except BrokenPipeError:
            os._exit(141)
        if not follow:
            return 0
        if not complete:
            wait_for_growth(log, position, out.fileno())
            record = dock.load(name)
            if record is None or not dock.running(record):
                return 0


def reader_gone(fd: int) -> bool:
    """True when our stdout is a pipe whose reader has closed it (the next write would EPIPE)."""
    poller = select.poll()
    poller.register(fd, 0)
    return any(event & (select.POLLERR | select.POLLHUP) for _, event in poller.poll(0))


def wait_for_growth(log: Path, position: int, out_fd: int) -> None:
    """Idle `logs -f`: cheap stat polling every 50 ms for up to ~1 s (the real CLI is pushed each
    line by the daemon: a coarser poll would add its own delay to every figure measured through
    the simulator). Quirk: a follower whose reader is gone exits within 50 ms like on SIGPIPE
    (the real CLI notices only at its next line), so abandoned followers of quiet containers do
    not pile up."""
    for _ in range(20):
        if reader_gone(out_fd):
            os._exit(141)
        try:
            if log.stat().st_size > position:
                return
        except FileNotFoundError:
            return
        time.sleep(0.05)


def cmd_logs(dock: Docker, args: list[str]) -> int:
    follow = timestamps = False
    since = 0.0
    tail: int | None = None
    refs: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in ("-f", "--follow"):
            follow = True
        elif arg in ("-t", "--timestamps"):
            timestamps = True
        elif arg == "--since":
            since = parse_since(args[i + 1])
            i += 1
        elif arg.startswith("--since="):
            since = parse_since(arg.split("=", 1)[1])
        elif arg in ("-n", "--tail"):
            tail = None if args[i + 1] == "all" else int(args[i + 1])
            i += 1
        elif arg.startswith("--tail="):
            value = arg.split("=", 1)[1]
            tail = None if value == "all" else int(value)
        else:
            refs.append(arg)
        i += 1
    if len(refs) != 1:
        raise DockerError('"docker logs" requires exactly 1 argument.')
    record = require(dock, refs[0])
    return follow_logs(
        dock, record["name"], since=since, timestamps=timestamps, follow=follow, tail=tail
    )


def cmd_exec(dock: Docker, args: list[str]) -> int:
    detach = False
    extra: list[str] = []
    workdir: str | None = None
    i = 0
    while i < len(args) and args[i].startswith("-"):
        flag, sep, inline = args[i].partition("=")
        if flag in ("-e", "--env", "-w", "--workdir", "-u", "--user"):
            value = inline if sep else args[i + 1]
            i += 1 if sep else 2
            if flag in ("-e", "--env"):
                extra.append(value)
            elif flag in ("-w", "--workdir"):
                workdir = value
            continue
        if flag in ("-d", "--detach", "-dt", "-di", "-dit", "-itd"):
            detach = True
        elif flag not in ("-i", "-t", "-it", "-ti", "--interactive", "--tty", "--privileged"):
            raise DockerError(f"unknown shorthand flag: {flag!r}\nSee 'docker exec --help'.")
        i += 1
    if len(args) - i < 2:
        raise DockerError('"docker exec" requires at least 2 arguments.')
    record = require(dock, args[i])
    if not dock.running(record):
        raise DockerError(f"Error response from daemon: container {record['id']} is not running")
    fifo = str(dock.cdir(record["name"]) / "fifo")
    cmd = [a.replace("/proc/1/fd/1", fifo) for a in args[i + 1 :]]
    env = dict(record["env"])
    for item in extra:
        key, _, value = item.partition("=")
        env[key] = value
    cwd = workdir if workdir and Path(workdir).is_dir() else record["workdir"]
    cwd = cwd if Path(cwd).is_dir() else env.get("HOME", "/")
    import subprocess

    quiet = subprocess.DEVNULL if detach else None
    output = subprocess.DEVNULL if detach else subprocess.PIPE
    try:
        proc = subprocess.Popen(
            cmd,
            env=env,
            cwd=cwd,
            stdin=quiet,
            stdout=output,
            stderr=output,
            start_new_session=True,
        )
    except FileNotFoundError:
        simenv.say(
            "OCI runtime exec failed: exec failed: unable to start container process: exec: "
            f'"{cmd[0]}": executable file not found in $PATH: unknown',
            err=True,
        )
        return 127
    dock.register(record["name"], proc.pid)
    if detach:
        return 0
    relays = [relay(proc.stdout, 1), relay(proc.stderr, 2)]
    code = proc.wait()
    for thread in relays:  # drain what is buffered; an inherited pipe must not keep us here
        thread.join(0.5)
    return 128 - code if code < 0 else code


def relay(source: Any, fd: int) -> threading.Thread:
    """Copy an exec'd process's output to ours, as the real CLI streams it from the daemon.

    Like the real CLI, a write that fails (the SSH session's pipe or terminal is gone: EPIPE, or
    EIO on a hung-up PTY) ends this `docker exec`; the process inside the container goes on.
    """

    def copy() -> None:
        while chunk := os.read(source.fileno(), 65536):
            try:
                while chunk:
                    chunk = chunk[os.write(fd, chunk) :]
            except BrokenPipeError:
                os._exit(141)
            except OSError:
                os._exit(1)

    thread = threading.Thread(target=copy, daemon=True)
    thread.start()
    return thread


def cmd_images(dock: Docker, args: list[str]) -> int:
    fmt, _ = split_format(args)
    quiet = "-q" in args
    for key, record in sorted(dock.images().items()):
        repo, _, tag = key.rpartition(":")
        row = {"Repository": repo, "Tag": tag, "ID": record["id"][7:19], "Size": "24.1GB"}
        if quiet:
            say(row["ID"])
        elif fmt:
            say(render(fmt, row))
        else:
            say(f"{repo:<40}{tag:<10}{row['ID']:<15}{row['Size']}")
    return 0


def cmd_image(dock: Docker, args: list[str]) -> int:
    if args and args[0] == "inspect":
        return cmd_inspect(dock, args[1:], images_only=True)
    if args and args[0] in ("ls", "list"):
        return cmd_images(dock, args[1:])
    raise DockerError(f"docker: 'image {' '.join(args[:1])}' is not a docker command.")


def build_failure() -> bool:
    return simenv.fault("build_failure") is not None


def cmd_build(dock: Docker, args: list[str]) -> int:
    tag = "vllm-node"
    for i, arg in enumerate(args):
        if arg in ("-t", "--tag"):
            tag = args[i + 1]
    steps = [
        "[internal] load build definition from Dockerfile",
        "[internal] load metadata for nvcr.io/nvidia/pytorch:26.01-py3",
        "[builder 1/9] FROM nvcr.io/nvidia/pytorch:26.01-py3",
        "[builder 4/9] RUN git clone https://github.com/vllm-project/vllm.git",
        "[builder 7/9] RUN pip wheel --no-deps -w /wheels .",
        "[runner 3/4] RUN pip install /wheels/*.whl",
        "exporting to image",
    ]
    delay = float(simenv.config().get("build_seconds", 1.0)) / len(steps)
    for n, step in enumerate(steps, 1):
        simenv.say(f"#{n} {step}", err=True)
        time.sleep(delay)
        if build_failure() and n == 5:
            simenv.say(
                f'#{n} ERROR: process "/bin/sh -c pip wheel --no-deps -w /wheels ." '
                "did not complete successfully: exit code: 1",
                err=True,
            )
            simenv.say(
                'ERROR: failed to solve: process "/bin/sh -c pip wheel --no-deps -w /wheels ." '
                "did not complete successfully: exit code: 1",
                err=True,
            )
            return 1
        simenv.say(f"#{n} DONE {delay:.1f}s", err=True)
    image_id = dock.set_image(tag)
    simenv.say(f"#{len(steps)} writing image {image_id} done", err=True)
    simenv.say(f"#{len(steps)} naming to docker.io/library/{tag} done", err=True)
    return 0


def cmd_pull(dock: Docker, args: list[str]) -> int:
    ref = next(a for a in args if not a.startswith("-"))
    repo, _, tag = dock.image_key(ref).rpartition(":")
    say(f"{tag}: Pulling from {repo}")
    time.sleep(float(simenv.config().get("build_seconds", 1.0)) / 2)
    if build_failure():
        simenv.say(
            f'Error response from daemon: Get "https://registry-1.docker.io/v2/{repo}/manifests/'
            f'{tag}": net/http: TLS handshake timeout',
            err=True,
        )
        return 1
    image_id = dock.set_image(ref, ["sleep", "infinity"])
    say(f"Digest: sha256:{image_id[7:]}")
    say(f"Status: Downloaded newer image for {repo}:{tag}")
    say(f"docker.io/{repo}:{tag}")
    return 0


def cmd_tag(dock: Docker, args: list[str]) -> int:
    source = dock.image(args[0])
    if source is None:
        raise DockerError(f"Error response from daemon: No such image: {args[0]}")
    dock.set_image(args[1], list(source["cmd"]), source["id"])
    return 0


def cmd_save(dock: Docker, args: list[str]) -> int:
    out: str | None = None
    refs = []
    i = 0
    while i < len(args):
        if args[i] in ("-o", "--output"):
            out = args[i + 1]
            i += 2
            continue
        refs.append(args[i])
        i += 1
    payload = {}
    for ref in refs:
        record = dock.image(ref)
        if record is None:
            raise DockerError(f"Error response from daemon: reference does not exist: {ref}")
        payload[dock.image_key(ref)] = record
    data = json.dumps({"spark_sim_images": payload}).encode()
    if out:
        Path(out).write_bytes(data)
    else:
        sys.stdout.buffer.write(data)
    return 0


def cmd_load(dock: Docker, args: list[str]) -> int:
    source = args[args.index("-i") + 1] if "-i" in args else None
    data = Path(source).read_bytes() if source else sys.stdin.buffer.read()
    try:
        payload = json.loads(data)["spark_sim_images"]
    except (ValueError, KeyError) as err:
        raise DockerError("Error response from daemon: unexpected EOF") from err
    for key, record in payload.items():
        dock.set_image(key, record["cmd"], record["id"])
        say(f"Loaded image: {key}")
    return 0


COMMANDS = {
    "ps": cmd_ps,
    "inspect": cmd_inspect,
    "start": cmd_start,
    "stop": cmd_stop,
    "restart": lambda d, a: cmd_stop(d, a, restart=True),
    "rm": cmd_rm,
    "logs": cmd_logs,
    "exec": cmd_exec,
    "run": cmd_run,
    "create": lambda d, a: cmd_run(d, a, start=False),
    "image": cmd_image,
    "images": cmd_images,
    "build": cmd_build,
    "pull": cmd_pull,
    "tag": cmd_tag,
    "save": cmd_save,
    "load": cmd_load,
}


def main(argv: list[str]) -> int:
    """Dispatch like the docker CLI; errors go to stderr with docker's exit codes."""
    if argv and argv[0] in ("--version", "version"):
        say("Docker version 28.5.1, build e180ab8")
        return 0
    if not argv or argv[0] not in COMMANDS:
        word = argv[0] if argv else ""
        simenv.say(
            f"docker: unknown command: docker {word}\n\nRun 'docker --help' for more information",
            err=True,
        )
        return 1
    try:
        return COMMANDS[argv[0]](Docker(), argv[1:])
    except DockerError as err:
        simenv.say(str(err), err=True)
        return err.status
    except IndexError:
        simenv.say(f'"docker {argv[0]}" requires more arguments.', err=True)
        return 1


if __name__ == "__main__":
    code = main(sys.argv[1:])
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        os._exit(141)
    sys.exit(code)
