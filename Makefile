# Two commands: `make run` and `make test`. Both bootstrap .venv from a bare Python 3.11+.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck check screenshots bench clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/artgen --local

lint: $(STAMP)
	$(BIN)/ruff check artgen_tui tests bench
	$(BIN)/ruff format --check artgen_tui tests bench
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

# Tests run in parallel, one worker per core (up to four): most of them wait on loopback I/O.
test: lint typecheck
	env -u NO_COLOR TEXTUAL_ANIMATIONS=none $(BIN)/python -m pytest -n auto --maxprocesses 4

screenshots: $(STAMP)
	$(BIN)/python scripts/screenshots.py

bench: $(STAMP)
	$(BIN)/python bench/transfer.py
	$(BIN)/python bench/render.py
	$(BIN)/python bench/stream.py
	$(BIN)/python bench/soak.py
	$(BIN)/python bench/startup.py
	$(BIN)/python bench/sessions.py
	$(BIN)/python bench/big_timeline.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .import_linter_cache .grimp_cache
