"""CPU backend with real shipped weights: silero-vad speech, sliding-window resemblyzer d-vectors
(the chunk's noise floor subtracted from the mel power, each window level-normalised), in-chunk
clustering, resegmentation on a 50 ms grid and one fingerprint per local speaker.

The stages are plain functions over arrays (`speech` grid, window `positions`, `embeddings`), so
evalkit/diagnose.py can run the same code with oracle speech regions or an oracle speaker count.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from importlib.metadata import version

import numpy as np
import torch
from silero_vad import get_speech_timestamps, load_silero_vad  # type: ignore[import-untyped]
from sklearn.cluster import AgglomerativeClustering  # type: ignore[import-untyped]

from ..probe import probe_signal
from ._compat import ensure_pkg_resources
from .base import LocalDiarization
from .timeline import drop_short_runs, fill_short_gaps, runs

SAMPLE_RATE = 16000
MEL_HOP = 160  # resemblyzer: 10 ms mel frames
FRAME_S = 0.05  # speech / label grid
FRAMES_PER_GRID = 5  # mel frames per grid frame
SAMPLES_PER_GRID = MEL_HOP * FRAMES_PER_GRID
TARGET_RMS = 10 ** (-30 / 20)  # resemblyzer trains on utterances normalised to -30 dBFS
MAX_GAIN = 10 ** (50 / 20)
VAD_PEAK = 0.99  # the VAD input is scaled up to this peak at most (never clipped)


@dataclass(frozen=True)
class CpuParams:
    """Tuned on the tuning part of the real-speech set (evalkit/README.md); see DOCS.md.

    resemblyzer's input is a linear (not log) mel power spectrogram, so a d-vector moves with the
    level of the audio: each window is scaled to -30 dBFS over its speech before embedding (on
    the tuning part's AMI excerpts this lifted same/different-speaker AUC of 1.6 s windows from
    0.60 to 0.84). Window distances on that part, windows inside one reference speaker's solo
    stretch, and the threshold sweep: gpu_addon/DOCS.md and relay_lib/README.md ("Real speech").
    """

    window_frames: int = 160  # 1.6 s, resemblyzer's partial length
    step_frames: int = 50  # 0.5 s; chunk offsets that are multiples of it keep windows aligned
    min_window_speech: float = 0.5  # share of a window's grid frames that must be speech
    cluster_threshold: float = 0.35  # cosine distance, average linkage
    min_cluster_s: float = 2.0  # smaller clusters are folded into the nearest big one,
    min_cluster_share: float = 0.06  # and so are clusters under this share of the chunk's speech
    refine_iterations: int = 3
    max_gap_s: float = 0.8  # bridge pauses inside a turn
    min_run_s: float = 0.3
    segment_s: float = 0.0  # speech runs are cut into pieces of about this length and each
    # piece is clustered as the mean of its windows (0 = cluster single windows)
    min_fingerprint_s: float = 1.0
    noise_subtract: float = 2.0  # times the chunk's noise floor taken off each mel band (0 = off)
    noise_floor: float = 0.02  # share of a mel bin's power that subtraction always leaves
    min_noise_frames: int = 50  # 0.5 s of non-speech to measure the floor on; else 10th percentile
    vad_threshold: float = 0.25
    vad_level_dbfs: float = -26.0  # chunk RMS the VAD sees (silero's speech probability falls
    vad_max_gain_db: float = 30.0  # with level: quiet far-field speech was missed), capped gain
    vad_min_silence_ms: int = 100
    vad_speech_pad_ms: int = 30


class CpuBackend:
    """silero-vad + resemblyzer; everything needed ships inside the pip packages."""

    name = "cpu"
    device = "cpu"

    def __init__(self, threads: int = 2, params: CpuParams | None = None) -> None:
        ensure_pkg_resources()
        from resemblyzer import VoiceEncoder  # type: ignore[import-untyped]  # noqa: PLC0415
        from resemblyzer.audio import (  # type: ignore[import-untyped]  # noqa: PLC0415
            wav_to_mel_spectrogram,
        )

        self._torch = torch
        self._mel = wav_to_mel_spectrogram
        self._vad = load_silero_vad()
        self._speech_timestamps = get_speech_timestamps
        torch.set_num_threads(threads)  # silero-vad's import forces 1 thread: restore
        self._encoder = VoiceEncoder(device="cpu", verbose=False)
        self.params = params or CpuParams()
        self.diarization_model = f"silero-vad-{version('silero-vad')}+resemblyzer-ahc"
        self.embedding_model = f"resemblyzer-{version('Resemblyzer')}"
        self._warm_up()

    def _warm_up(self) -> None:
        """silero's TorchScript model is several times slower on its first calls: pay that now."""
        self.diarize(probe_signal(6.0), None)  # the start-up probe is the second call

    def diarize(self, audio: np.ndarray, max_speakers: int | None) -> LocalDiarization:
        """Diarize 16 kHz mono float32 audio into local speakers."""
        return self.diarize_speech(audio, self.speech_grid(audio), max_speakers)

    def diarize_speech(
        self,
        audio: np.ndarray,
        speech: np.ndarray,
        max_speakers: int | None,
        num_speakers: int | None = None,
    ) -> LocalDiarization:
        """Everything after the VAD, given the speech grid (evalkit passes oracle grids here)."""
        positions = window_positions(speech, audio.size, self.params)
        if not positions:
            return LocalDiarization(segments=[])
        embeddings = self.embed(audio, speech, positions)
        return label_speakers(
            positions,
            embeddings,
            speech,
            self.params,
            max_speakers=max_speakers,
            num_speakers=num_speakers,
        )

    def speech_grid(self, audio: np.ndarray) -> np.ndarray:
        """silero-vad speech on the 50 ms grid (a frame is speech if any of it is)."""
        p = self.params
        threads = self._torch.get_num_threads()
        # silero runs thousands of tiny 32 ms steps: on a busy machine a second intra-op thread
        # makes each step wait for a descheduled peer (measured 6-20x slower), so use one.
        self._torch.set_num_threads(1)
        try:
            with self._torch.inference_mode():
                stamps = self._speech_timestamps(
                    self._torch.from_numpy(vad_input(audio, p)),
                    self._vad,
                    threshold=p.vad_threshold,
                    sampling_rate=SAMPLE_RATE,
                    min_silence_duration_ms=p.vad_min_silence_ms,
                    speech_pad_ms=p.vad_speech_pad_ms,
                    return_seconds=False,
                )
        finally:
            self._torch.set_num_threads(threads)
        speech = np.zeros(grid_size(audio.size), dtype=bool)
        for stamp in stamps:
            speech[stamp["start"] // SAMPLES_PER_GRID : -(-stamp["end"] // SAMPLES_PER_GRID)] = True
        return speech

    def embed(self, audio: np.ndarray, speech: np.ndarray, positions: list[int]) -> np.ndarray:
        """One L2-normalised 256-d d-vector per window: the chunk's noise floor subtracted from
        the mel power, each window scaled to -30 dBFS over its speech first."""
        mel = self._mel(audio.astype(np.float32)).astype(np.float64)
        clean = denoise(mel, speech, self.params)
        length = min(self.params.window_frames, len(mel))
        voiced = speech_frames(speech, len(mel))
        mels = np.stack(
            [
                clean[pos : pos + length]
                * window_gain(audio, speech, pos, length)
                * restore_level(mel, clean, voiced, pos, length)
                for pos in positions
            ]
        ).astype(np.float32)
        out = np.zeros((len(positions), 256), dtype=np.float32)
        with self._torch.inference_mode():
            for offset in range(0, len(positions), 128):
                tensor = self._torch.from_numpy(np.ascontiguousarray(mels[offset : offset + 128]))
                out[offset : offset + 128] = self._encoder(tensor).cpu().numpy()
        return out


def speech_frames(speech: np.ndarray, mel_frames: int) -> np.ndarray:
    """The 50 ms speech grid on resemblyzer's 10 ms mel frames."""
    frames = np.repeat(speech, FRAMES_PER_GRID)[:mel_frames]
    return np.concatenate([frames, np.zeros(mel_frames - frames.size, dtype=bool)])


def denoise(mel: np.ndarray, speech: np.ndarray, p: CpuParams) -> np.ndarray:
    """Mel power with the chunk's stationary noise floor taken off (spectral subtraction).

    On real far-field speech the noise floor, not the voice, was what window d-vectors grouped
    by: with the true speaker count, k-means over raw windows split one loud speaker in two and
    merged two quiet ones (tuning part, evalkit/README.md), because a quiet voice's windows,
    scaled to -30 dBFS, are mostly amplified noise. The floor is the median of the non-speech
    frames (the 10th percentile of all frames when the chunk has under p.min_noise_frames)."""
    if p.noise_subtract <= 0 or len(mel) == 0:
        return mel
    quiet = ~speech_frames(speech, len(mel))
    if np.count_nonzero(quiet) >= p.min_noise_frames:
        floor = np.median(mel[quiet], axis=0)
    else:
        floor = np.percentile(mel, 10, axis=0)
    return np.asarray(np.maximum(mel - p.noise_subtract * floor, p.noise_floor * mel))


def restore_level(
    mel: np.ndarray, clean: np.ndarray, voiced: np.ndarray, pos: int, length: int
) -> float:
    """Power ratio that gives a denoised window its speech level back, so window_gain's -30 dBFS
    (measured on the noisy samples) holds for the voice, not the voice minus the noise."""
    pick = voiced[pos : pos + length]
    if not pick.any():
        pick = np.ones(min(length, len(mel) - pos), dtype=bool)
    before = float(mel[pos : pos + length][pick].sum())
    after = float(clean[pos : pos + length][pick].sum())
    return before / after if after > 0 else 1.0


def vad_input(audio: np.ndarray, p: CpuParams) -> np.ndarray:
    """The chunk scaled to p.vad_level_dbfs RMS (peak at most VAD_PEAK, gain at most
    p.vad_max_gain_db): silero-vad's speech probability falls with level, and at threshold 0.5 on
    raw audio it missed 23-26 % of the reference speech of the real-speech set (AMI far-field
    excerpts at -35..-55 dBFS). Only the VAD sees the scaled copy."""
    rms = float(np.sqrt(np.mean(np.square(audio, dtype=np.float64)))) if audio.size else 0.0
    peak = float(np.max(np.abs(audio))) if audio.size else 0.0
    if rms == 0.0 or peak == 0.0:
        return audio
    gain = min(10 ** (p.vad_level_dbfs / 20) / rms, VAD_PEAK / peak, 10 ** (p.vad_max_gain_db / 20))
    return (audio * gain).astype(np.float32)


def grid_size(samples: int) -> int:
    """Number of 50 ms grid frames covering `samples` audio samples."""
    return -(-samples // SAMPLES_PER_GRID)


def window_positions(speech: np.ndarray, samples: int, p: CpuParams) -> list[int]:
    """Start mel frames of the windows worth embedding: a fixed grid (step p.step_frames), kept
    where at least p.min_window_speech of the window is speech; audio shorter than a window is
    one window. A fixed grid (not one aligned to speech regions) keeps windows identical when
    the same audio is cut at another offset that is a multiple of the step."""
    mel_frames = samples // MEL_HOP + 1
    length = min(p.window_frames, mel_frames)
    last = mel_frames - length
    starts = list(range(0, last + 1, p.step_frames))
    if starts[-1] != last:
        starts.append(last)
    grid = p.window_frames // FRAMES_PER_GRID
    kept = []
    for pos in starts:
        a = pos // FRAMES_PER_GRID
        span = speech[a : a + max(1, min(grid, length // FRAMES_PER_GRID))]
        if span.size and span.mean() >= p.min_window_speech:
            kept.append(pos)
    return kept


def window_gain(audio: np.ndarray, speech: np.ndarray, pos: int, length: int) -> float:
    """Mel-power gain that brings a window's speech to -30 dBFS (power: amplitude gain squared)."""
    first = pos // FRAMES_PER_GRID
    mask = np.repeat(speech[first : -(-(pos + length) // FRAMES_PER_GRID)], SAMPLES_PER_GRID)
    skip = pos * MEL_HOP - first * SAMPLES_PER_GRID
    piece = audio[pos * MEL_HOP : (pos + length) * MEL_HOP]
    voiced = piece[mask[skip : skip + piece.size]] if mask.size >= skip + piece.size else piece
    if voiced.size == 0:
        voiced = piece
    rms = float(np.sqrt(np.mean(np.square(voiced, dtype=np.float64)))) if voiced.size else 0.0
    gain = TARGET_RMS / rms if rms > 0 else 1.0
    return min(gain, MAX_GAIN) ** 2


def label_speakers(
    positions: list[int],
    embeddings: np.ndarray,
    speech: np.ndarray,
    p: CpuParams,
    *,
    max_speakers: int | None = None,
    num_speakers: int | None = None,
) -> LocalDiarization:
    """Cluster the windows, label every speech frame, smooth, and fingerprint each speaker."""
    windows = [(pos, pos + p.window_frames) for pos in positions]
    step_s = p.step_frames / 100
    if p.segment_s > 0:
        labels, assignment = _segment_labels(
            positions, embeddings, speech, p, max_speakers=max_speakers, num_speakers=num_speakers
        )
    else:
        min_s = max(p.min_cluster_s, p.min_cluster_share * np.count_nonzero(speech) * FRAME_S)
        min_windows = max(1, round(min_s / step_s))
        assignment, centroids = cluster(embeddings, p, max_speakers, num_speakers, min_windows)
        labels = resegment(windows, embeddings @ centroids.T, speech, speech.size)
    return finish(labels, windows, embeddings, assignment, p)


def finish(
    labels: np.ndarray,
    windows: list[tuple[int, int]],
    embeddings: np.ndarray,
    assignment: np.ndarray,
    p: CpuParams,
) -> LocalDiarization:
    """Frame labels to turns: pauses bridged, short runs dropped, one fingerprint per speaker."""
    labels = fill_short_gaps(labels, int(p.max_gap_s / FRAME_S))
    labels = drop_short_runs(labels, int(p.min_run_s / FRAME_S))
    prints = fingerprint(windows, embeddings, assignment, labels, p.min_fingerprint_s)
    return LocalDiarization(segments=runs(labels, FRAME_S), fingerprints=prints)


def speech_pieces(speech: np.ndarray, piece_s: float) -> list[tuple[int, int]]:
    """Grid ranges of the speech runs, each cut into near-equal pieces of about piece_s."""
    out: list[tuple[int, int]] = []
    edges = np.flatnonzero(np.diff(np.concatenate(([0], speech.astype(np.int8), [0]))))
    size = max(1, round(piece_s / FRAME_S))
    for start, end in zip(edges[::2], edges[1::2], strict=True):
        count = max(1, round((end - start) / size))
        cuts = np.linspace(start, end, count + 1).round().astype(int)
        out.extend((int(a), int(b)) for a, b in itertools.pairwise(cuts) if b > a)
    return out


def _segment_labels(
    positions: list[int],
    embeddings: np.ndarray,
    speech: np.ndarray,
    p: CpuParams,
    *,
    max_speakers: int | None,
    num_speakers: int | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Cluster speech pieces (mean of the windows centred in each) instead of single windows;
    returns (grid labels, window -> cluster)."""
    pieces = speech_pieces(speech, p.segment_s)
    centres = (np.asarray(positions) + p.window_frames // 2) // FRAMES_PER_GRID
    vectors, kept = [], []
    for index, (a, b) in enumerate(pieces):
        inside = np.flatnonzero((centres >= a) & (centres < b))
        if inside.size == 0:  # short piece: the windows nearest to its middle
            distance = np.abs(centres - (a + b) / 2)
            inside = np.flatnonzero(distance <= distance.min() + 1)
        mean = embeddings[inside].mean(axis=0)
        vectors.append(mean / max(float(np.linalg.norm(mean)), 1e-9))
        kept.append(index)
    x = np.stack(vectors)
    weights = np.array([b - a for a, b in pieces], dtype=float) * FRAME_S
    min_pieces_s = p.min_cluster_s
    assignment, centroids = cluster(x, p, max_speakers, num_speakers, 1)
    seconds = np.bincount(assignment, weights=weights, minlength=len(centroids))
    big = np.flatnonzero(seconds >= min_pieces_s)
    if num_speakers is None and 0 < big.size < len(centroids):
        centroids = centroids[big]
        assignment = np.argmax(x @ centroids.T, axis=1)
    labels = np.full(speech.size, -1, dtype=int)
    for (a, b), label in zip(pieces, assignment, strict=True):
        labels[a:b] = label
    window_labels = np.argmax(embeddings @ centroids.T, axis=1)
    return labels, window_labels


def cluster(
    embeddings: np.ndarray,
    p: CpuParams,
    max_speakers: int | None,
    num_speakers: int | None = None,
    min_windows: int = 1,
) -> tuple[np.ndarray, np.ndarray]:
    """Average-linkage AHC on cosine distance, small clusters folded in, k-means style refinement.

    Returns (window -> cluster index, unit centroids).
    """
    n = len(embeddings)
    if n == 1:
        return np.zeros(1, dtype=int), _centroids(embeddings, np.zeros(1, dtype=int), 1)
    if num_speakers is not None:
        labels = _ahc(embeddings, n_clusters=min(num_speakers, n))
    else:
        labels = _ahc(embeddings, threshold=p.cluster_threshold)
        if max_speakers is not None and labels.max() + 1 > max_speakers:
            labels = _ahc(embeddings, n_clusters=max_speakers)
    sizes = np.bincount(labels)
    big = np.flatnonzero(sizes >= (1 if num_speakers else min_windows))
    if big.size == 0:
        big = np.array([int(np.argmax(sizes))])
    centroids = _centroids(embeddings, labels, labels.max() + 1)[big]
    for _ in range(p.refine_iterations):
        labels = np.argmax(embeddings @ centroids.T, axis=1)
        keep = np.flatnonzero(np.bincount(labels, minlength=len(centroids)) > 0)
        centroids = _centroids(embeddings, labels, len(centroids))[keep]
    labels = np.argmax(embeddings @ centroids.T, axis=1)
    return labels, centroids


def _ahc(
    embeddings: np.ndarray, *, n_clusters: int | None = None, threshold: float | None = None
) -> np.ndarray:
    model = AgglomerativeClustering(
        n_clusters=n_clusters, distance_threshold=threshold, metric="cosine", linkage="average"
    )
    return np.asarray(model.fit_predict(embeddings), dtype=int)


def _centroids(embeddings: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    out = np.zeros((k, embeddings.shape[1]), dtype=np.float32)
    np.add.at(out, labels, embeddings)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.where(norms == 0, 1.0, norms)


def resegment(
    windows: list[tuple[int, int]], scores: np.ndarray, speech: np.ndarray, n_grid: int
) -> np.ndarray:
    """Label each speech frame by the mean centroid similarity of the windows covering it."""
    k = scores.shape[1]
    total = np.zeros((n_grid, k), dtype=np.float32)
    count = np.zeros(n_grid, dtype=np.float32)
    for (start, end), score in zip(windows, scores, strict=True):
        a, b = start // FRAMES_PER_GRID, min(n_grid, -(-end // FRAMES_PER_GRID))
        total[a:b] += score
        count[a:b] += 1
    labels = np.full(n_grid, -1, dtype=int)
    covered = count > 0
    labels[covered] = np.argmax(total[covered], axis=1)
    # speech frames no window reached (short regions): nearest covered frame's label
    missing = np.flatnonzero(speech & ~covered)
    known = np.flatnonzero(covered)
    if missing.size and known.size:
        nearest = np.clip(np.searchsorted(known, missing), 1, max(1, known.size - 1))
        left, right = known[nearest - 1], known[np.minimum(nearest, known.size - 1)]
        pick = np.where(missing - left <= right - missing, left, right)
        pick = np.where(known.size == 1, known[0], pick)
        labels[missing] = labels[pick]
    labels[~speech] = -1
    return labels


def fingerprint(
    windows: list[tuple[int, int]],
    embeddings: np.ndarray,
    assignment: np.ndarray,
    labels: np.ndarray,
    min_seconds: float,
) -> dict[int, np.ndarray]:
    """Mean d-vector of each speaker's clean windows (wholly inside that speaker's turns)."""
    clean: dict[int, list[int]] = {}
    for index, (start, end) in enumerate(windows):
        a, b = start // FRAMES_PER_GRID, -(-end // FRAMES_PER_GRID)
        span = labels[a:b]
        span = span[span >= 0]
        speaker = int(assignment[index])
        if span.size and np.all(span == speaker):
            clean.setdefault(speaker, []).append(index)
    out: dict[int, np.ndarray] = {}
    for speaker, indices in clean.items():
        if np.count_nonzero(labels == speaker) * FRAME_S >= min_seconds:
            mean = embeddings[indices].mean(axis=0)
            out[speaker] = mean / max(float(np.linalg.norm(mean)), 1e-9)
    return out
