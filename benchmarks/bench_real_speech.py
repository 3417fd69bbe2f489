# bench-env: addon
"""Diarization quality on real speech (evalkit/README.md): cpu backend + relay clustering.

Prints name=value lines, DER pooled over recordings by reference speech time (pyannote.metrics,
collar 0, overlap scored), for the held-back part (never tuned on) and, prefixed real_tune_, for
the tuning part:
- real_der_2spk_relay_10s: two-speaker conversations through the relay in 10 s chunks
- real_der_meeting_relay_30s: 3-4 speaker recordings of at least 60 s, relay in 30 s chunks
- real_der_cpu_whole: every recording of the part as one chunk
- real_speaker_count_exact: share of recordings whose speaker count is exact (2-speaker ones at
  10 s chunks, meetings at 30 s, the rest whole)
The cpu backend's answers are cached under .venv/evaldata/answers (keyed by audio, chunking and
backend parameters), so a rerun with unchanged parameters costs seconds.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "gpu_addon")]

from evalkit.realeval import Score, pooled_der, run  # noqa: E402
from evalkit.realspeech import CACHE, Recording, build_part, fetch  # noqa: E402
from spark_diarizer.backends.cpu import CpuBackend  # noqa: E402


def is_meeting(rec: Recording) -> bool:
    """The issue's meeting class: 3-4 speakers, at least 60 s."""
    return 3 <= rec.speakers <= 4 and rec.duration >= 60


def evaluate(part: str, backend: CpuBackend, work: Path) -> dict[str, float]:
    cache = CACHE / "answers"
    recs = build_part(part)
    two, meetings, whole, counted = [], [], [], []
    for rec in recs:
        whole_score = run(backend, rec, rec.duration + 10.0, work, cache=cache)
        whole.append(whole_score)
        headline: Score = whole_score
        if rec.speakers == 2 and rec.kind == "constructed":
            headline = run(backend, rec, 10.0, work, cache=cache)
            two.append(headline)
        elif is_meeting(rec):
            headline = run(backend, rec, 30.0, work, cache=cache)
            meetings.append(headline)
        counted.append(headline)
        print(
            f"# {part} {rec.name}: {headline.setting} DER {headline.der:.1f} % "
            f"speakers {headline.found}/{headline.truth}; whole DER {whole_score.der:.1f} %",
            flush=True,
        )
    return {
        "real_der_2spk_relay_10s": pooled_der(two),
        "real_der_meeting_relay_30s": pooled_der(meetings),
        "real_der_cpu_whole": pooled_der(whole),
        "real_speaker_count_exact": sum(s.found == s.truth for s in counted) / len(counted),
    }


def main() -> None:
    fetch()
    backend = CpuBackend(threads=2)
    with tempfile.TemporaryDirectory() as tmp:
        for part, prefix in (("held", "real_"), ("tune", "real_tune_")):
            for name, value in evaluate(part, backend, Path(tmp)).items():
                print(f"{prefix}{name.removeprefix('real_')}={value:.3f}")


if __name__ == "__main__":
    main()
