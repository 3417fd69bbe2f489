"""Shims run inside the sandboxes (docker, nvidia-smi, hf); they import only the standard library."""
