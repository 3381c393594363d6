# HashPivot: two commands on a fresh machine — `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.stamp-install
ASSETS_STAMP := $(VENV)/.stamp-ui-assets
SCENARIO ?= runs/baseline.toml
OUT ?= runs/out/baseline

.PHONY: setup run test lint bench ui calibrate clean check-python

check-python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null || { \
	  echo "error: HashPivot needs Python >= 3.12; '$(PYTHON)' is $$($(PYTHON) --version 2>&1 || echo missing)." \
	       "Install 3.12 (pyenv install 3.12) or run: make PYTHON=/path/to/python3.12 <target>" >&2; exit 2; }

$(PY): | check-python
	$(PYTHON) -m venv $(VENV)

# Re-install only when the project metadata changed: `make setup` is a no-op otherwise. constraints.txt pins
# every package to the versions the byte-identity digests were taken with (tests/test_output_identity.py): a
# new numpy or scipy release may change the last bit of a float and so every output. Refresh it on purpose with
# `.venv/bin/pip freeze --exclude-editable > constraints.txt`, and re-pin the digests in the same commit.
$(STAMP): pyproject.toml constraints.txt | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $@

# Solara's front-end assets, served from a local cache so the UI works offline (docs/ui.md).
$(ASSETS_STAMP): scripts/fetch_ui_assets.sh | $(STAMP)
	bash scripts/fetch_ui_assets.sh $(VENV)/share/solara/cdn
	@touch $@

setup: $(STAMP) $(ASSETS_STAMP)

run: setup
	$(VENV)/bin/hashpivot run $(SCENARIO) --out $(OUT)

test: setup
	$(PY) -m pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

bench: setup
	$(PY) benchmarks/bench.py

ui: setup
	$(VENV)/bin/hashpivot ui

calibrate: setup
	$(VENV)/bin/hashpivot calibrate --doc docs/calibration.md

clean:
	rm -rf $(VENV) runs/out .pytest_cache .ruff_cache .hypothesis
