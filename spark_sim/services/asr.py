"""The fake Parakeet's recognizer: pocketsphinx 5 (English acoustic model from its wheel).

pocketsphinx with its general 130k-word language model gets almost nothing right on espeak-ng
speech ("turn on the kitchen light" -> "they're not looking to rely"), so the simulator decodes
with a small *domain* language model instead: a bigram model (absolute discounting with back-off,
written as ARPA text at start-up) trained on the sentences below, over a dictionary cut from the
wheel's CMU dictionary plus pronunciations for the catalog's model keys. It is still a real
recognizer: any sequence of the ~150 vocabulary words can come out, unseen word pairs back off to
unigrams, and audio it cannot match gives an empty or wrong transcript. What it cannot do is hear
words outside that vocabulary.
"""

from __future__ import annotations

import itertools
import math
import re
import tempfile
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy.signal import resample_poly  # type: ignore[import-untyped]

RATE = 16000
FRAMES_PER_SECOND = 100  # pocketsphinx's frame rate (10 ms frames)
PAD_SECONDS = 0.3  # silence around the audio: the live CMN needs a run-in
# A fixed, seeded noise floor (about -57 dBFS) added before decoding: digital silence (synthetic
# speech, zero padding) has no energy at all and throws pocketsphinx's features off; a microphone
# never delivers it. Measured: 26/64 phrases right without it, 58/64 with it (espeak-ng, 4 voices).
NOISE_FLOOR = 48

AREAS = ("kitchen", "living room", "bedroom", "bathroom", "office", "garage", "hallway", "garden")
THINGS = ("light", "lights", "lamp", "fan", "heater", "tv")
MODELS = ("qwen36", "gemma4", "qwen three vl", "qwen2.5", "gemma", "qwen")
CLUSTER = (
    "which model is loaded",
    "what model is loaded",
    "which model is running",
    "is the cluster ready",
    "is the cluster up",
    "restart parakeet",
    "restart magpie",
    "how far is the download",
    "what is the status of the cluster",
    "stop the cluster",
    "what time is it",
    "what is the temperature",
    "hello",
    "thank you",
    "cancel",
    "what is the weather like today",
)
# Words the CMU dictionary lacks or says differently: catalog keys as people and espeak-ng say them.
EXTRA_WORDS = {
    "qwen36": ("K W EH N TH ER D IY S IH K S", "K Y UW W EH N TH ER D IY S IH K S"),
    "gemma4": ("JH EH M AH F AO R",),
    "qwen": ("K W EH N", "K Y UW W EH N"),
    "qwen2.5": ("K W EH N T UW P OY N T F AY V",),
    "vl": ("V IY EH L",),
    "tv": ("T IY V IY",),
}


def sentences() -> list[str]:
    """The domain corpus: Assist's device commands and the cluster's own phrases."""
    out = []
    for area, thing in itertools.product(AREAS, THINGS):
        for verb in ("turn on the", "turn off the", "switch on the", "switch off the", "is the"):
            out.append(f"{verb} {area} {thing}")
        out += [f"dim the {area} {thing}", f"turn the {area} {thing} on"]
        out.append(f"turn the {area} {thing} off")
    for model in MODELS:
        for form in ("load {} on the cluster", "load {}", "switch to {}", "is {} loaded"):
            out.append(form.format(model))
        out.append(f"download {model}")
    return out + list(CLUSTER)


def arpa(corpus: list[str], discount: float = 0.5) -> str:
    """A bigram ARPA model: add-one unigrams, absolutely discounted bigrams, proper back-off."""
    uni: Counter[str] = Counter()
    bi: Counter[tuple[str, str]] = Counter()
    for sentence in corpus:
        words = ["<s>", *sentence.split(), "</s>"]
        uni.update(words)
        bi.update(itertools.pairwise(words))
    vocab = sorted(uni)
    total = sum(count for word, count in uni.items() if word != "<s>")
    p1 = {w: (uni[w] + 1) / (total + len(vocab) - 1) for w in vocab if w != "<s>"}
    followers: dict[str, list[str]] = defaultdict(list)
    for first, second in bi:
        followers[first].append(second)
    seen = {h: sum(bi[h, w] for w in ws) for h, ws in followers.items()}
    p2 = {(h, w): (c - discount) / seen[h] for (h, w), c in bi.items()}
    backoff = {
        h: (discount * len(ws) / seen[h]) / max(1e-9, 1 - sum(p1[w] for w in ws))
        for h, ws in followers.items()
    }
    lines = ["\\data\\", f"ngram 1={len(vocab)}", f"ngram 2={len(p2)}", "", "\\1-grams:"]
    for word in vocab:
        prob = -99.0 if word == "<s>" else math.log10(p1[word])
        lines.append(f"{prob:.4f} {word} {math.log10(backoff.get(word, 1.0)):.4f}")
    lines += ["", "\\2-grams:"]
    lines += [f"{math.log10(p):.4f} {h} {w}" for (h, w), p in sorted(p2.items())]
    return "\n".join([*lines, "", "\\end\\", ""])


