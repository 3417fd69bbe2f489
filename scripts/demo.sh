#!/usr/bin/env bash
# The whole product on this machine: simulated Spark pair, diarizer add-on (cpu) and a real
# Home Assistant with spark_control added through its config flow. Ctrl-C stops everything.
# Options: --port N (default 8123, 0 = any free port), --no-addon, --state-dir DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/ha/bin/python -m demo "$@"
