"""Real speech (AMI excerpts from the pinned pyannote.audio sdist, evalkit/README.md) through the
real cpu add-on over HTTP and the relay library: DER and speaker-count bounds on a small subset
of the held-back part, plus the fetch step's hash check and member filter.

Bounds are the values measured on this subset (relay_lib/README.md, "Real speech") plus a margin
for run-to-run noise on a loaded machine; they are set from the held-back part and never tuned
against it.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import tarfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from evalkit.realeval import score
from evalkit.realspeech import SOURCES, Recording, build_part, fetch
from relay_lib.client import RetryPolicy
from relay_lib.pipeline import RelayOptions, run_relay
from tests.addon.relay.conftest import REQUEST_TIMEOUT_S

pytestmark = pytest.mark.timeout(3600)

# name in the held-back part -> (chunk seconds, DER bound in %, largest speaker-count error).
# Measured (benchmarks/bench_real_speech.py, Nov 2026: VAD on the chunk scaled to -26 dBFS at
# threshold 0.25, the noise floor subtracted from the mel power, level-normalised windows,
# in-chunk threshold 0.35, relay threshold 0.2): 41.6 % with 2 of 2 speakers found; 70.0 % with
# 6 of 4. The bounds are those plus 6-7.4 points: they catch a regression, they do not claim the
# issue's targets (2 speakers <= 15 %, meetings <= 30 %), which are not met.
SUBSET = {
    "held-c01-2spk-60s-phone": (10.0, 49.0, 1),
    "trn07+trn08": (30.0, 76.0, 2),
}


@pytest.fixture(scope="module")
def held() -> dict[str, Recording]:
    fetch()
    return {r.name: r for r in build_part("held") if r.name in SUBSET}


def _relay(
    rec: Recording, chunk_s: float, addon: str, work: Path
) -> list[tuple[float, float, str]]:
    wav = work / f"{rec.name}.wav"
    sf.write(wav, np.clip(rec.audio, -1, 1), 16000, subtype="PCM_16")
    options = RelayOptions(
        addon_urls=[addon], chunk_seconds=chunk_s, policy=RetryPolicy(timeout_s=REQUEST_TIMEOUT_S)
    )
    result = asyncio.run(run_relay(wav, options))
    return [(t.start, t.end, t.speaker) for t in result.segments]


@pytest.mark.parametrize("name", list(SUBSET))
def test_held_back_der_bound(
    name: str, held: dict[str, Recording], addon_url: str, tmp_path: Path
) -> None:
    chunk_s, bound, count_error = SUBSET[name]
    rec = held[name]
    result = score(rec, _relay(rec, chunk_s, addon_url, tmp_path), f"relay_{chunk_s:g}s")
    print(f"{name}: DER {result.der:.1f} % speakers {result.found}/{result.truth}")
    assert result.der <= bound, result
    assert result.found >= 1 and abs(result.found - result.truth) <= count_error, result


def _sdist(path: Path, members: dict[str, bytes]) -> str:
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_fetch_checks_the_hash_and_keeps_only_allowed_members(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = "pyannote_audio-4.0.7"
    sdist = tmp_path / "fake.tar.gz"
    digest = _sdist(
        sdist,
        {
            f"{root}/tests/data/dev00.wav": b"a",
            f"{root}/tests/data/tr\u00f100.wav": b"b",
            f"{root}/tests/data/tst00.wav": b"reserved",
            f"{root}/tests/data/debug.test.rttm": b"reserved",
            f"{root}/src/pyannote/audio/sample/sample.wav": b"reserved",
        },
    )
    source = replace(SOURCES[0], url=sdist.as_uri(), sha256=digest)
    monkeypatch.setattr("evalkit.realspeech.SOURCES", (source,))
    out = fetch(tmp_path / "cache")
    assert sorted(p.name for p in out.iterdir()) == [".complete", "dev00.wav", "trn00.wav"]
    bad = replace(source, sha256="0" * 64)
    monkeypatch.setattr("evalkit.realspeech.SOURCES", (bad,))
    with pytest.raises(RuntimeError, match="sha256"):
        fetch(tmp_path / "other")
