"""The sidebar panel in a real browser: `python -m tests.e2e.panel_scenario --out build/e2e-panel`.

Runs the demo's stack (simulated Sparks, real Home Assistant; no add-on), logs in, and works
the Spark Control panel like a user: swap watching the log, settings with a refused value,
Parakeet stop/start, a download with progress and the "Add to catalog" dialog, an update with
its build log, the connectivity log; on a desktop in light mode, then on a 390x844 phone in dark
mode; axe-core on every section in all four looks. Writes report.json, screenshots and the
figures `panel_first_data_ms` and `panel_log_latency_ms`. Its own process, like scenario.py.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import statistics
import sys
from pathlib import Path
from typing import Any

from playwright.async_api import Locator, Page, expect

from demo.catalog import INITIAL_MODEL, SECOND_MODEL
from demo.hass import REPO_ROOT
from demo.stack import Stack, StackOptions, running
from tests.e2e.browser import chromium_context
from tests.e2e.report import Report, StepResult
from tests.e2e.ui import UI_TIMEOUT_MS, login, shot

PANEL_PATH = "/spark-control"
AXE = REPO_ROOT / "frontend" / "node_modules" / "axe-core" / "axe.min.js"
TABS = ("Models", "Services", "Download", "Update", "Connectivity")
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
MIN_TARGET_PX = 44
DOWNLOAD_REPOS = ("TinyLlama/TinyLlama-1.1B-Chat-v1.0", "Qwen/Qwen2.5-0.5B-Instruct")
PANEL_STEPS = (
    "start_stack",
    "login",
    "open_panel",
    "swap_watching_log",
    "settings_field_error",
    "parakeet_stop_start",
    "download_and_add",
    "apply_update",
    "connectivity_log",
    "keyboard",
    "phone_dark",
    "accessibility",
    "stop_stack",
)

# Records when each swap-log line appears in the page (ms since the epoch, this machine's clock).
WATCH_LOG_JS = """
(root) => {
  window.__sparkLogSeen = window.__sparkLogSeen || {};
  const find = (node) => {
    const stack = [node];
    while (stack.length) {
      const el = stack.pop();
      if (el.id === "swap-log") return el;
      if (el.shadowRoot) stack.push(...el.shadowRoot.children);
      stack.push(...(el.children || []));
    }
    return null;
  };
  const record = () => {
    const pre = find(root);
    if (!pre) return;
    const now = performance.timeOrigin + performance.now();
    for (const line of pre.textContent.split("\\n")) {
      if (line && !(line in window.__sparkLogSeen)) window.__sparkLogSeen[line] = now;
    }
  };
  if (!window.__sparkLogObserver) {
    window.__sparkLogObserver = new MutationObserver(record);
    const attach = () => {
      const pre = find(root);
      if (pre) {
        window.__sparkLogObserver.observe(
          pre, {childList: true, characterData: true, subtree: true});
        record();
      } else {
        setTimeout(attach, 5);
      }
    };
    attach();
  }
}
"""

# The chain of shadow hosts down to the panel, for axe's fromShadowDom include.
HOST_CHAIN_JS = """
() => {
  const search = (root, path) => {
    for (const el of root.querySelectorAll("*")) {
      if (el.localName === "spark-control-panel") return [...path, el.localName];
      if (el.shadowRoot) {
        const found = search(el.shadowRoot, [...path, el.localName]);
        if (found) return found;
      }
    }
    return null;
  };
  const chain = search(document, []);
  // fromShadowDom needs only the shadow hosts on the way (light-DOM steps are implied).
  return chain;
}
"""

AXE_JS = """
async (chain) => {
  const result = await axe.run(
    {include: [{fromShadowDom: chain}]},
    {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}},
  );
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" >> ")),
  }));
}
"""

# Interactive controls in the panel smaller than MIN px (checkboxes/radios: their label counts).
SMALL_TARGETS_JS = """
(min) => {
  const small = [];
  const visit = (root) => {
    for (const el of root.querySelectorAll("*")) {
      if (el.shadowRoot) visit(el.shadowRoot);
      if (!el.matches("button, input, select, [role=tab], a[href]")) continue;
      const box = el.type === "checkbox" || el.type === "radio";
      const target = box ? el.closest("label") || el : el;
      const r = target.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue;  // not shown
      if (r.width < min - 0.5 || r.height < min - 0.5) {
        const name = el.getAttribute("aria-label") || el.name || el.textContent.trim().slice(0, 30);
        small.push(`${el.localName}[${name}] ${Math.round(r.width)}x${Math.round(r.height)}`);
      }
    }
  };
  const panel = (function find(root) {
    for (const el of root.querySelectorAll("*")) {
      if (el.localName === "spark-control-panel") return el;
      if (el.shadowRoot) { const f = find(el.shadowRoot); if (f) return f; }
    }
    return null;
  })(document);
  visit(panel.shadowRoot);
  return {small, scrollWidth: panel.scrollWidth, clientWidth: panel.clientWidth};
}
"""


class PanelReport(Report):
    """The same report format as scenario.py's, with this scenario's steps."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.steps = {name: StepResult() for name in PANEL_STEPS}


