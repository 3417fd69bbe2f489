"""`python -m demo` (what `make demo` runs): the product against a simulated Spark pair.

Starts the simulated Sparks, the diarizer add-on and a real Home Assistant, onboards the owner,
adds spark_control through the config-flow API, prints what to try, and on Ctrl-C (or SIGTERM)
stops everything it started.

With `--keep-sparks` the Sparks (and the add-on) stay up when Home Assistant dies, so work left
running on them can be watched across a restart: `python -m demo kill-ha` kills Home Assistant
as a crash would, `python -m demo restart-ha` starts it again on the same config directory.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
from pathlib import Path

from demo.guide import guide
from demo.procs import MARKER_VAR
from demo.sample import ensure_sample
from demo.stack import Stack, StackOptions, running

DEFAULT_STATE = Path("build/demo")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(prog="python -m demo", description=__doc__)
    parser.add_argument("--state-dir", type=Path, default=DEFAULT_STATE, help="wiped at start")
    parser.add_argument("--port", type=int, default=8123, help="Home Assistant port (0 = any)")
    parser.add_argument(
        "--no-addon", action="store_true", help="skip the diarizer add-on (saves ~1 GB RAM)"
    )
    parser.add_argument(
        "--nightly-at",
        default="03:00:00",
        help="when the demo's time-of-day blueprint swaps back to the first model (UTC)",
    )
    parser.add_argument(
        "--exit-after-setup", action="store_true", help="stop right after printing the guide"
    )
    parser.add_argument(
        "--keep-sparks",
        action="store_true",
        help="keep the simulated Sparks up when Home Assistant dies (restart it with "
        "`python -m demo restart-ha`)",
    )
    return parser.parse_args(argv)


def control_args(command: str, argv: list[str]) -> argparse.Namespace:
    """Options of `python -m demo kill-ha|restart-ha`."""
    parser = argparse.ArgumentParser(prog=f"python -m demo {command}")
    parser.add_argument("--state-dir", type=Path, default=DEFAULT_STATE)
    return parser.parse_args(argv)


RESTART_REQUEST = "restart-ha"


def kill_ha(state_dir: Path) -> int:
    """SIGKILL the demo's Home Assistant (a crash, not a clean stop)."""
    pid_file = state_dir / "hass.pid"
    try:
        pid = int(pid_file.read_text().strip())
        environ = Path(f"/proc/{pid}/environ").read_bytes()
    except (OSError, ValueError):
        print(f"demo: no running Home Assistant recorded in {pid_file}", file=sys.stderr)
        return 1
    if f"{MARKER_VAR}=".encode() not in environ:  # a reused pid: not ours
        print(f"demo: process {pid} is not the demo's Home Assistant", file=sys.stderr)
        return 1
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)
    print(f"demo: killed Home Assistant (pid {pid})")
    return 0


def request_restart(state_dir: Path) -> int:
    """Ask the running demo (started with --keep-sparks) to start Home Assistant again."""
    if not (state_dir / "hass.pid").exists():
        print(f"demo: no demo is running with state dir {state_dir}", file=sys.stderr)
        return 1
    (state_dir / RESTART_REQUEST).touch()
    print("demo: restart requested; the demo's own output says when Home Assistant is back")
    return 0


async def run(args: argparse.Namespace) -> int:
    """Bring the stack up, print the guide, wait for a stop signal, tear down."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    options = StackOptions(
        state_dir=args.state_dir, ha_port=args.port or None, nightly_at=args.nightly_at
    )
    options.with_addon = not args.no_addon
    options.keep_sparks = args.keep_sparks
    stack = Stack(options)
    print("demo: starting the simulated Spark pair, the add-on and Home Assistant ...", flush=True)
    setup = asyncio.create_task(_setup(stack))
    waiter = asyncio.create_task(stop.wait())
    try:
        done, _ = await asyncio.wait({setup, waiter}, return_when=asyncio.FIRST_COMPLETED)
        if setup in done:
            setup.result()  # re-raise a failed start-up
            print(guide(stack, await asyncio.to_thread(ensure_sample)), flush=True)
            if not args.exit_after_setup:
                await _watch(stack, stop, keep_sparks=args.keep_sparks)
        else:
            print("demo: interrupted during start-up", flush=True)
    finally:
        for task in (setup, waiter):
            task.cancel()
        await asyncio.gather(setup, waiter, return_exceptions=True)
        print("demo: stopping everything ...", flush=True)
        await stack.stop()
        if stack.leftovers:
            print(f"demo: had to kill leftover processes {stack.leftovers}", flush=True)
        print("demo: stopped; nothing left running.", flush=True)
    return 0


async def _setup(stack: Stack) -> None:
    await stack.start()
    await stack.add_integration()
    await stack.wait_loaded()
    await stack.create_pipeline()
    await stack.wait_addon()


async def _watch(stack: Stack, stop: asyncio.Event, *, keep_sparks: bool = False) -> None:
    """Wait for Ctrl-C; fail loudly if a child dies meanwhile (HA may, with keep_sparks).

    Meanwhile apply `python -m spark_sim fault ... unreachable=...` set from another shell.
    """
    pair = stack.pair
    reach = asyncio.create_task(pair.watch_reachability(stop)) if pair is not None else None
    request = stack.state_dir / RESTART_REQUEST
    reported = False
    try:
        while not stop.is_set():
            stack.check_alive(hass=not keep_sparks)
            status = stack.hass_exit_status()
            if status is not None and not reported:
                reported = True
                print(
                    f"demo: Home Assistant exited (status {status}); the simulated Sparks stay "
                    f"up. Start it again on the same config:\n"
                    f"  python -m demo restart-ha --state-dir {stack.options.state_dir}",
                    flush=True,
                )
            if request.exists():
                request.unlink(missing_ok=True)
                print("demo: starting Home Assistant again on the same config ...", flush=True)
                await stack.restart_hass()
                reported = False
                url = running(stack.hass, "Home Assistant").url
                print(f"demo: Home Assistant is back at {url}", flush=True)
            try:
                await asyncio.wait_for(stop.wait(), 1)
            except TimeoutError:
                continue
    finally:
        if reach is not None:
            reach.cancel()
            await asyncio.gather(reach, return_exceptions=True)


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["kill-ha"]:
        return kill_ha(control_args("kill-ha", argv[1:]).state_dir)
    if argv[:1] == ["restart-ha"]:
        return request_restart(control_args("restart-ha", argv[1:]).state_dir)
    args = parse_args(argv)
    try:
        return asyncio.run(run(args))
    except RuntimeError as err:
        print(f"demo: failed: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
