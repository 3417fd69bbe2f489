"""What the demo prints once everything is up: where to look, how to log in, what to try."""

from __future__ import annotations

import shlex
from pathlib import Path

from demo.catalog import SECOND_MODEL
from demo.stack import Stack, running


def guide(stack: Stack, sample: Path) -> str:
    """A copy-pasteable tour of the running demo."""
    url = running(stack.hass, "Home Assistant").url
    pair = running(stack.pair, "the simulated pair")
    owner = stack.options.owner
    token_file = stack.state_dir / "token.txt"
    token_file.write_text((stack.rest_token or "") + "\n")
    token_file.chmod(0o600)
    auth = f'-H "Authorization: Bearer $(cat {shlex.quote(str(token_file))})"'
    addon = stack.addon.url if stack.addon is not None else "http://127.0.0.1:8010 (not started)"
    entry = stack.entry_id or "<entry id>"
    return f"""
================================================================================
 Spark Control demo is running.

 Home Assistant : {url}
 Log in as      : {owner.username} / {owner.password}
 Dashboard      : {url}/spark-cluster/cluster
 Integration    : {url}/config/integrations/integration/spark_control
 Logs           : {stack.logs}
 Simulated Sparks: head ssh 127.0.0.1:{pair.head.ssh_port}, worker ssh
                  127.0.0.1:{pair.worker.ssh_port}, vLLM {pair.vllm_url}
 Diarizer add-on: {addon}

 Things to try:
 1. Swap the model: on the dashboard pick "{SECOND_MODEL}" in the Model select and
    watch "Swap state" go stopping -> launching -> loading -> ready.
 2. Toggle Parakeet: switch "Parakeet Container" off and on; "Parakeet Ready" follows.
 3. Download a model (Developer tools -> Actions, or):
    curl -s -X POST {auth} -H 'content-type: application/json' \\
      -d '{{"config_entry_id": "{entry}", "repo_id": "Qwen/Qwen2.5-72B-Instruct"}}' \\
      {url}/api/services/spark_control/download_model
 4. Read the discovery JSON (what other apps use to find vLLM, STT, TTS):
    curl -s {auth} {url}/api/spark_control/endpoints
 5. Report a failure from another app; it shows in the logbook ({url}/logbook):
    curl -s -X POST {auth} -H 'content-type: application/json' \\
      -d '{{"service": "parakeet", "ok": false, "source": "open-webui", "error": "HTTP 503"}}' \\
      {url}/api/spark_control/health_event
 6. Diarize the bundled sample through the add-on with the relay CLI:
    .venv/ha/bin/python -m relay_lib {shlex.quote(str(sample))} --addon {addon} --format srt

 Press Ctrl-C to stop everything.
================================================================================
"""  # noqa: S608 - words like 'select' make ruff think of SQL; this is text for people
