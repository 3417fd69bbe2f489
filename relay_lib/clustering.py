"""Global speakers: cluster every chunk's local-speaker fingerprints into one set of people.

Average-linkage AHC on cosine distance over L2-normalised vectors, with a cannot-link rule (two
local speakers of one chunk are different people by construction) enforced twice: a huge precomputed
distance keeps AHC from merging them, and a per-chunk Hungarian re-assignment repairs the rare case
where a forced cluster count leaves no other choice.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from relay_lib.errors import FingerprintError

_MIN_NORM = 1e-8
_CANNOT_LINK = 1e9  # dominates any average over < 1e8 pairs, stays finite (sklearn rejects inf)


@dataclass(frozen=True)
class Fingerprint:
    """One local speaker's voice vector, as returned for one chunk."""

    chunk: int
    local: str
    vector: Sequence[float]


@dataclass(frozen=True)
class SpeakerHints:
    """Optional speaker-count hints; the cannot-link lower bound always wins over them."""

    num_speakers: int | None = None
    min_speakers: int | None = None
    max_speakers: int | None = None

    def __post_init__(self) -> None:
        for name in ("num_speakers", "min_speakers", "max_speakers"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ValueError(f"{name} must be at least 1")
        if self.min_speakers and self.max_speakers and self.min_speakers > self.max_speakers:
            raise ValueError("min_speakers is larger than max_speakers")


def normalise(fingerprints: Sequence[Fingerprint]) -> npt.NDArray[np.float64]:
    """Stack and L2-normalise; reject zero, non-finite or mismatched vectors with a clear error."""
    if not fingerprints:
        return np.zeros((0, 0))
    dim = len(fingerprints[0].vector)
    rows = np.empty((len(fingerprints), dim))
    for i, fp in enumerate(fingerprints):
        where = f"chunk {fp.chunk} {fp.local}"
        if len(fp.vector) != dim:
            raise FingerprintError(
                f"{where}: fingerprint has {len(fp.vector)} values, expected {dim}"
            )
        vec = np.asarray(fp.vector, dtype=np.float64)
        if not np.all(np.isfinite(vec)):
            raise FingerprintError(f"{where}: fingerprint contains NaN or infinite values")
        norm = float(np.linalg.norm(vec))
        if norm < _MIN_NORM:
            raise FingerprintError(f"{where}: fingerprint is a zero vector")
        rows[i] = vec / norm
    return rows


def _distances(
    x: npt.NDArray[np.float64], chunks: npt.NDArray[np.int64]
) -> npt.NDArray[np.float64]:
    dist = np.clip(1.0 - x @ x.T, 0.0, 2.0)
    same_chunk = chunks[:, None] == chunks[None, :]
    dist[same_chunk] = _CANNOT_LINK
    np.fill_diagonal(dist, 0.0)
    return dist


def _ahc(dist: npt.NDArray[np.float64], *, n_clusters: int | None, threshold: float) -> list[int]:
    n = dist.shape[0]
    if n_clusters is not None and n_clusters >= n:
        return list(range(n))
    # Imported here: sklearn costs seconds at start-up and the CLI's error paths never need it.
    from sklearn.cluster import AgglomerativeClustering  # type: ignore[import-untyped]  # noqa: PLC0415

    model = AgglomerativeClustering(
        n_clusters=n_clusters,
        distance_threshold=None if n_clusters is not None else threshold,
        metric="precomputed",
        linkage="average",
    )
    return [int(v) for v in model.fit_predict(dist)]


def _repair_cannot_link(
    x: npt.NDArray[np.float64], chunks: npt.NDArray[np.int64], labels: list[int]
) -> list[int]:
    """Give every local speaker of a chunk its own cluster, by best centroid match (Hungarian)."""
    from scipy.optimize import linear_sum_assignment  # type: ignore[import-untyped]  # noqa: PLC0415

    labels = list(labels)
    by_chunk: dict[int, list[int]] = defaultdict(list)
    for i, chunk in enumerate(chunks.tolist()):
        by_chunk[chunk].append(i)
    for members in by_chunk.values():
        if len({labels[i] for i in members}) == len(members):
            continue
        ids = sorted(set(labels))
        centroids = np.stack(
            [x[[j for j, lab in enumerate(labels) if lab == c]].mean(0) for c in ids]
        )
        centroids /= np.maximum(np.linalg.norm(centroids, axis=1, keepdims=True), _MIN_NORM)
        sim = x[members] @ centroids.T
        if len(members) > len(ids):  # more locals than clusters: open new clusters for the rest
            sim = np.hstack([sim, np.full((len(members), len(members) - len(ids)), -2.0)])
            ids += list(range(max(ids) + 1, max(ids) + 1 + len(members) - len(ids)))
        rows, cols = linear_sum_assignment(sim, maximize=True)
        for r, c in zip(rows, cols, strict=True):
            labels[members[r]] = ids[c]
    return labels


def cluster_fingerprints(
    fingerprints: Sequence[Fingerprint], *, threshold: float, hints: SpeakerHints | None = None
) -> list[int]:
    """Global cluster id (0..k-1, arbitrary order) for each fingerprint, in input order."""
    hints = hints or SpeakerHints()
    x = normalise(fingerprints)
    n = len(fingerprints)
    if n == 0:
        return []
    if n == 1:
        return [0]
    chunks = np.array([fp.chunk for fp in fingerprints], dtype=np.int64)
    feasible = int(np.bincount(np.unique(chunks, return_inverse=True)[1]).max())
    dist = _distances(x, chunks)
    if hints.num_speakers is not None:
        labels = _ahc(
            dist, n_clusters=min(max(hints.num_speakers, feasible), n), threshold=threshold
        )
    else:
        labels = _ahc(dist, n_clusters=None, threshold=threshold)
        count = len(set(labels))
        low = max(hints.min_speakers or 1, feasible)
        high = max(min(hints.max_speakers or n, n), low)
        if count < low or count > high:
            labels = _ahc(dist, n_clusters=min(max(count, low), high), threshold=threshold)
    labels = _repair_cannot_link(x, chunks, labels)
    remap = {old: new for new, old in enumerate(dict.fromkeys(labels))}
    return [remap[label] for label in labels]
