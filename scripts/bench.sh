#!/usr/bin/env bash
# Run every benchmark; each prints name=value lines (ratios and medians, never assertions).
set -uo pipefail
cd "$(dirname "$0")/.."
status=0
for b in benchmarks/bench_*.py; do
  [[ -e "$b" ]] || continue
  env_py=.venv/ha/bin/python
  head -n 5 "$b" | grep -q 'bench-env: addon' && env_py=.venv/addon/bin/python
  echo "== $b"
  "$env_py" "$b" || status=1
done
exit $status
