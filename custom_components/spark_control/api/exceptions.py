"""Typed errors of the Spark client: each message tells the user what to do next."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar


class LoadFailure(StrEnum):
    """Why a vLLM launch failed (contract §3), so the UI can name the real cause."""

    FREE_MEMORY = "free_memory"
    NO_CACHE_BLOCKS = "no_cache_blocks"
    KV_CACHE = "kv_cache"
    CUDA_OOM = "cuda_oom"
    CUDA_ERROR = "cuda_error"
    PORT_IN_USE = "port_in_use"
    ENGINE_CORE = "engine_core"
    LAUNCHER = "launcher"
    CONTAINER_VANISHED = "container_vanished"
    TIMEOUT = "timeout"
    NOT_SERVING = "not_serving"


class SparkError(Exception):
    """Base of every error raised by the Spark client."""


class SparkConnectionError(SparkError):
    """A host could not be reached over SSH or HTTP."""

    def __init__(self, host: str, port: int, reason: str) -> None:
        self.host = host
        self.port = port
        self.reason = reason
        super().__init__(
            f"Cannot reach {host}:{port}: {reason}. Check that the Spark is on, the address is "
            "right and nothing blocks the port."
        )


class SparkAuthError(SparkError):
    """The SSH server refused our key."""

    def __init__(self, host: str, user: str) -> None:
        self.host = host
        self.user = user
        super().__init__(
            f"{host} refused the key for user {user!r}. Append the integration's public key to "
            f"~{user}/.ssh/authorized_keys on that Spark."
        )


class HostKeyUnknownError(SparkError):
    """The host's key is not pinned yet; the user must confirm the fingerprint."""

    def __init__(self, host: str, port: int, fingerprint: str, public_key: str) -> None:
        self.host = host
        self.port = port
        self.fingerprint = fingerprint
        self.public_key = public_key
        super().__init__(
            f"The SSH host key of {host}:{port} is not trusted yet. Confirm that its fingerprint "
            f"is {fingerprint} (on the Spark: `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub`)."
        )


class HostKeyChangedError(SparkError):
    """The host presented a different key than the pinned one; we never connect."""

    def __init__(
        self, host: str, port: int, expected_fingerprint: str, actual_fingerprint: str
    ) -> None:
        self.host = host
        self.port = port
        self.expected_fingerprint = expected_fingerprint
        self.actual_fingerprint = actual_fingerprint
        super().__init__(
            f"The SSH host key of {host}:{port} changed (expected {expected_fingerprint}, got "
            f"{actual_fingerprint}). If the Spark was reinstalled, re-confirm its key in the "
            "integration's options; otherwise someone may be intercepting the connection."
        )


class CommandError(SparkError):
    """A remote command exited non-zero; carries its exit code and last stderr lines."""

    def __init__(self, command_name: str, exit_status: int | None, stderr_tail: list[str]) -> None:
        self.command_name = command_name
        self.exit_status = exit_status
        self.stderr_tail = list(stderr_tail)
        tail = " | ".join(self.stderr_tail[-5:]) or "no error output"
        super().__init__(f"{command_name} failed with exit status {exit_status}: {tail}")


class InvalidInputError(SparkError):
    """A value was refused before it could reach a shell."""

    def __init__(self, field: str, value: object, reason: str) -> None:
        self.field = field
        self.value = value
        self.reason = reason
        shown = repr(value)
        if len(shown) > 80:
            shown = shown[:77] + "..."
        super().__init__(f"Invalid {field} {shown}: {reason}")


class SwapInProgressError(SparkError):
    """A model swap is already running on this cluster."""

    def __init__(self, model: str | None = None) -> None:
        self.model = model
        target = f" (to {model})" if model else ""
        super().__init__(f"A model swap is already running{target}; wait for it to finish.")


class SparkTimeoutError(SparkError):
    """An operation took longer than its time limit."""

    def __init__(self, operation: str, seconds: float) -> None:
        self.operation = operation
        self.seconds = seconds
        super().__init__(f"{operation} did not finish within {seconds:g} s.")


class ModelLoadError(SparkError):
    """vLLM failed to load a model; `reason` names the recognised cause."""

    _ADVICE: ClassVar[dict[LoadFailure, str]] = {
        LoadFailure.FREE_MEMORY: "free memory (drop page caches or stop other GPU containers) "
        "or lower the GPU memory fraction",
        LoadFailure.NO_CACHE_BLOCKS: "raise the GPU memory fraction",
        LoadFailure.KV_CACHE: "lower the max context or raise the GPU memory fraction",
        LoadFailure.CUDA_OOM: "lower the GPU memory fraction or pick a smaller model",
        LoadFailure.CUDA_ERROR: "check the GPU driver and restart the Spark if it persists",
        LoadFailure.PORT_IN_USE: "stop whatever still holds the vLLM port",
        LoadFailure.ENGINE_CORE: "see the vLLM log for the root cause",
        LoadFailure.LAUNCHER: (
            "check the spark-vllm-docker checkout and the link between the Sparks"
        ),
        LoadFailure.CONTAINER_VANISHED: (
            "the vllm_node container stopped; check docker on the Spark"
        ),
        LoadFailure.TIMEOUT: "the model may need longer to load; raise the swap timeout",
        LoadFailure.NOT_SERVING: "vLLM started but does not serve the requested model",
    }

    def __init__(self, reason: LoadFailure, detail: str) -> None:
        self.reason = reason
        self.detail = detail
        super().__init__(f"Model load failed ({reason.value}): {detail} — {self._ADVICE[reason]}.")


class DownloadError(SparkError):
    """A model download failed (gated repo, disk full, network...)."""

    def __init__(self, repo_id: str, reason: str) -> None:
        self.repo_id = repo_id
        self.reason = reason
        super().__init__(f"Download of {repo_id} failed: {reason}")


class UpdateError(SparkError):
    """Updating spark-vllm-docker failed; `reason` is dirty_tree, build_failed or git_failed."""

    def __init__(self, reason: str, detail: str) -> None:
        self.reason = reason
        self.detail = detail
        super().__init__(f"Update failed ({reason}): {detail}")