def dictionary(vocab: set[str], cmudict: Path) -> str:
    """The CMU entries (with their variants) of the vocabulary, plus EXTRA_WORDS."""
    out = []
    with cmudict.open(encoding="utf-8") as source:
        for line in source:
            base = re.sub(r"\(\d+\)$", "", line.split(" ", 1)[0])
            if base in vocab and base not in EXTRA_WORDS:
                out.append(line.rstrip("\n"))
    for word, prons in EXTRA_WORDS.items():
        out += [f"{word if i == 0 else f'{word}({i + 1})'} {p}" for i, p in enumerate(prons)]
    return "\n".join(out) + "\n"


@dataclass(frozen=True)
class Word:
    word: str
    start: float
    end: float


class Recognizer:
    """One pocketsphinx decoder over the domain model; not thread-safe (callers serialise)."""

    def __init__(self) -> None:
        import pocketsphinx  # type: ignore[import-untyped]

        corpus = sentences()
        vocab = {word for sentence in corpus for word in sentence.split()}
        model = Path(pocketsphinx.get_model_path()) / "en-us"
        with tempfile.TemporaryDirectory(prefix="sim-asr-") as tmp:
            lm, dic = Path(tmp) / "domain.arpa", Path(tmp) / "domain.dict"
            lm.write_text(arpa(corpus), encoding="utf-8")
            dic.write_text(dictionary(vocab, model / "cmudict-en-us.dict"), encoding="utf-8")
            config = pocketsphinx.Config(
                hmm=str(model / "en-us"), lm=str(lm), dict=str(dic), samprate=RATE, loglevel="ERROR"
            )
            self.decoder = pocketsphinx.Decoder(config)

    def transcribe(self, pcm: bytes) -> list[Word]:
        """Words (with seconds into the given audio) heard in 16 kHz s16le mono PCM."""
        pad = np.zeros(int(RATE * PAD_SECONDS), dtype=np.int32)
        speech = np.frombuffer(pcm[: len(pcm) // 2 * 2], dtype="<i2").astype(np.int32)
        samples = np.concatenate([pad, speech, pad])
        noise = np.random.default_rng(0).integers(-NOISE_FLOOR, NOISE_FLOOR + 1, len(samples))
        audio = np.clip(samples + noise, -32768, 32767).astype("<i2").tobytes()
        self.decoder.start_utt()
        self.decoder.process_raw(audio, full_utt=True)
        self.decoder.end_utt()
        words = []
        for seg in self.decoder.seg():
            word = re.sub(r"\(\d+\)$", "", seg.word)
            if word.startswith(("<", "[")):  # <s>, </s>, <sil>, [NOISE]
                continue
            start = max(0.0, seg.start_frame / FRAMES_PER_SECOND - PAD_SECONDS)
            end = max(start, (seg.end_frame + 1) / FRAMES_PER_SECOND - PAD_SECONDS)
            words.append(Word(word, round(start, 2), round(end, 2)))
        return words


def to_pcm16k(samples: np.ndarray[Any, Any], rate: int) -> bytes:
    """Float samples (frames x channels, -1..1) as 16 kHz s16le mono: downmix, then resample."""
    mono = samples.mean(axis=1) if samples.ndim == 2 else samples
    if rate != RATE:
        common = math.gcd(rate, RATE)
        mono = resample_poly(mono, RATE // common, rate // common)
    clipped = np.clip(mono, -1.0, 1.0)
    return bytes((clipped * 32767).astype("<i2").tobytes())
