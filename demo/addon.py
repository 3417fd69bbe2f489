"""The diarizer add-on (cpu backend) as a child process of the demo, in the add-on environment."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp

from demo.procs import ManagedProcess


class AddonProcess:
    """`python -m spark_diarizer --backend cpu` on 127.0.0.1:port."""

    def __init__(self, python: Path, port: int, log_dir: Path) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.process = ManagedProcess(
            "diarizer add-on",
            [
                str(python),
                "-m",
                "spark_diarizer",
                "--backend",
                "cpu",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--torch-threads",
                "1",
            ],
            log_dir / "addon.log",
        )

    async def wait_ready(self, session: aiohttp.ClientSession, timeout_s: float = 300.0) -> None:
        """Poll /health until the front answers 200 (the worker may still be loading)."""
        async with asyncio.timeout(timeout_s):
            while True:
                self.process.check_alive()
                try:
                    async with session.get(f"{self.url}/health") as resp:
                        if resp.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.5)
