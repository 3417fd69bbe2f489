#!/usr/bin/env bash
# Start the simulated Spark pair in the foreground and print how to reach every fake service.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p build/demo
exec .venv/ha/bin/python -m tests.spark_sim --state-dir build/demo "$@"
