"""Helpers for Home Assistant's frontend (Playwright locators pierce its open shadow roots)."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.async_api import Locator, Page, expect

UI_TIMEOUT_MS = 60_000


def label(text: str) -> re.Pattern[str]:
    """A form label as HA renders it (required fields get a trailing '*')."""
    return re.compile(rf"^\s*{re.escape(text)}\s*\*?\s*$")


def flow_dialog(page: Page) -> Locator:
    """The config-flow dialog."""
    return page.locator("dialog-data-entry-flow")


async def submit(dialog: Locator) -> None:
    """Press the flow's Submit/Next button."""
    await dialog.get_by_role("button", name=re.compile(r"^\s*(submit|next)\s*$", re.I)).click()


async def fill(scope: Page | Locator, role: str, text: str, value: str) -> None:
    """Replace the value of the field labelled `text`."""
    field = scope.get_by_role(role, name=label(text))  # type: ignore[arg-type]
    await field.fill(value)


async def login(page: Page, base_url: str, username: str, password: str) -> None:
    """Log in through the real login page."""
    await page.goto(base_url)
    await page.locator("input[name=username]").fill(username)
    await page.locator("input[name=password]").fill(password)
    await page.get_by_role("button", name=re.compile("log in", re.I)).click()
    # The default panel after login: /lovelace up to 2025.x, the Home dashboard (/home) in 2026.
    await page.wait_for_url(re.compile(r"/(lovelace|home)"), timeout=UI_TIMEOUT_MS)
    # The frontend stores its tokens after the redirect; navigating earlier logs us out again.
    await page.wait_for_function(
        "() => window.localStorage.getItem('hassTokens') !== null", timeout=UI_TIMEOUT_MS
    )
    await expect(page.locator("ha-sidebar")).to_be_visible(timeout=UI_TIMEOUT_MS)


async def shot(page: Page, path: Path) -> None:
    """Screenshot of what the user sees now (after HA's lazy content settles)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    await page.wait_for_load_state("networkidle")
    await page.screenshot(path=str(path))


async def see(
    scope: Page | Locator, text: str | re.Pattern[str], timeout_ms: int = UI_TIMEOUT_MS
) -> None:
    """Wait until `text` is visible somewhere in `scope`."""
    await expect(scope.get_by_text(text).filter(visible=True).first).to_be_visible(
        timeout=timeout_ms
    )
