"""Shims run inside the sandboxes (docker, nvidia-smi, hf); standard library only."""
