# Set-up is automatic: every target below creates .venv first if it is missing or stale.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: serve test lint train evaluate bench clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

## make serve: train any missing local model, then run the local endpoint and the API.
# Ctrl-C reaches make and python together. serve handles SIGINT itself and exits 0, so make
# prints no error line; SIGINT is ignored until then (python would otherwise print a
# KeyboardInterrupt traceback if it came while python still imports, and make "Interrupt").
serve: $(STAMP)
	trap '' INT; exec $(BIN)/python -m training serve --api

## make test: lint, type-check and run the whole test suite.
test: $(STAMP) lint
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

train: $(STAMP)
	$(BIN)/python -m training train

evaluate: $(STAMP)
	$(BIN)/python -m training evaluate

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) models reports .pytest_cache .mypy_cache .ruff_cache
