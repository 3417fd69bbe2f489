"""`python -m demo` (what `make demo` runs): the product against a simulated Spark pair.

Starts the simulated Sparks, the diarizer add-on and a real Home Assistant, onboards the owner,
adds spark_control through the config-flow API, prints what to try, and on Ctrl-C (or SIGTERM)
stops everything it started.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from pathlib import Path

from demo.guide import guide
from demo.sample import ensure_sample
from demo.stack import Stack, StackOptions

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
    return parser.parse_args(argv)


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
                await _watch(stack, stop)
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
    await stack.wait_addon()


async def _watch(stack: Stack, stop: asyncio.Event) -> None:
    """Wait for Ctrl-C; fail loudly if a child dies meanwhile."""
    while not stop.is_set():
        stack.check_alive()
        try:
            await asyncio.wait_for(stop.wait(), 2)
        except TimeoutError:
            continue


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    args = parse_args(argv)
    try:
        return asyncio.run(run(args))
    except RuntimeError as err:
        print(f"demo: failed: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
