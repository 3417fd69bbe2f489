#!/usr/bin/env bash
# Re-resolve the environments from requirements/*.in and write the lock files.
# `scripts/lock.sh` does all three; `scripts/lock.sh ha2026` (or ha, addon) only the ones named.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >/dev/null  # makes sure uv and Python 3.13.5 are there
UV=.venv/tools/bin/uv
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
wanted=("$@"); ((${#wanted[@]})) || wanted=(ha ha2026 addon)

# freeze_env NAME PYTHON IN LOCK: install IN into a scratch env and freeze it into LOCK.
freeze_env() {
  local name="$1" python="$2" in="$3" lock="$4"
  "$python" -m venv --without-pip "$tmp/$name"
  "$UV" pip install --python "$tmp/$name/bin/python" -r "$in"
  "$UV" pip freeze --python "$tmp/$name/bin/python" > "$lock"
}

for env in "${wanted[@]}"; do
  case "$env" in
    ha) freeze_env ha "$(scripts/find_python.sh 3.13 3.13.0)" requirements/ha.in requirements/ha.lock ;;
    ha2026) freeze_env ha2026 "$(bash scripts/python313.sh)" requirements/ha2026.in requirements/ha2026.lock ;;
    addon)
      py311="$(scripts/find_python.sh 3.11)"
      # Resolved against the local CPU wheel of torch (+cpu local version) where there is one.
      sed 's/^torch==\(.*\)$/torch==\1+cpu/' requirements/addon.in > "$tmp/addon.in"
      "$py311" -m venv "$tmp/addon"
      "$UV" pip install --python "$tmp/addon/bin/python" --find-links "${TORCH_WHEEL_DIR:-/opt/wheels}" -r "$tmp/addon.in"
      # resemblyzer pulls the old `webrtcvad` sdist, which imports pkg_resources (gone from setuptools);
      # `webrtcvad-wheels` provides the same module, so the old one is left out of the lock.
      "$UV" pip freeze --python "$tmp/addon/bin/python" | grep -v '^webrtcvad==' \
        | sed 's/^torch==\(.*\)+cpu$/torch==\1/' > "$tmp/addon.lock"
      # The lock names the registry's torch, so it installs on machines without the local wheel.
      # The registry's torch is a CUDA build: its extra packages (same versions as everything else
      # in the lock) go in a last section that setup leaves out where the local CPU wheel is used.
      grep '^torch==' "$tmp/addon.lock" > "$tmp/torch.in"
      grep -v '^torch==' "$tmp/addon.lock" > "$tmp/constraints.txt"
      "$UV" pip compile -q --no-header --no-annotate --python-version 3.11 \
        --python-platform x86_64-manylinux_2_28 -c "$tmp/constraints.txt" "$tmp/torch.in" > "$tmp/registry.txt"
      cut -d= -f1 "$tmp/addon.lock" | tr 'A-Z_.' 'a-z--' > "$tmp/names.txt"
      {
        cat "$tmp/addon.lock"
        echo "# cuda-only: what the registry's torch (a CUDA build) adds; setup leaves these out where a local CPU wheel of torch is used"
        while IFS= read -r line; do
          name="$(cut -d= -f1 <<<"$line" | tr 'A-Z_.' 'a-z--')"
          grep -qxF "$name" "$tmp/names.txt" || echo "$line"
        done < "$tmp/registry.txt"
      } > requirements/addon.lock
      ;;
    *) echo "lock: unknown environment $env (ha, ha2026, addon)" >&2; exit 2 ;;
  esac
  echo "lock: wrote the $env lock"
done

# A lock must name index releases only: a `name @ file://...` line ties it to one machine.
if grep -n ' @ file:' requirements/*.lock; then
  echo "lock: the lines above point at local files; install those packages from the index" >&2
  exit 1
fi
