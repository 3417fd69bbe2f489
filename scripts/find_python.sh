#!/usr/bin/env bash
# Print the path of a working interpreter for the wanted minor version ("3.13" or "3.11").
# The pyenv shim `python3.13` exits 127 unless 3.13 is selected, so every candidate is run
# once and its version checked before it is trusted.
set -euo pipefail
want="${1:?usage: find_python.sh 3.13|3.11}"
exact="${2:-}"   # optional exact patch version, e.g. 3.13.0

candidates=()
[[ "$want" == "3.13" && -n "${PYTHON313:-}" ]] && candidates+=("$PYTHON313")
[[ "$want" == "3.11" && -n "${PYTHON311:-}" ]] && candidates+=("$PYTHON311")
candidates+=("python$want")
if command -v pyenv >/dev/null 2>&1; then
  root="$(pyenv root 2>/dev/null || true)"
  for p in "$root"/versions/"$want"*/bin/python"$want"; do candidates+=("$p"); done
fi
for p in /usr/local/bin/python"$want" /usr/bin/python"$want" "$HOME"/.pyenv/versions/"$want"*/bin/python"$want"; do
  candidates+=("$p")
done
[[ "$want" == "3.11" ]] && candidates+=(python3)

for c in "${candidates[@]}"; do
  if v="$("$c" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])' 2>/dev/null)"; then
    if [[ "$v" == "$want".* && ( -z "$exact" || "$v" == "$exact" ) ]]; then
      "$c" -c 'import sys; print(sys.executable)'
      exit 0
    fi
  fi
done
echo "error: no working Python $want${exact:+ ($exact)} found (set PYTHON313/PYTHON311)" >&2
exit 1
