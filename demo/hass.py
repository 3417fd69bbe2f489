"""A real Home Assistant for the demo: an offline config dir, the `hass` process, onboarding."""

from __future__ import annotations

import asyncio
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from demo.catalog import INITIAL_MODEL
from demo.haclient import HAClient
from demo.procs import ManagedProcess

REPO_ROOT = Path(__file__).resolve().parent.parent
INTEGRATION = REPO_ROOT / "custom_components" / "spark_control"
DOCS = REPO_ROOT / "docs"
DASHBOARD_FILE = "spark_dashboard.yaml"
# The REST sensor example in docs/ names this address; the demo swaps in its own.
DOCS_HA_URL = "http://homeassistant.local:8123"

CONFIGURATION = """\
homeassistant:
  name: Spark Control demo
  time_zone: UTC
  latitude: 52.37
  longitude: 4.89
  elevation: 0
  unit_system: metric
  country: NL
  currency: EUR
  packages: !include_dir_named packages
http:
  server_host: 127.0.0.1
  server_port: {port}
frontend:
config:
history:
logbook:
recorder:
  commit_interval: 1
  purge_keep_days: 1
automation: !include automations.yaml
logger:
  default: warning
  logs:
    custom_components.spark_control: info
    homeassistant.components.rest: info
lovelace:
  mode: storage
  dashboards:
    spark-cluster:
      mode: yaml
      filename: {dashboard}
      title: Spark cluster
      icon: mdi:expansion-card
      show_in_sidebar: true
"""

AUTOMATIONS = f"""\
- id: spark_control_swap_failed_demo
  alias: Tell me when a Spark model swap fails
  use_blueprint:
    path: spark_control/swap_failed_notify.yaml
    input:
      title: Spark model swap failed
- id: spark_control_nightly_model_demo
  alias: Load the default Spark model at night
  use_blueprint:
    path: spark_control/swap_model_at_time.yaml
    input:
      model_select: select.vllm_cluster_model
      swap_state: sensor.vllm_cluster_swap_state
      model: {INITIAL_MODEL}
      at: "{{nightly_at}}"
"""


@dataclass(frozen=True)
class Owner:
    """The demo's owner account."""

    name: str = "Demo Owner"
    username: str = "demo"
    password: str = "demo-password"  # noqa: S105 - the demo's published login


def write_config(config_dir: Path, port: int, nightly_at: str = "03:00:00") -> None:
    """Offline config: onboarding all but done, our integration, dashboard, blueprint, REST."""
    storage = config_dir / ".storage"
    storage.mkdir(parents=True, exist_ok=True)
    onboarding = {
        "version": 4,
        "minor_version": 1,
        "key": "onboarding",
        "data": {"done": ["core_config", "analytics", "integration"]},
    }
    (storage / "onboarding").write_text(json.dumps(onboarding))
    (config_dir / "configuration.yaml").write_text(
        CONFIGURATION.format(port=port, dashboard=DASHBOARD_FILE)
    )
    (config_dir / "automations.yaml").write_text(AUTOMATIONS.format(nightly_at=nightly_at))
    # A placeholder until onboarding gives us a token (install_rest_token replaces it).
    (config_dir / "secrets.yaml").write_text('spark_control_bearer: "Bearer not-yet"\n')
    components = config_dir / "custom_components"
    components.mkdir(exist_ok=True)
    link = components / "spark_control"
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(INTEGRATION, target_is_directory=True)
    shutil.copyfile(DOCS / "dashboard.yaml", config_dir / DASHBOARD_FILE)
    blueprints = config_dir / "blueprints" / "automation" / "spark_control"
    blueprints.mkdir(parents=True, exist_ok=True)
    for blueprint in (DOCS / "blueprints" / "automation" / "spark_control").glob("*.yaml"):
        shutil.copyfile(blueprint, blueprints / blueprint.name)
    packages = config_dir / "packages"
    packages.mkdir(exist_ok=True)
    rest = (DOCS / "rest_sensor.yaml").read_text()
    # A host name on purpose: it exercises HA's DNS resolver (the pycares<5 pin).
    (packages / "spark_rest.yaml").write_text(rest.replace(DOCS_HA_URL, f"http://localhost:{port}"))


def install_rest_token(config_dir: Path, token: str) -> None:
    """Give the REST sensor its long-lived token (read by `rest.reload`)."""
    (config_dir / "secrets.yaml").write_text(f'spark_control_bearer: "Bearer {token}"\n')


class HomeAssistantProcess:
    """`hass --config DIR --skip-pip` bound to 127.0.0.1:port."""

    def __init__(self, config_dir: Path, port: int, python: Path, log_dir: Path) -> None:
        self.config_dir = config_dir
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        hass_bin = python.parent / "hass"
        self.process = ManagedProcess(
            "home-assistant",
            [str(hass_bin), "--config", str(config_dir), "--skip-pip"],
            log_dir / "home-assistant.log",
        )

    async def wait_ready(self, client: HAClient, timeout_s: float = 300.0) -> None:
        """Poll /manifest.json until it answers (or the process dies)."""
        async with asyncio.timeout(timeout_s):
            while not await client.ready():
                self.process.check_alive()
                await asyncio.sleep(0.5)
