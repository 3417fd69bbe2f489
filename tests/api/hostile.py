"""Hostile inputs: each one would run something, escape a path or smuggle an option if it
reached a shell unquoted. The marker path lets tests prove nothing ran."""

from __future__ import annotations

MARKER = "/tmp/spark_control_pwned"

HOSTILE: list[str] = [
    f"org/model; touch {MARKER}",
    f"org/model && touch {MARKER}",
    f"org/model | touch {MARKER}",
    f"org/$(touch {MARKER})",
    f"org/`touch {MARKER}`",
    f"org/model\ntouch {MARKER}",
    f"org/model\rtouch {MARKER}",
    "org/model'; touch /tmp/spark_control_pwned; echo '",
    'org/model"; touch /tmp/spark_control_pwned; echo "',
    "-rf/model",
    "--help",
    "-c",
    "org/../../etc",
    "../etc/passwd",
    "org/..",
    "a" * 300 + "/model",
    "org/" + "m" * 300,
    "\u043erg/model",  # Cyrillic o look-alike
    "org\uff0fmodel",  # fullwidth solidus
    "org/m\u043edel",  # Cyrillic o look-alike
    "org/model\u2044x",  # fraction slash
    "org/model\x00",
    "org/model ",
    " org/model",
    "org/model$HOME",
    "org/model>out",
    "org/model<in",
    "org/model&",
    "org/model*",
    "org/model?",
    "org/{a,b}",
    "~/model",
    "org\\model",
    "org/model#x",
    "",
]