class PanelScenario:
    """Every step of the panel run; state shared between steps lives here."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.report = PanelReport(out / "report.json")
        self.stack = Stack(
            StackOptions(
                state_dir=out / "stack",
                vllm_load_seconds=3.0,
                download_seconds=5.0,
                with_addon=False,
            )
        )
        self.page: Page | None = None
        self.look = "desktop-light"

    # plumbing -------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return running(self.stack.hass, "Home Assistant").url

    @property
    def ui(self) -> Page:
        return running(self.page, "the browser page")

    @property
    def panel(self) -> Locator:
        return self.ui.locator("spark-control-panel")

    async def snapshot(self) -> dict[str, Any]:
        """The entry's state through the panel's own websocket API."""
        client = running(self.stack.client, "HA")
        result: dict[str, Any] = await client.ws_command(
            {"type": "spark_control/snapshot", "entry_id": self.stack.entry_id}
        )
        return result

    async def tab(self, name: str) -> None:
        await self.panel.get_by_role("tab", name=name).click()
        await expect(self.panel.get_by_role("tab", name=name)).to_have_attribute(
            "aria-selected", "true"
        )

    async def shot(self, name: str) -> None:
        await shot(self.ui, self.out / f"panel-{self.look}-{name}.png")

    def card(self, repo_id: str) -> Locator:
        return self.panel.locator("article[data-model]").filter(has_text=repo_id)

    async def open_panel_page(self) -> None:
        await self.ui.goto(self.url + PANEL_PATH)
        await expect(self.panel.locator("article[data-model]").first).to_be_visible(
            timeout=UI_TIMEOUT_MS
        )

    # steps ----------------------------------------------------------------------------------
    async def start_stack(self, step: StepResult) -> None:
        await self.stack.start()
        await self.stack.add_integration()
        await self.stack.wait_loaded()
        step.details["ha_url"] = self.url

    async def login(self, step: StepResult) -> None:
        owner = self.stack.options.owner
        await login(self.ui, self.url, owner.username, owner.password)

    async def open_panel(self, step: StepResult) -> None:
        """The sidebar links the panel; a direct load shows the models with live data."""
        page = self.ui
        link = page.locator("ha-sidebar").get_by_text("Spark Control", exact=True).first
        await expect(link).to_be_visible(timeout=UI_TIMEOUT_MS)
        await self.open_panel_page()
        await expect(self.card(INITIAL_MODEL).locator("[data-loaded]")).to_be_visible()
        marks = await page.evaluate(
            """() => Object.fromEntries(["spark-control:module", "spark-control:first-data"]
                 .map((n) => [n, performance.getEntriesByName(n)[0]?.startTime ?? null]))"""
        )
        first = marks["spark-control:first-data"]
        module = marks["spark-control:module"]
        if first is None:
            raise AssertionError("the panel set no first-data mark")
        step.details["panel_first_data_ms"] = round(first, 1)
        after_module = ""
        if module is not None:
            step.details["panel_first_data_after_module_ms"] = round(first - module, 1)
            after_module = f" (panel module loaded -> data: {first - module:.0f} ms)"
        # From navigation start: includes Home Assistant's own frontend start and login check.
        print(f"panel_first_data_ms={first:.0f}{after_module}", flush=True)
        await self.shot("models")

    async def swap_watching_log(self, step: StepResult) -> None:
        """Load → confirm → the log pane follows the swap to ready; the card shows it loaded."""
        await self._swap(step, SECOND_MODEL, screenshot=True)

    async def _swap(self, step: StepResult, repo_id: str, *, screenshot: bool = False) -> None:
        page, panel = self.ui, self.panel
        await self.tab("Models")
        card = self.card(repo_id)
        await card.get_by_role("button", name=re.compile(r"^Load ")).click()
        dialog = panel.locator("dialog[open]")
        await expect(dialog).to_be_visible()
        await expect(dialog).to_contain_text("Load")
        await page.evaluate(WATCH_LOG_JS, await panel.element_handle())
        await dialog.get_by_role("button", name="Load", exact=True).click()
        states: list[str] = []
        state = panel.locator("[data-swap-state]")
        async with asyncio.timeout(180):
            while not states or states[-1] not in ("ready", "failed"):
                # The pane shows the previous swap until this one's first event arrives.
                if await state.count() and await state.get_attribute("data-swap-model") == repo_id:
                    current = await state.get_attribute("data-swap-state") or ""
                    if not states or states[-1] != current:
                        states.append(current)
                await asyncio.sleep(0.05)
        step.details[f"swap_states_{self.look}"] = states
        if states[-1] != "ready":
            raise AssertionError(f"the swap ended {states}: {await panel.inner_text()}")
        log = panel.locator("#swap-log")
        await expect(log).to_contain_text("Application startup complete")
        await expect(card.locator("[data-loaded]")).to_be_visible(timeout=UI_TIMEOUT_MS)
        if screenshot:
            await self.shot("swap-log")
        latency = await self._log_latency(page)
        step.details[f"log_latency_{self.look}"] = latency
        if latency.get("median_ms") is not None:
            print(
                f"panel_log_latency_ms={latency['median_ms']:.0f} "
                f"(p90 {latency['p90_ms']:.0f}, max {latency['max_ms']:.0f}, "
                f"{latency['lines']} lines, {self.look})",
                flush=True,
            )

    async def _log_latency(self, page: Page) -> dict[str, Any]:
        """Browser arrival time of each swap-log line minus the time the simulated container
        wrote it (the docker shim stamps every line with its epoch time)."""
        seen: dict[str, float] = await page.evaluate("() => window.__sparkLogSeen || {}")
        await page.evaluate(
            "() => { window.__sparkLogObserver?.disconnect(); window.__sparkLogObserver = null;"
            " window.__sparkLogSeen = {}; }"
        )
        delays: list[float] = []
        for log in (self.stack.state_dir / "sim").rglob("vllm_node/log"):
            for raw in log.read_text(errors="replace").splitlines():
                stamp, _, text = raw.partition(" ")
                try:
                    written = float(stamp) * 1000
                except ValueError:
                    continue
                if text in seen and seen[text] >= written:
                    delays.append(seen[text] - written)
        if not delays:
            return {"lines": 0, "median_ms": None}
        delays.sort()
        return {
            "lines": len(delays),
            "median_ms": round(statistics.median(delays), 1),
            "p90_ms": round(delays[int(0.9 * (len(delays) - 1))], 1),
            "max_ms": round(delays[-1], 1),
        }

    async def settings_field_error(self, step: StepResult) -> None:
        """An out-of-range GPU memory share is refused at its field; a valid one is stored."""
        await self._settings(step, INITIAL_MODEL, ("120", "0.99"), "85", screenshot=True)

    async def _settings(
        self,
        step: StepResult,
        repo_id: str,
        bad: tuple[str, str],
        good: str,
        *,
        screenshot: bool = False,
    ) -> None:
        """Type `bad[0]` (refused with a message containing `bad[1]`), then `good`."""
        await self.tab("Models")
        card = self.card(repo_id)
        await card.get_by_role("button", name=re.compile(r"^Advanced settings")).click()
        field = card.get_by_role("textbox", name="GPU memory (%)")
        await field.fill(bad[0])
        await card.get_by_role("button", name="Save").click()
        await expect(field).to_have_attribute("aria-invalid", "true", timeout=UI_TIMEOUT_MS)
        error = card.locator(".field-error")
        await expect(error).to_contain_text(bad[1])
        step.details[f"field_error_{self.look}"] = await error.inner_text()
        if screenshot:
            await self.shot("settings-error")
        await field.fill(good)
        await card.get_by_role("textbox", name="Max context (tokens)").fill("32768")
        await card.get_by_role("button", name="Save").click()
        await expect(card.get_by_role("status").filter(has_text="Saved")).to_be_visible()
        await expect(field).to_have_attribute("aria-invalid", "false")
        stored = next(m for m in (await self.snapshot())["catalog"] if m["repo_id"] == repo_id)
        step.details[f"stored_{self.look}"] = stored["settings"]
        if abs(stored["settings"]["gpu_memory_utilization"] - int(good) / 100) > 1e-6:
            raise AssertionError(f"settings not stored: {stored['settings']}")
        if stored["settings"]["max_model_len"] != 32768:
            raise AssertionError(f"max context not stored: {stored['settings']}")
        await card.get_by_role("button", name="Close").click()

    async def parakeet_stop_start(self, step: StepResult) -> None:
        """Stop turns Parakeet's health to not answering; Start brings it back."""
        await self._parakeet(step, screenshot=True)

    async def _parakeet(self, step: StepResult, *, screenshot: bool = False) -> None:
        await self.tab("Services")
        card = self.panel.locator("article[data-service=parakeet]")
        health = card.locator("[data-health]")
        await expect(health).to_have_attribute("data-health", "ready", timeout=UI_TIMEOUT_MS)
        await card.get_by_role("button", name=re.compile(r"^Stop ")).click()
        await expect(health).to_have_attribute("data-health", "not_ready", timeout=UI_TIMEOUT_MS)
        await expect(card.locator("[data-container]")).not_to_have_text("running")
        step.details[f"stopped_{self.look}"] = await card.locator("[data-container]").inner_text()
        if screenshot:
            await self.shot("services-stopped")
        await card.get_by_role("button", name=re.compile(r"^Start ")).click()
        await expect(health).to_have_attribute("data-health", "ready", timeout=UI_TIMEOUT_MS)
        await expect(card.locator("[data-container]")).to_have_text("running")

    async def download_and_add(self, step: StepResult) -> None:
        """A bad repo is refused as typed; a good one downloads with progress and is added."""
        await self._download(step, DOWNLOAD_REPOS[0], screenshot=True)

    async def _download(self, step: StepResult, repo_id: str, *, screenshot: bool = False) -> None:
        panel = self.panel
        await self.tab("Download")
        repo = panel.get_by_role("textbox", name="Hugging Face repository")
        start = panel.get_by_role("button", name="Download", exact=True)
        await repo.fill("bad repo; rm -rf ~")
        await expect(repo).to_have_attribute("aria-invalid", "true", timeout=UI_TIMEOUT_MS)
        await expect(panel.locator("#repo-error")).to_be_visible()
        await expect(start).to_be_disabled()
        await repo.fill(repo_id)
        await expect(repo).to_have_attribute("aria-invalid", "false", timeout=UI_TIMEOUT_MS)
        await panel.get_by_role("radio", name="Head Spark only (solo)").check()
        await panel.get_by_role("textbox", name="Revision (optional)").fill("main")
        await expect(start).to_be_enabled()
        await start.click()
        progress = panel.locator("[data-download-state]")
        await expect(progress).to_have_attribute("data-download-state", "running")
        percents: list[str] = []
        async with asyncio.timeout(120):
            while (await progress.get_attribute("data-download-state")) == "running":
                text = await panel.locator("[data-percent]").inner_text()
                if text != "—" and (not percents or percents[-1] != text):
                    percents.append(text)
                    if screenshot and len(percents) == 1:
                        await self.shot("download-progress")
                await asyncio.sleep(0.1)
        if screenshot and not percents:  # finished between two looks: show the end state
            await self.shot("download-progress")
        step.details[f"percents_{self.look}"] = percents
        step.details[f"figures_{self.look}"] = [
            await panel.locator(sel).inner_text() for sel in ("[data-bytes]", "[data-rate]")
        ]
        if not percents:
            raise AssertionError("no percentage was shown while downloading")
        await expect(progress).to_have_attribute("data-download-state", "completed")
        dialog = panel.locator("dialog[open]")
        await expect(dialog).to_be_visible(timeout=UI_TIMEOUT_MS)
        await expect(dialog.get_by_role("textbox", name="Hugging Face repository")).to_have_value(
            repo_id
        )
        await expect(dialog.get_by_role("combobox", name="Runs on")).to_have_value("solo")
        if screenshot:
            await self.shot("add-to-catalog")
        await dialog.get_by_role("button", name="Add to catalog").click()
        await expect(dialog).to_have_count(0)
        await self.tab("Models")
        await expect(self.card(repo_id)).to_be_visible()
        await expect(self.card(repo_id)).to_contain_text("Custom")

    async def _cancelled_download(self, step: StepResult, repo_id: str) -> None:
        """Cancel stops a running download; no "Add to catalog" dialog follows."""
        panel = self.panel
        await self.tab("Download")
        await panel.get_by_role("textbox", name="Hugging Face repository").fill(repo_id)
        start = panel.get_by_role("button", name="Download", exact=True)
        await expect(start).to_be_enabled()
        await start.click()
        progress = panel.locator("[data-download-state]")
        await expect(progress).to_have_attribute("data-download-state", "running")
        await panel.get_by_role("button", name="Cancel download").click()
        await expect(progress).to_have_attribute("data-download-state", "cancelled")
        await expect(panel.locator("dialog[open]")).to_have_count(0)
        step.details[f"cancelled_{self.look}"] = await progress.get_attribute("data-download-state")

    async def apply_update(self, step: StepResult) -> None:
        """The banner counts the commits behind; Apply Update streams the build log to the end."""
        await self._update(step, screenshot=True)

    async def _update(self, step: StepResult, *, screenshot: bool = False) -> None:
        panel = self.panel
        await self.tab("Update")
        banner = panel.locator("[data-behind]")
        await expect(banner).to_have_text(re.compile(r"^\s*[1-9]\d* commits behind upstream"))
        step.details[f"banner_{self.look}"] = await banner.inner_text()
        if screenshot:
            await self.shot("update-banner")
        await panel.get_by_role("button", name="Apply update").click()
        await panel.get_by_role("button", name="Apply now").click()
        install = panel.locator("[data-install]")
        await expect(install).to_have_attribute("data-install", "running", timeout=UI_TIMEOUT_MS)
        await expect(install).to_have_attribute("data-install", "done", timeout=180_000)
        log = panel.locator("#update-log")
        lines = (await log.inner_text()).splitlines()
        step.details[f"build_log_lines_{self.look}"] = len(lines)
        if len(lines) < 2:
            raise AssertionError(f"the build log showed {lines}")
        await expect(banner).to_have_attribute("data-behind", "0", timeout=UI_TIMEOUT_MS)
        if screenshot:
            await self.shot("update-log")

    async def connectivity_log(self, step: StepResult) -> None:
        """A health report shows at the top; the filter keeps one service."""
        await self._connectivity(step, screenshot=True)

    async def _connectivity(self, step: StepResult, *, screenshot: bool = False) -> None:
        client = running(self.stack.client, "HA")
        source = f"e2e-{self.look}"
        await client.post(
            "/api/spark_control/health_event",
            {"service": "magpie", "ok": False, "source": source, "error": "HTTP 503", "ms": 420},
        )
        panel = self.panel
        await self.tab("Connectivity")
        first = panel.locator("li[data-service]").first
        await expect(first).to_contain_text(f"{source} could not reach magpie")
        await panel.get_by_role("combobox", name="Service").select_option("parakeet")
        services = await panel.locator("li[data-service]").evaluate_all(
            "(items) => items.map((i) => i.dataset.service)"
        )
        step.details[f"filtered_{self.look}"] = services
        if not services or set(services) != {"parakeet"}:
            raise AssertionError(f"filter by parakeet shows {services}")
        if screenshot:
            await self.shot("connectivity")
        await panel.get_by_role("combobox", name="Service").select_option("")

    async def keyboard(self, step: StepResult) -> None:
        """The section tabs move with the arrow keys; Enter works the focused button."""
        page, panel = self.ui, self.panel
        await self.tab("Models")
        await panel.get_by_role("tab", name="Models").focus()
        for name in ("Services", "Download", "Update", "Connectivity", "Models"):
            await page.keyboard.press("ArrowRight")
            tab = panel.get_by_role("tab", name=name)
            await expect(tab).to_have_attribute("aria-selected", "true")
            await expect(tab).to_be_focused()
        await page.keyboard.press("End")
        await expect(panel.get_by_role("tab", name="Connectivity")).to_be_focused()
        await page.keyboard.press("Home")
        await page.keyboard.press("Tab")
        focused = await page.evaluate(
            "() => { let a = document.activeElement;"
            " while (a && a.shadowRoot && a.shadowRoot.activeElement)"
            " a = a.shadowRoot.activeElement;"
            " return a ? a.outerHTML.slice(0, 80) : null; }"
        )
        step.details["after_tab"] = focused

    async def phone_dark(self, step: StepResult) -> None:
        """At 390x844 in dark mode: the same work, no control under 44 px, no sideways scroll."""
        page = self.ui
        await page.set_viewport_size(PHONE)
        await page.emulate_media(color_scheme="dark")
        self.look = "phone-dark"
        await self.open_panel_page()
        menu = self.panel.get_by_role("button", name="Open the sidebar")
        await expect(menu).to_be_visible()
        background = await self.panel.evaluate(
            "(el) => getComputedStyle(el.shadowRoot.querySelector('main') || el).color"
        )
        step.details["text_color"] = background
        await self.shot("models")
        targets: list[str] = []
        for tab in TABS:
            await self.tab(tab)
            found = await page.evaluate(SMALL_TARGETS_JS, MIN_TARGET_PX)
            targets += [f"{tab}: {s}" for s in found["small"]]
            if found["scrollWidth"] > found["clientWidth"] + 1:
                targets.append(f"{tab}: scrolls sideways ({found['scrollWidth']} px)")
        step.details["small_targets"] = targets
        if targets:
            raise AssertionError(f"touch targets under {MIN_TARGET_PX} px: {targets}")
        await self._swap(step, INITIAL_MODEL, screenshot=True)
        await self._settings(step, SECOND_MODEL, ("4", "0.05"), "60")
        await self._parakeet(step)
        await self._cancelled_download(step, DOWNLOAD_REPOS[1])
        await self._download(step, DOWNLOAD_REPOS[1], screenshot=True)
        await self._new_upstream_commit()
        await self.tab("Update")
        await self.panel.get_by_role("button", name="Check now").click()
        await self._update(step, screenshot=True)
        await self._connectivity(step, screenshot=True)

    async def _new_upstream_commit(self) -> None:
        """spark-vllm-docker moves on upstream (the desktop run installed everything)."""
        work = next((self.stack.state_dir / "sim").rglob("upstream/work"))
        for args in (
            ["commit", "--allow-empty", "-q", "-m", "launch: phone test commit"],
            ["push", "-q", "origin", "main"],
        ):
            proc = await asyncio.create_subprocess_exec(
                "git", *args, cwd=work, stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
                env={"GIT_AUTHOR_NAME": "e2e", "GIT_AUTHOR_EMAIL": "e2e@example.invalid",
                     "GIT_COMMITTER_NAME": "e2e", "GIT_COMMITTER_EMAIL": "e2e@example.invalid",
                     "PATH": "/usr/bin:/bin", "HOME": str(work)},
            )  # fmt: skip
            out, _ = await proc.communicate()
            if proc.returncode:
                raise AssertionError(f"git {args[0]} failed: {out.decode(errors='replace')}")

    async def accessibility(self, step: StepResult) -> None:
        """axe-core (wcag2a/aa, 2.1a/aa) on every section, desktop/phone x light/dark."""
        page = self.ui
        serious: list[str] = []
        minor: dict[str, int] = {}
        for viewport, scheme in (
            (DESKTOP, "light"), (DESKTOP, "dark"), (PHONE, "light"), (PHONE, "dark"),
        ):  # fmt: skip
            await page.set_viewport_size(viewport)
            await page.emulate_media(color_scheme=scheme)
            self.look = f"{'phone' if viewport is PHONE else 'desktop'}-{scheme}"
            await self.open_panel_page()
            if not await page.evaluate("() => typeof axe !== 'undefined'"):
                await page.add_script_tag(path=str(AXE))
            chain = await page.evaluate(HOST_CHAIN_JS)
            if not chain:
                raise AssertionError("spark-control-panel not found in the page")
            hosts = list(chain)
            for tab in TABS:
                await self.tab(tab)
                for v in await page.evaluate(AXE_JS, hosts):
                    key = f"{self.look}/{tab}: {v['id']} ({v['impact']}) {v['nodes']}"
                    if v["impact"] in ("serious", "critical"):
                        serious.append(key)
                    else:
                        minor[v["id"]] = minor.get(v["id"], 0) + 1
            if self.look in ("desktop-dark", "phone-light"):
                await self.shot("models")
        step.details["axe_runs"] = 4 * len(TABS)
        step.details["minor_violations"] = minor
        step.details["serious_or_critical"] = serious
        if serious:
            raise AssertionError(f"axe found serious/critical violations: {serious}")

    async def stop_stack(self, step: StepResult) -> None:
        await self.stack.stop()
        if self.stack.leftovers:
            raise AssertionError(f"processes outlived a clean stop: {self.stack.leftovers}")

    # driver ---------------------------------------------------------------------------------
    async def run(self) -> bool:
        run = self.report.run
        browser_steps = [n for n in PANEL_STEPS if n not in ("start_stack", "stop_stack")]
        try:
            if await run("start_stack", self.start_stack):
                async with chromium_context() as context:
                    self.page = context.pages[0] if context.pages else await context.new_page()
                    self.page.set_default_timeout(UI_TIMEOUT_MS)
                    for name in browser_steps:
                        if not await run(name, getattr(self, name)):
                            try:
                                await self.page.screenshot(
                                    path=str(self.out / f"FAILED-{name}.png")
                                )
                            except Exception as err:  # the page may be gone
                                print(f"panel e2e: no failure screenshot: {err}", file=sys.stderr)
                    self.page = None
            else:
                for name in browser_steps:
                    await run(name, getattr(self, name))
        finally:
            await run("stop_stack", self.stop_stack, always=True)
        figures = {
            key: value
            for result in self.report.steps.values()
            for key, value in result.details.items()
            if key.startswith(("panel_first_data", "log_latency"))
        }
        (self.out / "figures.json").write_text(json.dumps(figures, indent=1))
        return all(result.ok for result in self.report.steps.values())


def main(argv: list[str] | None = None) -> int:
    """Run the panel scenario; exit status 0 only if every step passed."""
    parser = argparse.ArgumentParser(prog="python -m tests.e2e.panel_scenario", description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("build/e2e-panel"))
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for stale in args.out.glob("*.png"):
        stale.unlink()
    # Every expectation waits as long as a slow shared machine may need (Playwright's default: 5 s).
    expect.set_options(timeout=UI_TIMEOUT_MS)
    ok = asyncio.run(PanelScenario(args.out.resolve()).run())
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
