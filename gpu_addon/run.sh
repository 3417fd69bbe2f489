#!/usr/bin/env bash
# Entry point of the add-on and of the plain container. Settings come from the add-on's
# /data/options.json (written by Home Assistant) or from SPARK_DIARIZER_* environment variables;
# the service parses and validates them itself, so no option value is ever expanded by this shell.
set -euo pipefail
port="${SPARK_DIARIZER_PORT:-8010}"
if [[ ! "${port}" =~ ^[0-9]{1,5}$ ]]; then
  echo "SPARK_DIARIZER_PORT must be a number, got: ${port}" >&2
  exit 2
fi
exec python3 -m spark_diarizer --port "${port}" "$@"
