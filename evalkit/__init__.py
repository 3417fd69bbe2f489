"""Evaluation and synthesis helpers shared by tests, `demo/` and `benchmarks/`.

`audio_synth` speaks conversations with espeak-ng (plumbing only, not quality), `der` scores
diarization with pyannote.metrics, `nemo_models` builds random-weight NeMo models from configs.
"""
