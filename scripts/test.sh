#!/usr/bin/env bash
# Run the whole suite: the integration environment (HA, Spark client, simulator, relay_lib)
# and the add-on environment (gpu_addon, relay end-to-end). Exits non-zero if either fails
# and closes with one combined "N passed, N failed" line.
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p build/test
rm -f build/test/*.xml
export PYTHONDONTWRITEBYTECODE=1

status=0
echo "== integration environment (Python 3.13, Home Assistant 2025.4.4)"
.venv/ha/bin/python -m pytest tests --ignore=tests/addon \
  --junitxml=build/test/ha.xml -p no:cacheprovider "$@" || status=1

echo "== add-on environment (Python 3.11, torch CPU, NeMo)"
if compgen -G "tests/addon/test_*.py" >/dev/null || compgen -G "tests/addon/**/test_*.py" >/dev/null; then
  .venv/addon/bin/python -m pytest tests/addon \
    --junitxml=build/test/addon.xml -p no:cacheprovider "$@" || status=1
fi

.venv/ha/bin/python scripts/junit_summary.py build/test/*.xml || status=1
exit $status
