#!/usr/bin/env bash
# Re-resolve both environments from requirements/*.in and write the lock files.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >/dev/null  # makes sure uv is there
UV=.venv/tools/bin/uv
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
py313="$(scripts/find_python.sh 3.13 3.13.0)"; py311="$(scripts/find_python.sh 3.11)"
"$py313" -m venv "$tmp/ha"
"$UV" pip install --python "$tmp/ha/bin/python" -r requirements/ha.in
"$UV" pip freeze --python "$tmp/ha/bin/python" > requirements/ha.lock
"$py311" -m venv "$tmp/addon"
# The CPU torch wheel carries a local version (+cpu) that only the on-disk wheel offers.
sed 's/^torch==2.13.0$/torch==2.13.0+cpu/' requirements/addon.in > "$tmp/addon.in"
"$UV" pip install --python "$tmp/addon/bin/python" --find-links /opt/wheels -r "$tmp/addon.in"
# resemblyzer pulls the old `webrtcvad` sdist, which imports pkg_resources (gone from setuptools);
# `webrtcvad-wheels` provides the same module, so the old one is left out of the lock.
"$UV" pip freeze --python "$tmp/addon/bin/python" | grep -v '^webrtcvad==' > requirements/addon.lock
# A lock must name index releases only: a `name @ file://...` line ties it to one machine.
if grep -n ' @ file:' requirements/ha.lock requirements/addon.lock; then
  echo "lock: the lines above point at local files; install those packages from the index" >&2
  exit 1
fi
echo "lock: wrote requirements/ha.lock and requirements/addon.lock"
