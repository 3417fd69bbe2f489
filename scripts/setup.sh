#!/usr/bin/env bash
# Create or refresh the two virtual environments from their lock files.
# Idempotent: an environment whose lock file has not changed since its last install is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
VENV="$ROOT/.venv"
UV_VERSION="0.13.9"
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
  [[ -x "$dir/bin/python" ]] || "$python" -m venv "$dir"
  "$UV" pip sync --quiet --python "$dir/bin/python" "$@" "$lock"
  # The repository root (and the add-on folder) go on sys.path through a .pth file, so
  # `python -m relay_lib`, `python -m spark_sim` and the add-on run from anywhere.
  local site; site="$("$dir/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
  printf '%s\n%s\n' "$ROOT" "$ROOT/gpu_addon" > "$site/spark_control_repo.pth"
  echo "$want" > "$stamp"
  echo "setup: $name environment ready in $((SECONDS - t0)) s"
}

make_env ha "$(scripts/find_python.sh 3.13 3.13.0)" requirements/ha.lock
# torch 2.13.0+cpu is the CPU wheel on this machine's disk; uv must be told where it lies.
find_links=()
for d in /opt/wheels ${TORCH_WHEEL_DIR:-}; do [[ -d "$d" ]] && find_links+=(--find-links "$d"); done
make_env addon "$(scripts/find_python.sh 3.11)" requirements/addon.lock "${find_links[@]}"
.venv/addon/bin/python -m evalkit.realspeech fetch  # real-speech evaluation set (pinned sdists, sha256-checked): evalkit/README.md
