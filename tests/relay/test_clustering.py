"""Global speaker clustering: cannot-link, thresholds, hints and degenerate inputs."""

from __future__ import annotations

import math

import numpy as np
import pytest

from relay_lib.clustering import Fingerprint, SpeakerHints, cluster_fingerprints, normalise
from relay_lib.errors import FingerprintError
from relay_lib.thresholds import RESEMBLYZER_THRESHOLD, TITANET_THRESHOLD, threshold_for


def unit(*values: float) -> list[float]:
    vec = np.array(values, dtype=float)
    return list(vec / np.linalg.norm(vec))


def at_distance(distance: float) -> list[float]:
    """A 2-d unit vector at the given cosine distance from (1, 0)."""
    angle = math.acos(1.0 - distance)
    return [math.cos(angle), math.sin(angle)]


def test_zero_and_one_fingerprint() -> None:
    assert cluster_fingerprints([], threshold=0.7) == []
    assert cluster_fingerprints([Fingerprint(0, "Speaker_0", [0.3, 0.4])], threshold=0.7) == [0]


def test_zero_vector_is_rejected_with_chunk_and_label() -> None:
    fps = [Fingerprint(0, "Speaker_0", [1.0, 0.0]), Fingerprint(3, "Speaker_1", [0.0, 0.0])]
    with pytest.raises(FingerprintError, match=r"chunk 3 Speaker_1: .*zero vector"):
        cluster_fingerprints(fps, threshold=0.7)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_vector_is_rejected(bad: float) -> None:
    fps = [Fingerprint(2, "Speaker_0", [1.0, bad]), Fingerprint(3, "Speaker_0", [1.0, 0.0])]
    with pytest.raises(FingerprintError, match=r"chunk 2 Speaker_0: .*NaN or infinite"):
        cluster_fingerprints(fps, threshold=0.7)


def test_single_nan_fingerprint_is_still_rejected() -> None:
    with pytest.raises(FingerprintError):
        cluster_fingerprints([Fingerprint(0, "Speaker_0", [math.nan, 1.0])], threshold=0.7)


def test_length_mismatch_is_rejected() -> None:
    fps = [Fingerprint(0, "Speaker_0", [1.0, 0.0]), Fingerprint(1, "Speaker_0", [1.0, 0.0, 0.0])]
    with pytest.raises(FingerprintError, match="3 values, expected 2"):
        cluster_fingerprints(fps, threshold=0.7)


def test_normalise_gives_unit_rows() -> None:
    x = normalise([Fingerprint(0, "a", [3.0, 4.0]), Fingerprint(1, "a", [0.0, -2.0])])
    np.testing.assert_allclose(np.linalg.norm(x, axis=1), 1.0)
    np.testing.assert_allclose(x[0], [0.6, 0.8])


@pytest.mark.parametrize(("distance", "merged"), [(0.69, True), (0.71, False)])
def test_titanet_threshold_boundary(distance: float, merged: bool) -> None:
    fps = [
        Fingerprint(0, "Speaker_0", [1.0, 0.0]),
        Fingerprint(1, "Speaker_0", at_distance(distance)),
    ]
    labels = cluster_fingerprints(fps, threshold=TITANET_THRESHOLD)
    assert (labels[0] == labels[1]) is merged


def test_resemblyzer_threshold_is_tighter() -> None:
    fps = [Fingerprint(0, "Speaker_0", [1.0, 0.0]), Fingerprint(1, "Speaker_0", at_distance(0.4))]
    assert len(set(cluster_fingerprints(fps, threshold=threshold_for("titanet_large")))) == 1
    assert len(set(cluster_fingerprints(fps, threshold=threshold_for("resemblyzer-0.1.4")))) == 2


def test_threshold_lookup() -> None:
    assert threshold_for("nvidia/speakerverification_en_titanet_large") == TITANET_THRESHOLD
    assert threshold_for("Resemblyzer VoiceEncoder") == RESEMBLYZER_THRESHOLD
    assert threshold_for("something-else") == TITANET_THRESHOLD


def test_cannot_link_keeps_same_chunk_speakers_apart() -> None:
    # Two locals of chunk 0 are nearly identical; the threshold alone would merge them.
    fps = [
        Fingerprint(0, "Speaker_0", [1.0, 0.0]),
        Fingerprint(0, "Speaker_1", at_distance(0.05)),
        Fingerprint(1, "Speaker_0", [1.0, 0.0]),
    ]
    labels = cluster_fingerprints(fps, threshold=0.7)
    assert labels[0] != labels[1]
    assert labels[2] in (labels[0], labels[1])


