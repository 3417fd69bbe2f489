"""The voice browser scenario: `python -m tests.e2e.voice_scenario --out build/e2e-voice`.

The demo stack (simulated Sparks, a real Home Assistant with the "Spark Control" pipeline made
by the options flow), then Home Assistant's real frontend in the system Chromium: the voice
assistants settings page lists the pipeline, and the Assist dialog sends typed text to the
cluster's agent and shows its answer. Writes report.json and screenshots to --out; exit 0 only
if every step passed. Its own process, like tests/e2e/scenario.py (whose steps it leaves alone).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import time
import traceback
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from playwright.async_api import Page, expect
from playwright.async_api import TimeoutError as PlaywrightTimeoutError

from demo.stack import Stack, StackOptions, running
from tests.e2e.browser import chromium_context
from tests.e2e.ui import UI_TIMEOUT_MS, login, see, shot

STEPS = ("start_stack", "pipeline_created", "login", "pipeline_listed", "assist_dialog_answers")
PIPELINE = "Spark Control"
TYPED = "hello from the browser"
ANSWER = "You said: hello from the browser."  # the simulated vLLM's documented echo rule


class VoiceScenario:
    """Every step; state shared between steps lives here."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.stack = Stack(
            StackOptions(state_dir=out / "stack", vllm_load_seconds=2.0, with_addon=False)
        )
        self.page: Page | None = None
        self.report: dict[str, dict[str, Any]] = {
            name: {"ok": False, "error": "not reached", "seconds": 0.0} for name in STEPS
        }

    @property
    def url(self) -> str:
        """Home Assistant's base URL."""
        return running(self.stack.hass, "Home Assistant").url

    @property
    def ui(self) -> Page:
        """The browser tab."""
        return running(self.page, "the browser page")

    def save(self) -> None:
        """Write the report (after each step: a crash still leaves one)."""
        self.out.mkdir(parents=True, exist_ok=True)
        (self.out / "report.json").write_text(json.dumps(self.report, indent=1))

    async def step(self, name: str, body: Callable[[], Awaitable[None]]) -> bool:
        """Run one step and record its outcome."""
        start = time.monotonic()
        try:
            await body()
        except Exception as err:
            self.report[name] = {
                "ok": False,
                "error": f"{type(err).__name__}: {err}\n{traceback.format_exc(limit=6)}",
                "seconds": round(time.monotonic() - start, 2),
            }
            self.save()
            if self.page is not None:
                await self.ui.screenshot(path=str(self.out / f"FAILED-{name}.png"))
            return False
        self.report[name] = {"ok": True, "error": "", "seconds": round(time.monotonic() - start, 2)}
        self.save()
        return True

    # steps ----------------------------------------------------------------------------------
    async def start_stack(self) -> None:
        """Sparks and a fresh Home Assistant; the integration added over REST."""
        await self.stack.start()
        await self.stack.add_integration()
        await self.stack.wait_loaded()

    async def pipeline_created(self) -> None:
        """Options → Create the Spark Control Assist pipeline (the demo's own path)."""
        await self.stack.create_pipeline()

    async def login(self) -> None:
        """Log in on the real login page."""
        owner = self.stack.options.owner
        await login(self.ui, self.url, owner.username, owner.password)

    async def pipeline_listed(self) -> None:
        """Settings → Voice assistants lists the pipeline."""
        await self.ui.goto(self.url + "/config/voice-assistants/assistants")
        await see(self.ui, PIPELINE)
        await shot(self.ui, self.out / "voice-assistants.png")

    async def assist_dialog_answers(self) -> None:
        """The Assist dialog (preferred pipeline: Spark Control): typed text, the agent's answer."""
        page = self.ui
        await page.goto(self.url + "/")  # the default dashboard, whose toolbar has Assist
        await expect(page.locator("ha-sidebar")).to_be_visible(timeout=UI_TIMEOUT_MS)
        button = page.get_by_role("button", name=re.compile(r"^\s*assist\s*$", re.I)).first
        try:
            await button.click(timeout=20_000)
        except PlaywrightTimeoutError:  # no toolbar button: the frontend's shortcut key
            await page.locator("body").press("a")
        dialog = page.locator("ha-voice-command-dialog")
        await expect(dialog.get_by_role("textbox").first).to_be_visible(timeout=UI_TIMEOUT_MS)
        await see(dialog, PIPELINE)
        box = dialog.get_by_role("textbox").first
        await box.fill(TYPED)
        await box.press("Enter")
        await see(dialog, ANSWER)
        await shot(page, self.out / "assist-dialog.png")

    async def run(self) -> bool:
        """Every step in order; the stack always stops."""
        self.save()
        try:
            ok = await self.step("start_stack", self.start_stack) and await self.step(
                "pipeline_created", self.pipeline_created
            )
            if ok:
                async with chromium_context() as context:
                    self.page = context.pages[0] if context.pages else await context.new_page()
                    self.page.set_default_timeout(UI_TIMEOUT_MS)
                    for name in STEPS[2:]:
                        if not await self.step(name, getattr(self, name)):
                            break
                    self.page = None
        finally:
            await self.stack.stop()
        return all(result["ok"] for result in self.report.values())


def main(argv: list[str] | None = None) -> int:
    """Run the scenario; exit status 0 only if every step passed."""
    parser = argparse.ArgumentParser(prog="python -m tests.e2e.voice_scenario", description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("build/e2e-voice"))
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for stale in args.out.glob("*.png"):
        stale.unlink()
    ok = asyncio.run(VoiceScenario(args.out.resolve()).run())
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
