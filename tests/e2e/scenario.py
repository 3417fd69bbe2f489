"""The browser scenario: `python -m tests.e2e.scenario --out build/e2e`.

Runs the demo stack (fast simulator timings), drives Home Assistant's real frontend in the system
Chromium like a user, and writes report.json plus screenshots to --out. Exit 0 only if every step
passed. Runs as its own process so the pytest side keeps no threads, tasks or sockets of it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from playwright.async_api import Page, expect

from demo.catalog import INITIAL_MODEL, SECOND_MODEL
from demo.procs import MARKER_VAR, find_marked
from demo.sample import ensure_sample
from demo.stack import Stack, StackOptions, running
from tests.e2e.browser import chromium_context
from tests.e2e.report import Report, StepResult
from tests.e2e.ui import UI_TIMEOUT_MS, fill, flow_dialog, login, see, shot, submit

STATE_TIMEOUT_S = 180.0
FINAL_STEP = "stop_leaves_nothing"
KEY_LINE = re.compile(r"ssh-ed25519\s+AAAA[0-9A-Za-z+/=]+(?:\s+\S+@\S+)?")


class Scenario:
    """Every step of the E2E run; state shared between steps lives here."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.report = Report(out / "report.json")
        self.stack = Stack(
            StackOptions(state_dir=out / "stack", vllm_load_seconds=3.0, download_seconds=2.0)
        )
        self.page: Page | None = None
        self.entities: dict[str, str] = {}

    # plumbing -------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        """Home Assistant's base URL."""
        return running(self.stack.hass, "Home Assistant").url

    @property
    def ui(self) -> Page:
        """The browser tab."""
        return running(self.page, "the browser page")

    def entity(self, key: str) -> str:
        """entity_id for a unique-id suffix like `vllm_model`."""
        for unique_id, entity_id in self.entities.items():
            if unique_id.endswith("_" + key):
                return entity_id
        raise KeyError(f"no spark_control entity with key {key!r} in {sorted(self.entities)}")

    async def state(self, entity_id: str) -> dict[str, Any]:
        """Current state object from HA's REST API."""
        client = running(self.stack.client, "Home Assistant")
        found = await client.state(entity_id)
        if found is None:
            raise AssertionError(f"{entity_id} does not exist")
        return found

    async def wait_state(
        self, entity_id: str, wanted: str, seen: list[str] | None = None
    ) -> dict[str, Any]:
        """Poll until the entity's state is `wanted`, recording every state seen on the way."""
        async with asyncio.timeout(STATE_TIMEOUT_S):
            while True:
                current = await self.state(entity_id)
                if seen is not None and (not seen or seen[-1] != current["state"]):
                    seen.append(current["state"])
                if current["state"] == wanted:
                    return current
                await asyncio.sleep(0.3)

    async def goto(self, path: str) -> None:
        """Open a frontend path."""
        await self.ui.goto(self.url + path)

    # steps ----------------------------------------------------------------------------------
    async def start_stack(self, step: StepResult) -> None:
        """Sparks, add-on and a fresh HA on spare ports; owner onboarded."""
        await self.stack.start()
        step.details["ha_url"] = self.url

    async def login(self, step: StepResult) -> None:
        """Log in on the real login page."""
        owner = self.stack.options.owner
        await login(self.ui, self.url, owner.username, owner.password)

    async def add_integration_ui(self, step: StepResult) -> None:
        """Settings → Add integration → Spark Control, then every flow step in the dialog."""
        page, pair = self.ui, running(self.stack.pair, "the simulated pair")
        await self.goto("/config/integrations/dashboard")
        await page.get_by_role("button", name=re.compile("add integration", re.I)).click()
        picker = page.locator("dialog-add-integration")
        await picker.locator("input").first.fill("Spark Control")
        await picker.get_by_text("Spark Control", exact=True).first.click()
        dialog = flow_dialog(page)
        await see(dialog, "Connect to your DGX Spark pair")
        address = self.stack.flow_address()
        await fill(dialog, "textbox", "Head Spark host", address["head_host"])
        await fill(dialog, "textbox", "Worker Spark host", address["worker_host"])
        await fill(dialog, "spinbutton", "SSH port", str(address["ssh_port"]))
        await fill(dialog, "spinbutton", "Worker SSH port", str(address["worker_ssh_port"]))
        await fill(dialog, "textbox", "SSH user on the head Spark", address["username"])
        await fill(dialog, "spinbutton", "vLLM port", str(address["vllm_port"]))
        await shot(page, self.out / "flow-1-addresses.png")
        await submit(dialog)
        # The public key, shown for the user to copy into authorized_keys on both Sparks.
        await see(dialog, "Authorise the key on both Sparks")
        match = KEY_LINE.search(" ".join(await dialog.locator("code").all_inner_texts()))
        if match is None:
            raise AssertionError("the public-key step shows no ssh-ed25519 line")
        public_key = " ".join(match.group(0).split())
        step.details["public_key"] = public_key
        await shot(page, self.out / "flow-2-public-key.png")
        self.stack.authorize(public_key)
        await submit(dialog)
        # Host keys: what the flow shows must be what each Spark's ssh-keygen -lf prints.
        await see(dialog, "Confirm the host keys")
        text = " ".join(await dialog.locator("code").all_inner_texts())
        for node, fingerprint in self.stack.fingerprints().items():
            if fingerprint not in text:
                raise AssertionError(f"{node} fingerprint {fingerprint} not shown: {text}")
        await shot(page, self.out / "flow-3-host-keys.png")
        await submit(dialog)
        await see(dialog, "Speech services and add-on")
        await fill(dialog, "spinbutton", "Parakeet port", str(pair.parakeet_port))
        await fill(dialog, "spinbutton", "Magpie port", str(pair.magpie_port))
        if self.stack.addon is not None:
            await fill(dialog, "textbox", "Diarizer URL", self.stack.addon.url)
        await shot(page, self.out / "flow-4-services.png")
        await submit(dialog)
        # The last screen: "Success" / "Created configuration" to 2025.x; "Devices created" in 2026
        await see(dialog, re.compile(r"(Created configuration|Success|Devices created)", re.I))
        await dialog.get_by_role("button", name=re.compile("finish", re.I)).click()
        await self.stack.wait_loaded()
        self.entities = await self.stack.entity_ids()
        step.details["entities"] = len(self.entities)
        entries = await running(self.stack.client, "HA").get("/api/config/config_entries/entry")
        self.stack.entry_id = next(e["entry_id"] for e in entries if e["domain"] == "spark_control")

    async def integration_page(self, step: StepResult) -> None:
        """The integration's page lists the cluster entry and its devices."""
        await self.goto("/config/integrations/integration/spark_control")
        await see(self.ui, re.compile(r"Spark cluster 127\.0\.0\.1"))
        await shot(self.ui, self.out / "integration.png")

    async def _device_id(self, name: str) -> str:
        client = running(self.stack.client, "HA")
        devices = await client.ws_command({"type": "config/device_registry/list"})
        for device in devices:
            if device["name"] == name and any(
                i[0] == "spark_control" for i in device["identifiers"]
            ):
                return str(device["id"])
        raise AssertionError(f"no device named {name!r}")

    async def device_page_live_values(self, step: StepResult) -> None:
        """The vLLM cluster device page shows its entities with live values."""
        await self.goto(f"/config/devices/device/{await self._device_id('vLLM cluster')}")
        page = self.ui
        await see(page, "vLLM cluster")
        seen: list[str] = []
        await self.wait_state(self.entity("vllm_model"), INITIAL_MODEL, seen)
        step.details["model_states_seen"] = seen
        shown = page.locator("ha-select .mdc-select__selected-text").first
        await expect(shown).to_have_text(INITIAL_MODEL, timeout=UI_TIMEOUT_MS)
        for key in ("vllm_swap_state", "vllm_ready", "vllm_context_length"):
            current = await self.state(self.entity(key))
            if current["state"] in ("unavailable", "unknown"):
                raise AssertionError(f"{current['entity_id']} is {current['state']}")
            step.details[key] = current["state"]
        await see(page, "Swap state")
        await see(page, "Loaded context length")
        await shot(page, self.out / "device.png")

    async def swap_model_via_select(self, step: StepResult) -> None:
        """Pick another model in the select; swap state reaches ready, the select follows."""
        page = self.ui
        select = page.locator("ha-select").first
        await select.click()
        await page.get_by_role("option", name=SECOND_MODEL).filter(visible=True).first.click()
        seen: list[str] = []
        await self.wait_state(self.entity("vllm_swap_state"), "ready", seen)
        step.details["swap_states_seen"] = seen
        await self.wait_state(self.entity("vllm_model"), SECOND_MODEL)
        shown = select.locator(".mdc-select__selected-text")
        await expect(shown).to_have_text(SECOND_MODEL, timeout=UI_TIMEOUT_MS)
        await see(page, "Ready")
        await shot(page, self.out / "device-after-swap.png")

    async def toggle_parakeet(self, step: StepResult) -> None:
        """Turn the Parakeet switch off and on in the UI; its readiness follows."""
        await self.goto(f"/config/devices/device/{await self._device_id('Parakeet')}")
        page = self.ui
        toggle = page.get_by_role("switch").first
        ready = self.entity("parakeet_ready")
        await expect(toggle).to_be_checked(timeout=UI_TIMEOUT_MS)
        await toggle.click()
        await self.wait_state(ready, "off")
        await expect(toggle).not_to_be_checked(timeout=UI_TIMEOUT_MS)
        await toggle.click()
        await self.wait_state(ready, "on")
        await expect(toggle).to_be_checked(timeout=UI_TIMEOUT_MS)
        step.details["parakeet_ready"] = "off then on"

    async def rest_sensor_base_url(self, step: StepResult) -> None:
        """The REST sensor (long-lived token) shows the discovery JSON's vLLM base_url."""
        client = running(self.stack.client, "HA")
        endpoints = await client.get("/api/spark_control/endpoints", self.stack.rest_token)
        base_url = endpoints["vllm"]["base_url"]
        pair = running(self.stack.pair, "the simulated pair")
        if base_url != f"{pair.vllm_url}/v1":
            raise AssertionError(f"discovery base_url {base_url!r} != {pair.vllm_url}/v1")
        await client.call_service(
            "homeassistant", "update_entity", {"entity_id": "sensor.spark_vllm_base_url"}
        )
        await self.wait_state("sensor.spark_vllm_base_url", base_url)
        step.details["base_url"] = base_url

    async def health_report_in_logbook(self, step: StepResult) -> None:
        """A health report POSTed with curl shows up in the logbook."""
        body = '{"service": "parakeet", "ok": false, "source": "e2e-curl", "error": "HTTP 503"}'
        proc = await asyncio.create_subprocess_exec(
            "curl", "-sS", "--fail-with-body", "-X", "POST",
            "-H", f"Authorization: Bearer {self.stack.rest_token}",
            "-H", "content-type: application/json", "-d", body,
            f"{self.url}/api/spark_control/health_event",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        out, _ = await asyncio.wait_for(proc.communicate(), 30)
        step.details["curl"] = out.decode(errors="replace")
        if proc.returncode != 0:
            raise AssertionError(f"curl failed ({proc.returncode}): {out!r}")
        # The logbook page stitches a history query and a live stream; an entry recorded while the
        # page subscribes can miss both (seen once in CI). A user would press reload: so do we.
        entry = "reported that parakeet failed (HTTP 503) for e2e-curl"
        for attempt in range(3):
            await self.goto("/logbook")
            try:
                await see(self.ui, entry, timeout_ms=20_000)
                break
            except AssertionError:
                if attempt == 2:
                    raise
        step.details["logbook_loads"] = attempt + 1
        await shot(self.ui, self.out / "logbook.png")

    async def dashboard(self, step: StepResult) -> None:
        """The example dashboard (docs/dashboard.yaml) renders every entity it names."""
        await self.goto("/spark-cluster/cluster")
        page = self.ui
        await see(page, "Loaded model")
        await see(page, SECOND_MODEL)
        base_url = step_detail(self.report, "rest_sensor_base_url", "base_url")
        await see(page, base_url)
        warnings = page.locator("hui-warning")
        if await warnings.count():
            raise AssertionError(f"dashboard warnings: {await warnings.all_inner_texts()}")
        await shot(page, self.out / "dashboard.png")

    async def blueprint_notifies(self, step: StepResult) -> None:
        """The swap-failed blueprint turns a failed swap event into a notification."""
        client = running(self.stack.client, "HA")
        automation = await self.state("automation.tell_me_when_a_spark_model_swap_fails")
        if automation["state"] != "on":
            raise AssertionError(f"blueprint automation is {automation['state']}")
        await client.post(
            "/api/events/spark_control_swap",
            {
                "config_entry_id": self.stack.entry_id,
                "state": "failed",
                "model": "Qwen/Qwen2.5-72B-Instruct",
                "error": "torch.OutOfMemoryError: CUDA out of memory",
            },
        )
        page = self.ui
        await page.locator("ha-sidebar").get_by_text("Notifications", exact=True).first.click()
        await see(page, "Loading Qwen/Qwen2.5-72B-Instruct on the Spark cluster failed")
        await shot(page, self.out / "notification.png")

    async def blueprint_swaps_back(self, step: StepResult) -> None:
        """The time-of-day blueprint, run now, swaps back to the first model (conditions pass)."""
        client = running(self.stack.client, "HA")
        automation = "automation.load_the_default_spark_model_at_night"
        if (await self.state(automation))["state"] != "on":
            raise AssertionError(f"{automation} is not on")
        await client.call_service(
            "automation", "trigger", {"entity_id": automation, "skip_condition": False}
        )
        seen: list[str] = []
        await self.wait_state(self.entity("vllm_model"), INITIAL_MODEL, seen)
        await self.wait_state(self.entity("vllm_swap_state"), "ready")
        step.details["model_states_seen"] = seen

    async def relay_cli_via_discovery(self, step: StepResult) -> None:
        """The relay CLI finds the add-on through HA's discovery JSON and diarizes the sample."""
        sample = ensure_sample()
        await self.stack.wait_addon()
        # The add-on answering is not enough: discovery says "ready" once HA's next poll saw it.
        client = running(self.stack.client, "HA")
        for _ in range(120):
            endpoints = await client.get("/api/spark_control/endpoints", self.stack.rest_token)
            if (endpoints.get("diarizer") or {}).get("ready"):
                break
            await asyncio.sleep(0.5)
        else:
            raise AssertionError(f"discovery never saw the add-on ready: {endpoints}")
        env = {**os.environ, "SPARK_CONTROL_TOKEN": self.stack.rest_token or ""}
        env.pop(MARKER_VAR, None)
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "relay_lib", str(sample), "--discover", self.url,
            "--format", "srt", "--no-progress",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env,
        )  # fmt: skip
        out, err = await asyncio.wait_for(proc.communicate(), 240)
        text = out.decode(errors="replace")
        step.details["stderr"] = err.decode(errors="replace")[-2000:]
        step.details["srt_head"] = text[:600]
        if proc.returncode != 0:
            raise AssertionError(f"relay_lib exited {proc.returncode}: {step.details['stderr']}")
        if "-->" not in text:
            raise AssertionError("relay_lib printed no SRT cues")

    async def reconfigure_placement_ui(self, step: StepResult) -> None:
        """Entry menu → Reconfigure → services: Parakeet moves to "another host" (watch-only)."""
        page, pair = self.ui, running(self.stack.pair, "the simulated pair")
        await self.goto("/config/integrations/integration/spark_control")
        row = page.locator("ha-md-list-item").filter(has_text=re.compile(r"Spark cluster 127"))
        await row.get_by_role("button", name=re.compile(r"^\s*menu\s*$", re.I)).first.click()
        await page.get_by_text("Reconfigure", exact=True).filter(visible=True).first.click()
        dialog = flow_dialog(page)
        await see(dialog, "Reconfigure the Spark cluster")
        await dialog.get_by_text("Where Parakeet, Magpie and the diarizer run").first.click()
        await see(dialog, "Speech services and add-on")
        await dialog.locator("ha-select").filter(has_text="Parakeet runs on").first.click()
        await page.get_by_role("option", name="Another host").filter(visible=True).first.click()
        await fill(dialog, "textbox", "Parakeet host", "127.0.0.1")
        await shot(page, self.out / "reconfigure-services.png")
        await submit(dialog)
        await see(dialog, re.compile(r"Re-configuration was successful", re.I))
        await dialog.get_by_role("button", name=re.compile("finish|close", re.I)).first.click()
        await self.stack.wait_loaded()
        client = running(self.stack.client, "HA")
        diagnostics = await client.get(
            f"/api/diagnostics/config_entry/{self.stack.entry_id}", self.stack.rest_token
        )
        data = diagnostics["data"]["entry"]["data"]
        step.details["parakeet_node"] = data["parakeet_node"]
        if data["parakeet_node"] != "other":
            raise AssertionError(f"entry not reconfigured: parakeet_node={data['parakeet_node']}")
        # Diagnostics redact hosts and ports; the address in use is what discovery advertises.
        endpoints = await client.get("/api/spark_control/endpoints", self.stack.rest_token)
        base_url = endpoints["parakeet"]["base_url"] or ""
        step.details["parakeet_base_url"] = base_url
        if not base_url.startswith(f"http://127.0.0.1:{pair.parakeet_port}"):
            raise AssertionError(f"discovery does not follow the new placement: {base_url!r}")
        await self.wait_state(self.entity("parakeet_ready"), "on")

    async def stop_leaves_nothing(self, step: StepResult) -> None:
        """Stopping the stack leaves no process of it running."""
        await self.stack.stop()
        sim_root = self.stack.state_dir / "sim"
        needles = [f"{MARKER_VAR}={self.stack.marker}", f"SPARK_SIM_ROOT={sim_root}"]
        step.details["killed_by_sweep"] = self.stack.leftovers
        if self.stack.leftovers:
            raise AssertionError(f"processes outlived a clean stop: {self.stack.leftovers}")
        if left := find_marked(needles):
            raise AssertionError(f"processes still running after stop: {left}")

    # driver ---------------------------------------------------------------------------------
    async def run(self) -> bool:
        """Every step in order (each records "not reached" after a failure); always stop."""
        run = self.report.run
        browser_steps = [n for n in self.report.steps if n not in ("start_stack", FINAL_STEP)]
        try:
            if await run("start_stack", self.start_stack):
                async with chromium_context() as context:
                    self.page = context.pages[0] if context.pages else await context.new_page()
                    self.page.set_default_timeout(UI_TIMEOUT_MS)
                    for name in browser_steps:
                        if not await run(name, getattr(self, name)):
                            await _failure_shot(self.page, self.out / f"FAILED-{name}.png")
                    self.page = None
            else:
                for name in browser_steps:
                    await run(name, getattr(self, name))
        finally:
            await run(FINAL_STEP, self.stop_leaves_nothing, always=True)
        return all(result.ok for result in self.report.steps.values())


def _twelve_hours_from_now() -> str:
    """A time the nightly-swap automation cannot reach during a run (the test triggers it)."""
    return (datetime.now(UTC) + timedelta(hours=12)).strftime("%H:%M:%S")


def step_detail(report: Report, step: str, key: str) -> str:
    """A value an earlier step recorded."""
    return str(report.steps[step].details[key])


async def _failure_shot(page: Page, path: Path) -> None:
    try:
        await page.screenshot(path=str(path))
    except Exception as err:  # the page may be gone; the report already says why
        print(f"e2e: no failure screenshot: {err}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """Run the scenario; exit status 0 only if every step passed."""
    parser = argparse.ArgumentParser(prog="python -m tests.e2e.scenario", description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("build/e2e"))
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for stale in args.out.glob("*.png"):  # screenshots are this run's or none
        stale.unlink()
    ok = asyncio.run(Scenario(args.out.resolve()).run())
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
