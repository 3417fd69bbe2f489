"""Progress bar on stderr: chunks done, audio time covered and an ETA from the audio rate so far."""

from __future__ import annotations

from typing import TextIO

from relay_lib.pipeline import Progress

_WIDTH = 24


def _clock(seconds: float) -> str:
    seconds = max(0, round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"


def format_progress(p: Progress) -> str:
    """One status line, e.g. `[######......] 3/12 chunks  0:15:00/1:00:00 audio  ETA 0:00:42`."""
    total_s = p.audio_total_s
    fraction = min(1.0, p.audio_done_s / total_s) if total_s else 0.0
    filled = round(fraction * _WIDTH)
    bar = "#" * filled + "." * (_WIDTH - filled)
    chunks = f"{p.chunks_done}/{p.chunks_total}" if p.chunks_total else f"{p.chunks_done}"
    audio = f"{_clock(p.audio_done_s)}/{_clock(total_s)}" if total_s else _clock(p.audio_done_s)
    if total_s and p.audio_done_s > 0:
        eta = _clock(p.elapsed_s / p.audio_done_s * max(0.0, total_s - p.audio_done_s))
    else:
        eta = "?"
    return f"[{bar}] {chunks} chunks  {audio} audio  ETA {eta}"


class ProgressBar:
    """Redraws one line on a terminal; prints one line per chunk when stderr is a file or pipe."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._tty = stream.isatty()
        self._drawn = False

    def __call__(self, progress: Progress) -> None:
        line = format_progress(progress)
        if self._tty:
            self._stream.write("\r" + line)
            self._drawn = True
        else:
            self._stream.write(line + "\n")
        self._stream.flush()

    def finish(self) -> None:
        """End the redrawn line so later output starts on a fresh one."""
        if self._drawn:
            self._stream.write("\n")
            self._stream.flush()
            self._drawn = False
