"""Frame-grid helpers shared by the backends: label runs to turns, gap filling, clean masks."""

from __future__ import annotations

import numpy as np


def runs(labels: np.ndarray, frame_s: float) -> list[tuple[float, float, int]]:
    """Turn a per-frame label array (-1 = silence) into (start_s, end_s, label) runs."""
    out: list[tuple[float, float, int]] = []
    if labels.size == 0:
        return out
    change = np.flatnonzero(np.diff(labels)) + 1
    starts = np.concatenate(([0], change))
    ends = np.concatenate((change, [labels.size]))
    for start, end in zip(starts, ends, strict=True):
        label = int(labels[start])
        if label >= 0:
            out.append((start * frame_s, end * frame_s, label))
    return out


def fill_short_gaps(labels: np.ndarray, max_gap: int) -> np.ndarray:
    """Bridge silences of at most max_gap frames between two runs of the same label."""
    filled = labels.copy()
    index = 0
    size = labels.size
    while index < size:
        if filled[index] >= 0:
            index += 1
            continue
        end = index
        while end < size and filled[end] < 0:
            end += 1
        if index > 0 and end < size and end - index <= max_gap and filled[index - 1] == filled[end]:
            filled[index:end] = filled[end]
        index = end
    return filled


def drop_short_runs(labels: np.ndarray, min_len: int) -> np.ndarray:
    """Give runs shorter than min_len frames to the longer neighbouring speaker (or silence)."""
    out = labels.copy()
    if out.size == 0 or min_len <= 1:
        return out
    change = np.flatnonzero(np.diff(out)) + 1
    starts = np.concatenate(([0], change))
    ends = np.concatenate((change, [out.size]))
    for position, (start, end) in enumerate(zip(starts, ends, strict=True)):
        if out[start] < 0 or end - start >= min_len:
            continue
        left = out[starts[position - 1]] if position > 0 else -1
        right = out[ends[position + 1] - 1] if position + 1 < len(starts) else -1
        left_len = 0 if left < 0 else start - starts[position - 1]
        right_len = 0 if right < 0 else ends[position + 1] - end
        neighbour = left if left >= 0 and (right < 0 or left_len >= right_len) else right
        if neighbour >= 0:
            out[start:end] = neighbour
    return out
