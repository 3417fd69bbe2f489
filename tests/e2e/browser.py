"""Launch the system Chromium through Playwright (never a downloaded browser)."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from playwright.async_api import BrowserContext, async_playwright

CHROMIUM = Path(os.environ.get("SPARK_E2E_CHROMIUM", "/usr/bin/chromium"))
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
)
VIEWPORT = {"width": 1280, "height": 900}


class ChromiumMissingError(RuntimeError):
    """The system browser is not installed: the E2E test must fail, not skip."""


def require_chromium() -> Path:
    """The Chromium binary, or a loud error saying how to install it."""
    if not CHROMIUM.is_file() or not os.access(CHROMIUM, os.X_OK):
        raise ChromiumMissingError(
            f"{CHROMIUM} not found: install it with `apt-get install -y chromium` (.ci/run does)"
        )
    return CHROMIUM


@asynccontextmanager
async def chromium_context() -> AsyncIterator[BrowserContext]:
    """A fresh persistent context (own user-data-dir) in the system Chromium; all closed after."""
    executable = require_chromium()
    os.environ["PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD"] = "1"
    profile = Path(tempfile.mkdtemp(prefix="spark-e2e-chromium-"))
    try:
        async with async_playwright() as playwright:
            context = await playwright.chromium.launch_persistent_context(
                str(profile),
                executable_path=str(executable),
                headless=True,
                args=list(FLAGS),
                viewport=VIEWPORT,  # type: ignore[arg-type]
                locale="en-US",
                timezone_id="UTC",
            )
            try:
                yield context
            finally:
                await context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)
