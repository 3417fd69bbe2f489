"""Where the cpu backend + relay lose DER on real speech, stage by stage (tuning part only).

`python -m evalkit.diagnose [tune] [--chunk 10|30|whole]` runs the real backend stages
(gpu_addon/spark_diarizer/backends/cpu.py) and the relay's own clustering and stitching, once as
shipped and once with each stage replaced by the reference (an "oracle"), and prints pooled DER
with its missed / false-alarm / confusion parts:

- `system`: silero-vad speech, our windows, clustering, resegmentation, relay linking;
- `oracle_vad`: the reference speech regions instead of silero-vad (the rest as shipped);
- `oracle_count`: oracle speech and the true number of speakers per chunk (>= 1 s of speech);
- `oracle_link`: our chunk-local diarization, but each local speaker linked to the reference
  speaker it overlaps most (what perfect global clustering across chunks would give);
- `oracle_seg`: reference turns of every chunk, embedded and fingerprinted by us, linked by the
  relay (the loss of global clustering alone);
- `oracle_centroids`: oracle speech, and each chunk's speakers given as the mean of the windows
  the reference assigns to them (perfect clustering); windows are then labelled and frames
  resegmented as shipped. What resemblyzer windows allow at best, whatever the clustering;
- `oracle_local`: the reference's own chunk-local turns with perfect linking: 0 % by construction
  except for cut turns (a sanity check of the harness).

Window embeddings and speech grids are cached in memory per (recording, chunk, speech source), so
parameter sweeps re-run only clustering. Not part of the shipped package; evalkit only.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections import defaultdict
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from pyannote.metrics.diarization import DiarizationErrorRate

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "gpu_addon")]

from evalkit.der import annotation  # noqa: E402
from evalkit.realspeech import SR, Recording, build_part, fetch  # noqa: E402
from relay_lib.audio import ChunkPlan  # noqa: E402
from relay_lib.pipeline import RelayOptions, build_result  # noqa: E402
from relay_lib.types import ChunkOutcome, parse_diarization  # noqa: E402
from spark_diarizer.backends import cpu  # noqa: E402
from spark_diarizer.backends.base import LocalDiarization, to_response  # noqa: E402

Segment = tuple[float, float, str]


@dataclass
class Parts:
    """Pooled DER components in seconds."""

    missed: float = 0.0
    false_alarm: float = 0.0
    confusion: float = 0.0
    total: float = 0.0
    exact: int = 0
    count: int = 0

    def add(self, ref: list[Segment], hyp: list[Segment]) -> None:
        metric = DiarizationErrorRate(collar=0.0, skip_overlap=False)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            d = metric(annotation(ref), annotation(hyp), detailed=True)
        self.missed += d["missed detection"]
        self.false_alarm += d["false alarm"]
        self.confusion += d["confusion"]
        self.total += d["total"]
        self.count += 1
        found = len({s for _, _, s in hyp if s != "Unknown"})
        self.exact += int(found == len({s for _, _, s in ref}))

    def row(self) -> str:
        t = self.total or 1.0
        der = self.missed + self.false_alarm + self.confusion
        return (
            f"DER {100 * der / t:5.1f} %  missed {100 * self.missed / t:4.1f}  "
            f"FA {100 * self.false_alarm / t:4.1f}  confusion {100 * self.confusion / t:4.1f}  "
            f"exact count {self.exact}/{self.count}"
        )


def chunk_bounds(rec: Recording, chunk_s: float | None) -> list[tuple[int, int]]:
    """Sample ranges of the relay's chunks (ChunkPlan), or the whole recording."""
    total = rec.audio.size
    if chunk_s is None:
        return [(0, total)]
    return ChunkPlan.from_seconds(chunk_s).bounds(total)


def oracle_grid(truth: list[Segment], start_s: float, samples: int) -> np.ndarray:
    """Reference speech on the backend's 50 ms grid for one chunk."""
    grid = np.zeros(cpu.grid_size(samples), dtype=bool)
    for s, e, _ in truth:
        a, b = int(max(0.0, s - start_s) / cpu.FRAME_S), int(np.ceil((e - start_s) / cpu.FRAME_S))
        if b > 0 and a < grid.size:
            grid[max(0, a) : b] = True
    return grid


def clip_truth(truth: list[Segment], start_s: float, end_s: float) -> list[Segment]:
    """Reference turns inside [start_s, end_s), chunk-relative."""
    out = []
    for s, e, k in truth:
        a, b = max(s, start_s), min(e, end_s)
        if b > a:
            out.append((a - start_s, b - start_s, k))
    return out


