# spark_control — the quick start is `make demo` and `make test`.
SHELL := /bin/bash
HA_PY := .venv/ha/bin/python
HA2026_PY := .venv/ha2026/bin/python
ADDON_PY := .venv/addon/bin/python

.PHONY: setup test lint bench demo lock clean frontend

setup:
	@bash scripts/setup.sh

test: setup
	@bash scripts/test.sh

lint: setup
	$(HA_PY) -m ruff check .
	$(HA_PY) -m ruff format --check .
	$(HA_PY) -m mypy custom_components/spark_control
	$(HA2026_PY) -m mypy --cache-dir .mypy_cache/ha2026 custom_components/spark_control
	$(ADDON_PY) -m mypy --python-version 3.11 gpu_addon/spark_diarizer relay_lib

bench: setup
	@bash scripts/bench.sh

demo: setup
	@bash scripts/demo.sh

lock:
	@bash scripts/lock.sh

# Rebuild the sidebar panel's bundle (committed) from frontend/src after a change there.
frontend: setup
	npm --prefix frontend run build

clean:
	rm -rf .venv build .mypy_cache .ruff_cache .pytest_cache
