# One task runner: every entry point users and CI need.
PYTHON ?= python3
VENV   ?= .venv
HOST   ?= 127.0.0.1
PORT   ?= 8080
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEVSTAMP := $(VENV)/.installed-dev

.PHONY: run test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(DEVSTAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP) $@

run: $(STAMP)
	$(BIN)/mockgw serve --host $(HOST) --port $(PORT) --scenarios scenarios

lint: $(DEVSTAMP)
	$(BIN)/ruff check mockgw tests bench
	$(BIN)/ruff format --check mockgw tests bench
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest

bench: $(DEVSTAMP)
	$(BIN)/python -m bench

.PHONY: schema
schema: $(STAMP)  # regenerate the committed JSON Schema after a change to the format
	$(BIN)/mockgw schema > schema/mockgw-scenario.schema.json.tmp
	mv schema/mockgw-scenario.schema.json.tmp schema/mockgw-scenario.schema.json

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