class Harness:
    """Cached stages of the cpu backend over the chunks of the set."""

    def __init__(self, backend: Any) -> None:
        self.backend = backend
        self._speech: dict[tuple[str, int, int], np.ndarray] = {}
        self._windows: dict[tuple[str, int, int, str], tuple[list[int], np.ndarray]] = {}

    def speech(self, rec: Recording, a: int, b: int, source: str) -> np.ndarray:
        if source == "oracle":
            return oracle_grid(rec.truth, a / SR, b - a)
        key = (rec.name, a, b)
        if key not in self._speech:
            self._speech[key] = self.backend.speech_grid(rec.audio[a:b])
        return self._speech[key]

    def windows(
        self, rec: Recording, a: int, b: int, source: str
    ) -> tuple[np.ndarray, list[int], np.ndarray]:
        speech = self.speech(rec, a, b, source)
        key = (rec.name, a, b, source)
        if key not in self._windows:
            p = self.backend.params
            positions = cpu.window_positions(speech, b - a, p)
            emb = (
                self.backend.embed(rec.audio[a:b], speech, positions)
                if positions
                else np.zeros((0, 256), dtype=np.float32)
            )
            self._windows[key] = (positions, emb)
        return (speech, *self._windows[key])

    def local(
        self, rec: Recording, a: int, b: int, source: str, *, p: cpu.CpuParams, oracle_count: bool
    ) -> LocalDiarization:
        speech, positions, emb = self.windows(rec, a, b, source)
        if not positions:
            return LocalDiarization(segments=[])
        n = None
        if oracle_count:
            talk: dict[str, float] = defaultdict(float)
            for s, e, k in clip_truth(rec.truth, a / SR, b / SR):
                talk[k] += e - s
            n = max(1, sum(v >= 1.0 for v in talk.values()))
        return cpu.label_speakers(positions, emb, speech, p, num_speakers=n)

    def centroid_local(self, rec: Recording, a: int, b: int) -> LocalDiarization:
        """Oracle speech, centroids from the reference (the windows' majority speaker), then the
        shipped labelling: the best any clustering of these windows could do."""
        speech, positions, emb = self.windows(rec, a, b, "oracle")
        if not positions:
            return LocalDiarization(segments=[])
        truth = clip_truth(rec.truth, a / SR, b / SR)
        names = sorted({k for _, _, k in truth})
        length = self.backend.params.window_frames
        owner = np.zeros(len(positions), dtype=int)
        for i, pos in enumerate(positions):
            start, end = pos / 100, (pos + length) / 100
            talk = [sum(max(0.0, min(e, end) - max(s, start)) for s, e, k in truth if k == name)
                    for name in names]  # fmt: skip
            owner[i] = int(np.argmax(talk))
        used = np.unique(owner)
        centroids = cpu._centroids(emb, np.searchsorted(used, owner), used.size)
        windows = [(pos, pos + length) for pos in positions]
        scores = emb @ centroids.T
        labels = cpu.resegment(windows, scores, speech, speech.size)
        return cpu.finish(labels, windows, emb, np.argmax(scores, axis=1), self.backend.params)

    def reference_local(self, rec: Recording, a: int, b: int) -> LocalDiarization:
        """Reference turns of the chunk, fingerprinted by our embedder over each speaker's solo
        windows."""
        truth = clip_truth(rec.truth, a / SR, b / SR)
        names = sorted({k for _, _, k in truth})
        speech, positions, emb = self.windows(rec, a, b, "oracle")
        grid = np.full(speech.size, -1, dtype=int)
        count = np.zeros(speech.size, dtype=int)
        for s, e, k in truth:
            sl = slice(int(s / cpu.FRAME_S), int(np.ceil(e / cpu.FRAME_S)))
            grid[sl] = names.index(k)
            count[sl] += 1
        grid[count > 1] = -2
        prints: dict[int, np.ndarray] = {}
        for i, pos in enumerate(positions):
            span = grid[pos // 5 : (pos + self.backend.params.window_frames) // 5]
            span = span[span != -1]
            if span.size and np.all(span == span[0]) and span[0] >= 0:
                prints.setdefault(int(span[0]), []).append(emb[i])  # type: ignore[arg-type]
        vectors = {k: np.mean(v, axis=0) for k, v in prints.items()}  # type: ignore[call-overload]
        segments = [(s, e, names.index(k)) for s, e, k in truth]
        return LocalDiarization(segments=segments, fingerprints=vectors)


def relay(
    rec: Recording,
    bounds: list[tuple[int, int]],
    locals_: list[LocalDiarization],
    threshold: float | None,
    oracle_link: bool,
) -> list[Segment]:
    """Global turns through relay_lib (or, with oracle_link, through the reference mapping)."""
    outcomes = []
    for i, ((a, b), local) in enumerate(zip(bounds, locals_, strict=True)):
        body = to_response(local, (b - a) / SR, "cpu", "resemblyzer-0.1.4")
        if oracle_link:
            body["fingerprints"] = {}
            truth = clip_truth(rec.truth, a / SR, b / SR)
            mapping = {}
            for label in body["speakers_detected"]:
                overlap: dict[str, float] = defaultdict(float)
                for seg in body["segments"]:
                    if seg["speaker"] != label:
                        continue
                    for s, e, k in truth:
                        overlap[k] += max(0.0, min(e, seg["end_s"]) - max(s, seg["start_s"]))
                mapping[label] = max(overlap, key=overlap.__getitem__) if overlap else label
            for seg in body["segments"]:
                seg["speaker"] = mapping[seg["speaker"]]
            return_segments = [
                (seg["start_s"] + a / SR, seg["end_s"] + a / SR, seg["speaker"])
                for seg in body["segments"]
            ]
            outcomes.append(return_segments)
            continue
        outcomes.append(ChunkOutcome(i, a / SR, b / SR, parse_diarization(body)))
    if oracle_link:
        return [seg for chunk in outcomes for seg in chunk]  # type: ignore[union-attr]
    options = RelayOptions(addon_urls=["in-process"], threshold=threshold)
    result = build_result(rec.name, outcomes, bounds[-1][1] / SR, options)  # type: ignore[arg-type]
    return [(t.start, t.end, t.speaker) for t in result.segments]


SETTINGS = ("system", "oracle_vad", "oracle_count", "oracle_link", "oracle_seg", "oracle_centroids")


def evaluate(
    harness: Harness,
    recs: list[Recording],
    chunk_s: float | None,
    p: cpu.CpuParams,
    *,
    threshold: float | None = None,
    settings: tuple[str, ...] = SETTINGS,
) -> dict[str, Parts]:
    """Pooled DER parts per setting over `recs` at one chunk length."""
    out = {s: Parts() for s in settings}
    for rec in recs:
        bounds = chunk_bounds(rec, chunk_s)
        for setting in settings:
            if setting == "oracle_seg":
                locals_ = [harness.reference_local(rec, a, b) for a, b in bounds]
            elif setting == "oracle_centroids":
                locals_ = [harness.centroid_local(rec, a, b) for a, b in bounds]
            else:
                source = "vad" if setting in ("system", "oracle_link") else "oracle"
                count = setting == "oracle_count"
                locals_ = [
                    harness.local(rec, a, b, source, p=p, oracle_count=count) for a, b in bounds
                ]
            hyp = relay(rec, bounds, locals_, threshold, setting == "oracle_link")
            out[setting].add(rec.truth, hyp)
    return out


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m evalkit.diagnose")
    parser.add_argument("--chunk", default="whole", help="10, 30 or whole")
    parser.add_argument(
        "--part", default="tune", help="tune, or held for oracle bounds only: never tune on it"
    )
    parser.add_argument("--subset", default="all", help="all, 2spk or meeting")
    parser.add_argument("--set", action="append", default=[], help="CpuParams field=value")
    parser.add_argument("--threshold", type=float, help="relay threshold override")
    parser.add_argument(
        "--only", action="append", choices=SETTINGS, help="run only these settings (repeatable)"
    )
    args = parser.parse_args(argv)
    fetch()
    params = cpu.CpuParams()
    for item in args.set:
        key, value = item.split("=", 1)
        params = replace(params, **{key: type(getattr(params, key))(value)})
    backend = cpu.CpuBackend(threads=2, params=params)
    recs = build_part(args.part)
    if args.subset == "2spk":
        recs = [r for r in recs if r.speakers == 2 and r.kind == "constructed"]
    elif args.subset == "meeting":
        recs = [r for r in recs if 3 <= r.speakers <= 4 and r.duration >= 60]
    chunk_s = None if args.chunk == "whole" else float(args.chunk)
    settings = tuple(args.only) if args.only else SETTINGS
    result = evaluate(
        Harness(backend), recs, chunk_s, params, threshold=args.threshold, settings=settings
    )
    for setting, parts in result.items():
        print(f"{setting:13s} {parts.row()}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
