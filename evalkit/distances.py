"""Same- vs different-speaker cosine distances on the real-speech set, for the thresholds.

`python -m evalkit.distances [--part tune]` prints, for the cpu backend as configured:

- window distances: 1.6 s windows (the backend's own VAD, windows and embeddings) that lie inside
  one reference speaker's talk, paired inside each recording: the in-chunk clustering threshold
  (`CpuParams.cluster_threshold`) sits between these classes;
- fingerprint distances: the add-on's fingerprints of one recording cut into 10 s and 30 s chunks,
  each local speaker mapped to the reference speaker it overlaps most, paired across chunks: the
  relay's merge threshold (`relay_lib/thresholds.py`) sits between these classes.

Each class gets n, median and tails, plus the ROC AUC and the equal-error point. Only the tuning
part is for choosing thresholds; `--part held` reports, it does not tune.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import defaultdict
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
from scipy.stats import rankdata

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "gpu_addon")]

from evalkit.realeval import chunk_answers  # noqa: E402
from evalkit.realspeech import CACHE, Recording, build_part, fetch  # noqa: E402

Segment = tuple[float, float, str]
MAX_PAIRS = 20000  # per class and table: a fixed-seed sample keeps long recordings from dominating


def summary(name: str, same: np.ndarray, different: np.ndarray) -> str:
    """One table row per class, then AUC and the equal-error threshold."""
    rows = [f"{name}"]
    for label, values in (("same", same), ("different", different)):
        if values.size == 0:
            rows.append(f"  {label:9s} n=0")
            continue
        q = np.percentile(values, [5, 10, 50, 90, 95])
        rows.append(
            f"  {label:9s} n={values.size:6d} p5 {q[0]:.3f} p10 {q[1]:.3f} median {q[2]:.3f} "
            f"p90 {q[3]:.3f} p95 {q[4]:.3f} max {values.max():.3f}"
        )
    if same.size and different.size:
        rows.append(f"  AUC {auc(same, different):.3f}  EER {eer(same, different)}")
    return "\n".join(rows)


def auc(same: np.ndarray, different: np.ndarray) -> float:
    """P(a different-speaker pair is farther apart than a same-speaker pair), ties half."""
    ranks = rankdata(np.concatenate([same, different]))  # ties get their average rank
    higher = ranks[same.size :].sum() - different.size * (different.size + 1) / 2
    return float(higher / (same.size * different.size))


def eer(same: np.ndarray, different: np.ndarray) -> str:
    """The threshold where the share of same pairs above it equals the share of different
    pairs below it, and that share."""
    grid = np.unique(np.concatenate([same, different]))
    miss = 1.0 - np.searchsorted(np.sort(same), grid, side="right") / same.size
    false = np.searchsorted(np.sort(different), grid, side="right") / different.size
    i = int(np.argmin(np.abs(miss - false)))
    return f"{100 * (miss[i] + false[i]) / 2:.1f} % at {grid[i]:.3f}"


def _sample(values: list[float], rng: np.random.Generator) -> np.ndarray:
    array = np.asarray(values)
    if array.size > MAX_PAIRS:
        array = rng.choice(array, MAX_PAIRS, replace=False)
    return array


def _owner(truth: list[Segment], start: float, end: float) -> str | None:
    """The one reference speaker talking through [start, end), else None."""
    talking = {k for s, e, k in truth if min(e, end) - max(s, start) > 0}
    inside = [k for s, e, k in truth if s <= start + 0.05 and e >= end - 0.05]
    return inside[0] if len(talking) == 1 and inside else None


def window_distances(backend: Any, recs: list[Recording]) -> tuple[list[float], list[float]]:
    """Pairs of single-speaker windows inside each recording (the backend's own VAD)."""
    from spark_diarizer.backends import cpu

    same: list[float] = []
    different: list[float] = []
    for rec in recs:
        speech = backend.speech_grid(rec.audio)
        positions = cpu.window_positions(speech, rec.audio.size, backend.params)
        if not positions:
            continue
        length = backend.params.window_frames / 100
        owners = [_owner(rec.truth, pos / 100, pos / 100 + length) for pos in positions]
        keep = [i for i, o in enumerate(owners) if o is not None]
        if len(keep) < 2:
            continue
        emb = backend.embed(rec.audio, speech, [positions[i] for i in keep])
        dist = 1.0 - emb @ emb.T
        names = np.array([owners[i] for i in keep])
        upper = np.triu_indices(len(keep), k=1)
        match = names[upper[0]] == names[upper[1]]
        same.extend(dist[upper][match].tolist())
        different.extend(dist[upper][~match].tolist())
    return same, different


def _local_owner(body: dict[str, Any], label: str, truth: list[Segment], offset: float) -> str:
    talk: dict[str, float] = defaultdict(float)
    for seg in body["segments"]:
        if seg["speaker"] != label:
            continue
        for s, e, k in truth:
            talk[k] += max(0.0, min(e, seg["end_s"] + offset) - max(s, seg["start_s"] + offset))
    return max(talk, key=talk.__getitem__) if talk else ""


def fingerprint_distances(
    backend: Any, recs: list[Recording], chunk_s: float, work: Path
) -> tuple[list[float], list[float]]:
    """Pairs of local-speaker fingerprints from different chunks of one recording."""
    same: list[float] = []
    different: list[float] = []
    for rec in recs:
        if rec.duration <= chunk_s:
            continue
        answers = chunk_answers(backend, rec, chunk_s, work, CACHE / "answers")
        prints: list[tuple[int, str, np.ndarray]] = []
        for index, (start, _end, body) in enumerate(answers):
            for label, vector in body["fingerprints"].items():
                owner = _local_owner(body, label, rec.truth, start)
                v = np.asarray(vector, dtype=np.float64)
                prints.append((index, owner, v / np.linalg.norm(v)))
        for (ca, oa, va), (cb, ob, vb) in (
            (prints[i], prints[j]) for i in range(len(prints)) for j in range(i + 1, len(prints))
        ):
            if ca != cb and oa and ob:
                (same if oa == ob else different).append(float(1.0 - va @ vb))
    return same, different


def main(argv: list[str]) -> int:
    from spark_diarizer.backends.cpu import CpuBackend, CpuParams

    parser = argparse.ArgumentParser(prog="python -m evalkit.distances")
    parser.add_argument("--part", default="tune", help="tune (for thresholds) or held (report)")
    parser.add_argument("--set", action="append", default=[], help="CpuParams field=value")
    args = parser.parse_args(argv)
    fetch()
    params = CpuParams()
    for item in args.set:
        key, value = item.split("=", 1)
        params = replace(params, **{key: type(getattr(params, key))(value)})
    backend = CpuBackend(threads=2, params=params)
    recs = build_part(args.part)
    rng = np.random.default_rng(0)
    same, different = window_distances(backend, recs)
    print(summary(f"{args.part}: 1.6 s windows", _sample(same, rng), _sample(different, rng)))
    with tempfile.TemporaryDirectory() as tmp:
        for chunk_s in (10.0, 30.0):
            same, different = fingerprint_distances(backend, recs, chunk_s, Path(tmp))
            print(
                summary(
                    f"{args.part}: fingerprints, {chunk_s:g} s chunks",
                    _sample(same, rng),
                    _sample(different, rng),
                )
            )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
