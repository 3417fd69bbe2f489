#!/usr/bin/env bash
# Install the Debian packages the product and its tests need, when they are missing.
#
# As root: apt-get. Otherwise through sudo, when sudo works without a password prompt.
# Otherwise: stop at once, before anything is built, and print the one command to run.
# Prints what it installed. `--check` only lists what is missing (exit 1 if anything is).
set -euo pipefail
cd "$(dirname "$0")/.."

# What each package is for (the tests fail without them, never skip):
#   openssh-server/-client  the simulated Sparks are real sshd processes
#   espeak-ng sox           synthetic conversations for the relay and add-on tests
#   ffmpeg libsndfile1      audio decoding in relay_lib and the add-on
#   chromium fonts-liberation  the browser end-to-end test and its screenshots
#   python3-venv            environments from the system Python 3.11
#   curl procps git make    the demo's curl lines, process handling, the Makefile
#   mawk                    a Spark's awk (DGX OS): the simulated Sparks run it as `awk`
packages=(
  openssh-server openssh-client espeak-ng sox ffmpeg libsndfile1 chromium fonts-liberation
  python3-venv curl procps git make mawk
)
# Node.js and npm build the panel (frontend/) and bring axe-core for the browser test; the
# machines' own Node.js (20) is used where present, else Debian's.
if ! command -v npm >/dev/null 2>&1; then
  packages+=(nodejs npm)
fi
# Building CPython 3.13.5 (scripts/python313.sh) needs a compiler and the headers of every
# stdlib extension Home Assistant imports — only where no Python 3.13.5 is there yet.
if ! bash scripts/python313.sh --probe >/dev/null 2>&1; then
  packages+=(
    dpkg-dev build-essential pkg-config libssl-dev zlib1g-dev libbz2-dev libreadline-dev
    libsqlite3-dev libffi-dev liblzma-dev uuid-dev libncurses-dev libexpat1-dev
  )
fi

missing=()
for p in "${packages[@]}"; do
  status="$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)"
  [[ "$status" == "installed" ]] || missing+=("$p")
done

if [[ "${1:-}" == "--check" ]]; then
  ((${#missing[@]} == 0)) && exit 0
  echo "${missing[*]}"
  exit 1
fi

# The private sshd of the simulated Sparks wants /run/sshd when it runs as root.
if [[ "$(id -u)" == 0 && ! -d /run/sshd ]]; then mkdir -p /run/sshd; fi

if ((${#missing[@]} == 0)); then
  echo "setup: Debian packages present"
  exit 0
fi

if [[ "$(id -u)" == 0 ]]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  as_root=(sudo)
else
  echo "setup: these Debian packages are missing: ${missing[*]}" >&2
  echo "setup: nothing was built. Run this once, then run make again:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi

echo "setup: installing Debian packages: ${missing[*]}"
t0=$SECONDS
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  "${missing[@]}" >/dev/null
[[ -d /run/sshd ]] || "${as_root[@]}" mkdir -p /run/sshd
echo "setup: installed ${missing[*]} in $((SECONDS - t0)) s"
