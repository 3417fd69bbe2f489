"""Recap Relay: diarize and transcribe long recordings through the Spark add-on, chunk by chunk.

No Home Assistant and no torch imports here: the library runs in both project environments.
"""

from relay_lib.audio import Chunk, ChunkPlan, iter_chunks
from relay_lib.clustering import Fingerprint, SpeakerHints, cluster_fingerprints
from relay_lib.errors import (
    AudioDecodeError,
    ChunkFailedError,
    DiscoveryError,
    FingerprintError,
    RelayError,
    ResponseFormatError,
    ServiceUnreachableError,
)
from relay_lib.pipeline import RelayOptions, run_relay
from relay_lib.result import RelayResult
from relay_lib.writers import FORMATS, render

__all__ = [
    "FORMATS",
    "AudioDecodeError",
    "Chunk",
    "ChunkFailedError",
    "ChunkPlan",
    "DiscoveryError",
    "Fingerprint",
    "FingerprintError",
    "RelayError",
    "RelayOptions",
    "RelayResult",
    "ResponseFormatError",
    "ServiceUnreachableError",
    "SpeakerHints",
    "cluster_fingerprints",
    "iter_chunks",
    "render",
    "run_relay",
]
