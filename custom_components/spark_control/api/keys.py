"""SSH key handling: generate an Ed25519 pair, import a pasted key, describe host keys.

All work here is pure CPU (no files), but Ed25519/bcrypt work is not free: the HA layer should
call these from an executor.
"""

from __future__ import annotations

import asyncssh

from .exceptions import InvalidInputError
from .models import KeyPair

DEFAULT_COMMENT = "spark_control@homeassistant"


def _pair(key: asyncssh.SSHKey, comment: str | None) -> KeyPair:
    if comment is not None:
        key.set_comment(comment)
    public = key.export_public_key("openssh").decode().strip()
    return KeyPair(
        private_key=key.export_private_key("openssh").decode(),
        public_key_line=public,
        fingerprint=key.get_fingerprint("sha256"),
    )


def generate_key_pair(comment: str = DEFAULT_COMMENT) -> KeyPair:
    """A fresh Ed25519 pair whose public line carries a recognisable comment."""
    if not comment.isascii() or any(ch.isspace() for ch in comment) or len(comment) > 64:
        raise InvalidInputError("comment", comment, "must be one ASCII word")
    return _pair(asyncssh.generate_private_key("ssh-ed25519"), comment)


def load_private_key(text: str, passphrase: str | None = None) -> KeyPair:
    """Parse a pasted OpenSSH/PEM private key; a clear InvalidInputError for a bad one."""
    cleaned = text.strip().replace("\r\n", "\n") + "\n"
    try:
        key = asyncssh.import_private_key(cleaned, passphrase or None)
    except (asyncssh.KeyImportError, ValueError, TypeError) as err:
        message = str(err)
        if "passphrase" in message.lower():
            reason = (
                "the key is encrypted: enter its passphrase"
                if not passphrase
                else "the passphrase is wrong"
            )
        else:
            reason = f"not a valid private key ({message})"
        raise InvalidInputError("private_key", "<private key>", reason) from err
    comment = key.get_comment()
    result = _pair(key, comment if comment else DEFAULT_COMMENT)
    # Keep the user's text when it was unencrypted; re-export only what we could not keep.
    return KeyPair(
        private_key=cleaned if passphrase is None else result.private_key,
        public_key_line=result.public_key_line,
        fingerprint=result.fingerprint,
    )


def import_client_key(text: str, passphrase: str | None = None) -> asyncssh.SSHKey:
    """The asyncssh key object used to authenticate."""
    try:
        return asyncssh.import_private_key(text, passphrase or None)
    except (asyncssh.KeyImportError, ValueError, TypeError) as err:
        raise InvalidInputError("private_key", "<private key>", str(err)) from err


def import_public_key(line: str) -> asyncssh.SSHKey:
    """A pinned host key from its `type base64 [comment]` line."""
    try:
        return asyncssh.import_public_key(line.strip())
    except (asyncssh.KeyImportError, ValueError, TypeError) as err:
        raise InvalidInputError("host_key", line, f"not a valid public key ({err})") from err


def describe_public_key(key: asyncssh.SSHKey) -> tuple[str, str]:
    """(public key line without comment, SHA256 fingerprint)."""
    line = key.export_public_key("openssh").decode().strip()
    parts = line.split()
    return " ".join(parts[:2]), key.get_fingerprint("sha256")
