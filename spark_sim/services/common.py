"""Pieces shared by the fake HTTP services: fault middleware and a loopback-only listener."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web

from spark_sim.tools import simenv

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def fault_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Injected http_delay / http_hang apply to every endpoint of every fake service."""
    while simenv.fault("http_hang") is not None:
        await asyncio.sleep(0.1)
    delay = simenv.fault("http_delay")
    if delay:
        await asyncio.sleep(float(delay))
    return await handler(request)


def loopback(host: str | None) -> str:
    """Everything listens on 127.0.0.1 only: 0.0.0.0 and friends are mapped to loopback (IPv4)."""
    del host
    return "127.0.0.1"


async def serve(app: web.Application, port: int) -> web.AppRunner:
    """Bind and listen now (callers decide when: vLLM only after it is 'ready')."""
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, loopback(None), port, reuse_address=True)
    await site.start()
    return runner


def pid() -> int:
    return os.getpid()


STOP_SIGNALS = {signal.SIGTERM, signal.SIGINT}


def stop_on_signals(callback: Callable[[], None], service: str) -> None:
    """Run `callback` in the running loop on SIGTERM/SIGINT, and record who sent the signal.

    Why: a rare end-to-end flake shows the fake vLLM stopped by a SIGTERM while its container
    kept running, and nothing said where it came from. The signals are blocked and taken by a
    thread with sigwaitinfo, which knows the sender; each one becomes a line in
    `<sim root>/signals.log`. This needs the signals blocked in every thread, so it falls back
    to a plain handler when other threads already exist.
    """
    loop = asyncio.get_running_loop()
    if threading.active_count() > 1:
        for sig in STOP_SIGNALS:
            loop.add_signal_handler(sig, callback)
        return
    signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)

    def wait() -> None:
        while True:
            info = signal.sigwaitinfo(STOP_SIGNALS)
            record_signal(service, info.si_signo, info.si_pid)
            loop.call_soon_threadsafe(callback)

    threading.Thread(target=wait, name="stop-signals", daemon=True).start()


def describe_process(pid: int) -> str:
    """`pid (command line) <- parent ...`, as far as /proc still knows them."""
    chain: list[str] = []
    while pid > 1 and len(chain) < 4:
        try:
            raw = Path(f"/proc/{pid}/cmdline").read_bytes()
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            chain.append(f"{pid} (gone)")
            break
        command = raw.replace(b"\0", b" ").decode(errors="replace").strip()[:200]
        chain.append(f"{pid} ({command})")
        pid = int(stat.rsplit(")", 1)[1].split()[1])
    return " <- ".join(chain)


def record_signal(service: str, signo: int, sender: int) -> None:
    """One line per stop signal received by a fake service, for post-mortems."""
    line = (
        f"{time.strftime('%H:%M:%S')} {simenv.node()} {service} pid {os.getpid()} got "
        f"{signal.Signals(signo).name} from {describe_process(sender)}\n"
    )
    try:
        with (simenv.root() / "signals.log").open("a") as out:
            out.write(line)
    except (OSError, KeyError):
        pass
