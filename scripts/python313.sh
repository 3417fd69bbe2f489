#!/usr/bin/env bash
# Print the path of a CPython 3.13.5 interpreter, building it once if the machine has none.
#
# Home Assistant 2026.2 needs Python >= 3.13.2; Debian 12 ships 3.11 only. Debian 13's own
# `python3.13` (3.13.5) is used where installed. Otherwise Debian's trixie source package (the
# same sources, with Debian's security patches) is fetched with `apt-get source` through a
# private apt configuration — the machine's own sources.list stays untouched — and built into
# the user's cache directory, where later set-ups, other clones and CI on this machine reuse it.
# Progress goes to stderr; stdout carries only the interpreter's path.
# `--probe`: print the path if one is there, exit 1 otherwise; never build.
set -euo pipefail

VERSION="3.13.5"
DEB_VERSION="3.13.5-2+deb13u5"
CACHE="${SPARK_CONTROL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/spark_control}"
PREFIX="$CACHE/python-$DEB_VERSION"
PY="$PREFIX/bin/python3.13"

say() { echo "python313: $*" >&2; }

version_of() { "$1" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])' 2>/dev/null; }

# Every stdlib module Home Assistant and its test plugin import at start-up.
check_modules() {
  "$1" -c 'import ssl, sqlite3, zlib, bz2, lzma, ctypes, uuid, readline, _decimal, hashlib, pyexpat, curses; hashlib.sha3_256' 2>/dev/null
}

# 1. An interpreter that is already there: an explicit one, Debian 13's, or the cached build.
for c in "${PYTHON3135:-}" /usr/bin/python3.13 /usr/local/bin/python3.13 "$PY"; do
  [[ -n "$c" && -x "$c" ]] || continue
  if [[ "$(version_of "$c")" == "$VERSION" ]] && check_modules "$c"; then
    echo "$c"
    exit 0
  fi
done

[[ "${1:-}" == "--probe" ]] && exit 1

# 2. Build it. One build at a time per cache directory: parallel set-ups wait for the first.
mkdir -p "$CACHE"
exec 9>"$CACHE/.python-build.lock"
flock 9
if [[ -x "$PY" && "$(version_of "$PY")" == "$VERSION" ]] && check_modules "$PY"; then
  echo "$PY"; exit 0
fi

command -v dpkg-source >/dev/null || { say "dpkg-source is missing (Debian package dpkg-dev)"; exit 1; }
command -v gcc >/dev/null || { say "gcc is missing (Debian package build-essential)"; exit 1; }

work="$(mktemp -d "$CACHE/.build-XXXXXX")"
trap 'rm -rf "$work"' EXIT
t0=$SECONDS

# A private apt configuration that knows only trixie's source entries.
apt_dir="$work/apt"
mkdir -p "$apt_dir/sources.list.d" "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" \
  "$apt_dir/preferences.d"
cat > "$apt_dir/sources.list.d/trixie-src.sources" <<'EOF'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: trixie trixie-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: trixie-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
apt_opts=(
  -o "Dir::Etc::sourcelist=/dev/null"
  -o "Dir::Etc::sourceparts=$apt_dir/sources.list.d"
  -o "Dir::Etc::preferencesparts=$apt_dir/preferences.d"
  -o "Dir::State::lists=$apt_dir/lists"
  -o "Dir::Cache=$apt_dir/cache"
  -o "Debug::NoLocking=1"
  -o "APT::Sandbox::User=$(id -un)"
)
say "fetching Debian's python3.13 $DEB_VERSION source package (trixie) with a private apt configuration"
apt-get "${apt_opts[@]}" -qq update >&2
(cd "$work" && apt-get "${apt_opts[@]}" -qq source "python3.13=$DEB_VERSION" >&2)
src="$(find "$work" -maxdepth 1 -type d -name "python3.13-$VERSION" | head -n1)"
[[ -n "$src" ]] || { say "the source package did not unpack"; exit 1; }

say "building CPython $VERSION into $PREFIX ($(nproc) cores; a few minutes, once per machine)"
jobs="$(nproc)"
(
  cd "$src"
  ./configure --prefix="$PREFIX" --with-ensurepip=no --disable-test-modules \
    --with-system-expat >"$work/configure.log" 2>&1
  make -j"$jobs" >"$work/make.log" 2>&1
  make install DESTDIR="$work/root" >"$work/install.log" 2>&1
) || { say "build failed; last lines:"; tail -n 30 "$work"/*.log >&2; exit 1; }

stage="$work/root$PREFIX"
if ! check_modules "$stage/bin/python3.13" && ! PYTHONHOME="$stage" check_modules "$stage/bin/python3.13"; then
  say "the build lacks a module Home Assistant needs:"; grep -A20 'necessary bits' "$work/make.log" >&2 || true
  exit 1
fi
rm -rf "$PREFIX"
mv "$stage" "$PREFIX"
elapsed=$((SECONDS - t0))
echo "$elapsed" > "$PREFIX/.build-seconds"
say "built CPython $VERSION in $elapsed s (cached in $PREFIX)"
check_modules "$PY" || { say "the installed interpreter does not start"; exit 1; }
echo "$PY"
