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
    entry = stack.entry_id or "<entry id>"
    state = shlex.quote(str(stack.options.state_dir))
    addon_line = (
        f" Diarizer add-on: {stack.addon.url}\n"
        if stack.addon is not None
        else " Diarizer add-on: not started (--no-addon)\n"
    )
    extra = [
        f"Talk to the cluster: open Assist ({url}, top right of a dashboard); the\n"
        '    "Spark Control" pipeline (Parakeet -> the loaded model -> Magpie) is the preferred\n'
        '    one. Type "which model is loaded", "is the cluster ready" or\n'
        '    "load qwen36 on the cluster" (Settings -> Voice assistants lists the pipeline).'
    ]
    if stack.addon is not None:
        extra.append(
            "Diarize the bundled sample through the add-on with the relay CLI:\n"
            f"    .venv/ha/bin/python -m relay_lib {shlex.quote(str(sample))} "
            f"--addon {stack.addon.url} --format srt"
        )
    extra.append(
        "Take the Sparks off the network (both, or head / worker) and bring them back:\n"
        f"    .venv/ha/bin/python -m spark_sim fault --state-dir {state} unreachable=both\n"
        f"    .venv/ha/bin/python -m spark_sim fault --state-dir {state} --clear unreachable"
    )
    if stack.options.keep_sparks:
        extra.append(
            "Kill Home Assistant mid-download or mid-swap (the Sparks and their work stay\n"
            "    up), start it again on the same config and watch it pick the job up:\n"
            f"    .venv/ha/bin/python -m demo kill-ha --state-dir {state}\n"
            f"    .venv/ha/bin/python -m demo restart-ha --state-dir {state}"
        )
    more = "".join(f" {number}. {text}\n" for number, text in enumerate(extra, start=6))
    return f"""
================================================================================
 Spark Control demo is running.

 Home Assistant : {url}
 Log in as      : {owner.username} / {owner.password}
 Control panel  : {url}/spark-control   (Spark Control in the sidebar)
 Dashboard      : {url}/spark-cluster/cluster
 Integration    : {url}/config/integrations/integration/spark_control
 Logs           : {stack.logs}
 Simulated Sparks: head ssh 127.0.0.1:{pair.head.ssh_port}, worker ssh
                  127.0.0.1:{pair.worker.ssh_port}, vLLM {pair.vllm_url}
{addon_line}
 Things to try:
 1. Swap the model: in the control panel press Load on "{SECOND_MODEL}" and watch its
    log to "Application startup complete." (or pick it in the dashboard's Model select).
 2. Stop and start Parakeet: the panel's Services tab (or the "Parakeet Container" switch).
 3. Download a model: the panel's Download tab shows progress and then offers "Add to
    catalog"; or from a shell:
    curl -s -X POST {auth} -H 'content-type: application/json' \\
      -d '{{"config_entry_id": "{entry}", "repo_id": "Qwen/Qwen2.5-72B-Instruct"}}' \\
      {url}/api/services/spark_control/download_model
 4. Read the discovery JSON (what other apps use to find vLLM, STT, TTS):
    curl -s {auth} {url}/api/spark_control/endpoints
 5. Report a failure from another app; it shows in the logbook ({url}/logbook):
    curl -s -X POST {auth} -H 'content-type: application/json' \\
      -d '{{"service": "parakeet", "ok": false, "source": "open-webui", "error": "HTTP 503"}}' \\
      {url}/api/spark_control/health_event
{more}
 Press Ctrl-C to stop everything.
================================================================================
"""
