#!/usr/bin/env bash
# Run the given pytest arguments on both Home Assistant versions the integration supports,
# one after the other (default: tests/ha). For work on the HA layer, e.g.
#   bash scripts/test_ha.sh tests/ha/test_platforms.py -x -q
#   bash scripts/test_ha.sh tests/ha --snapshot-update     (then review the .ambr diff per version)
# Exits non-zero if either version fails.
set -uo pipefail
cd "$(dirname "$0")/.."
export PYTHONDONTWRITEBYTECODE=1
(($#)) || set -- tests/ha
status=0
for env in ha ha2026; do
  py=".venv/$env/bin/python"
  echo "== $("$py" -c 'from homeassistant.const import __version__; print("Home Assistant", __version__)')"
  "$py" -m pytest -p no:cacheprovider "$@" || status=1
done
exit $status