def test_cannot_link_survives_forced_cluster_count() -> None:
    # num_speakers=1 is impossible when one chunk holds two speakers: the constraint wins.
    fps = [Fingerprint(0, "Speaker_0", [1.0, 0.0]), Fingerprint(0, "Speaker_1", [1.0, 0.01])]
    labels = cluster_fingerprints(fps, threshold=0.7, hints=SpeakerHints(num_speakers=1))
    assert labels[0] != labels[1]


def test_cannot_link_repair_with_three_chunks() -> None:
    rng = np.random.default_rng(3)
    people = [rng.normal(size=16) for _ in range(3)]
    fps = []
    for chunk in range(6):
        for k, person in enumerate(people):
            fps.append(
                Fingerprint(chunk, f"Speaker_{k}", list(person + rng.normal(scale=0.6, size=16)))
            )
    labels = cluster_fingerprints(fps, threshold=0.7, hints=SpeakerHints(num_speakers=3))
    for chunk in range(6):
        assert len({labels[i] for i, fp in enumerate(fps) if fp.chunk == chunk}) == 3


def people_fingerprints(
    n_people: int, chunks: int, noise: float, seed: int = 0
) -> tuple[list[Fingerprint], list[int]]:
    rng = np.random.default_rng(seed)
    people = [rng.normal(size=64) for _ in range(n_people)]
    fps, truth = [], []
    for chunk in range(chunks):
        for local, person in enumerate(rng.permutation(n_people)[: 2 + chunk % 2]):
            vec = people[person] / np.linalg.norm(people[person]) + rng.normal(scale=noise, size=64)
            fps.append(Fingerprint(chunk, f"Speaker_{local}", list(vec)))
            truth.append(int(person))
    return fps, truth


def test_recovers_true_speakers() -> None:
    fps, truth = people_fingerprints(4, 12, noise=0.05)
    labels = cluster_fingerprints(fps, threshold=0.7)
    mapping = dict(zip(labels, truth, strict=True))
    assert len(set(labels)) == 4
    assert [mapping[label] for label in labels] == truth


def test_hints_num_min_max() -> None:
    fps, _ = people_fingerprints(4, 12, noise=0.05)
    assert (
        len(set(cluster_fingerprints(fps, threshold=0.7, hints=SpeakerHints(num_speakers=5)))) == 5
    )
    assert (
        len(set(cluster_fingerprints(fps, threshold=0.7, hints=SpeakerHints(min_speakers=6)))) == 6
    )
    assert (
        len(set(cluster_fingerprints(fps, threshold=0.7, hints=SpeakerHints(max_speakers=3)))) == 3
    )
    # Hints that agree with the data change nothing.
    assert (
        len(
            set(
                cluster_fingerprints(
                    fps, threshold=0.7, hints=SpeakerHints(min_speakers=2, max_speakers=9)
                )
            )
        )
        == 4
    )


def test_hint_larger_than_fingerprints_is_capped() -> None:
    fps = [Fingerprint(0, "Speaker_0", [1.0, 0.0]), Fingerprint(1, "Speaker_0", [1.0, 0.1])]
    assert sorted(cluster_fingerprints(fps, threshold=0.7, hints=SpeakerHints(num_speakers=9))) == [
        0,
        1,
    ]


def test_max_speakers_below_cannot_link_bound_is_raised() -> None:
    fps = [
        Fingerprint(0, f"Speaker_{k}", unit(*(1.0 if i == k else 0.0 for i in range(3))))
        for k in range(3)
    ]
    labels = cluster_fingerprints(fps, threshold=0.7, hints=SpeakerHints(max_speakers=2))
    assert len(set(labels)) == 3


def test_bad_hints_are_rejected() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        SpeakerHints(num_speakers=0)
    with pytest.raises(ValueError, match="larger"):
        SpeakerHints(min_speakers=4, max_speakers=2)


def test_labels_are_dense_in_input_order() -> None:
    fps, _ = people_fingerprints(3, 5, noise=0.05, seed=7)
    labels = cluster_fingerprints(fps, threshold=0.7)
    seen = list(dict.fromkeys(labels))
    assert seen == list(range(len(seen)))
