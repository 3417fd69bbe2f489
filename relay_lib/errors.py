"""Exception types: each class maps to one CLI exit code; every message names its cause."""

from __future__ import annotations


class RelayError(Exception):
    """Base class for every error the relay raises on purpose."""


class AudioDecodeError(RelayError):
    """The input cannot be opened or decoded (missing file, no audio track, corrupt data)."""


class ServiceUnreachableError(RelayError):
    """No add-on (or the STT service, or Home Assistant) answered at all."""


class DiscoveryError(RelayError):
    """Home Assistant answered, but the discovery JSON is unusable (auth, shape, not ready)."""


class FingerprintError(RelayError):
    """A fingerprint cannot be clustered (zero, NaN/inf, wrong length or mixed embedding models)."""


class ResponseFormatError(RelayError):
    """A service answered 2xx with a body that breaks its contract."""


class ChunkFailedError(RelayError):
    """A chunk failed for good after all retries; names the chunk, its time range and the cause."""

    def __init__(self, index: int, start_s: float, end_s: float, service: str, cause: str) -> None:
        self.index = index
        self.start_s = start_s
        self.end_s = end_s
        self.service = service
        self.cause = cause
        super().__init__(
            f"chunk {index} ({format_clock(start_s)}-{format_clock(end_s)}) failed at the "
            f"{service}: {cause}"
        )

    def __reduce__(self) -> tuple[type[ChunkFailedError], tuple[int, float, float, str, str]]:
        # pickled across processes (Ray workers): rebuild from the fields, not the message
        return (type(self), (self.index, self.start_s, self.end_s, self.service, self.cause))


def format_clock(seconds: float) -> str:
    """H:MM:SS.mmm, for messages that a person reads next to a media player."""
    millis = round(max(seconds, 0.0) * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours}:{minutes:02d}:{secs:02d}.{millis:03d}"
