#!/usr/bin/env bash
# Run the whole suite: the integration environment on the oldest supported Home Assistant
# (HA, Spark client, simulator, relay_lib), the HA-dependent tests again on Home Assistant 2026,
# and the add-on environment (gpu_addon, relay end-to-end). Exits non-zero if any fails and
# closes with one combined "N passed, N failed" line and the time each part took.
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p build/test
rm -f build/test/*.xml
export PYTHONDONTWRITEBYTECODE=1

status=0
times=()
run() {  # run LABEL PYTHON ARGS...: one pytest session, timed
  local label="$1" py="$2"; shift 2
  local t0=$SECONDS
  "$py" -m pytest "$@" -p no:cacheprovider || status=1
  times+=("$label $((SECONDS - t0)) s")
}

echo "== integration environment (Python 3.13.0, Home Assistant 2025.4.4)"
run "ha-2025.4" .venv/ha/bin/python tests --ignore=tests/addon \
  --junitxml=build/test/ha.xml "$@"

# Everything that imports Home Assistant or starts it (unit, simulator, real sshd, browser):
# scripts/test_ha.sh runs the same set on both versions while working on the HA layer.
echo "== Home Assistant 2026 environment (Python 3.13.5, Home Assistant 2026.2.3)"
run "ha-2026.2" .venv/ha2026/bin/python tests/ha tests/e2e \
  --junitxml=build/test/ha2026.xml "$@"

echo "== add-on environment (Python 3.11, torch CPU, NeMo)"
if compgen -G "tests/addon/test_*.py" >/dev/null || compgen -G "tests/addon/**/test_*.py" >/dev/null; then
  run "addon" .venv/addon/bin/python tests/addon --junitxml=build/test/addon.xml "$@"
fi

printf "== time per part:"; printf " %s;" "${times[@]}"; echo
.venv/ha/bin/python scripts/junit_summary.py build/test/*.xml || status=1
exit $status
