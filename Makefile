# One task runner: every entry point users and CI need.
PYTHON ?= python3
VENV   ?= .venv
HOST   ?= 127.0.0.1
PORT   ?= 8080
BIN    := $(VENV)/bin

# Python caches compiled modules in __pycache__ unless told not to; some CI images say
# PYTHONDONTWRITEBYTECODE=1, which makes every process of the suite (xdist workers and each
# `mockgw serve` it starts) compile mockgw, pydantic and the SDKs from source again.
unexport PYTHONDONTWRITEBYTECODE
STAMP  := $(VENV)/.installed
DEVSTAMP := $(VENV)/.installed-dev

.PHONY: run test test-floors drift lint bench dist clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# With the official SDKs: the README's Python examples run with $(BIN)/python.
# --no-compile: pip would byte-compile every file of every package (the SDKs alone are
# thousands), 19 of a fresh install's 32 s here; Python compiles what is imported, once,
# and keeps it (see PYTHONDONTWRITEBYTECODE above).
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --no-compile -e '.[sdk]'
	touch $@

$(DEVSTAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --no-compile -e '.[dev]'
	touch $(STAMP) $@

# The shipped scenario library (mockgw/library/) is served by name; add your own
# directories with SCENARIOS="dir1 dir2".
SCENARIOS ?=
run: $(STAMP)
	$(BIN)/mockgw serve --host $(HOST) --port $(PORT) $(foreach dir,$(SCENARIOS),--scenarios $(dir))

lint: $(DEVSTAMP)
	$(BIN)/ruff check mockgw tests bench tools
	$(BIN)/ruff format --check mockgw tests bench tools
	$(BIN)/mypy

# System packages a test needs, installed when missing (a clean CI machine has none of them).
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
need = @command -v $(1) >/dev/null 2>&1 || { echo "installing $(2)"; \
	$(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(2); }

# The official Node SDKs, pinned by tests/node/package-lock.json, for the Node client tests.
NODE_DEPS := tests/node/node_modules/.package-lock.json
$(NODE_DEPS): tests/node/package-lock.json
	$(call need,npm,nodejs npm)
	cd tests/node && npm ci --no-audit --no-fund --loglevel=error

# Branch coverage of mockgw in the suite's own processes (CONTRIBUTING.md), gated by
# [tool.coverage.report] fail_under in pyproject.toml.
test: lint $(NODE_DEPS)
	$(BIN)/python -m pytest -n 2 --cov --cov-report=term

# The suite against the lowest dependency versions pyproject allows (downloads them into
# $(FLOORS_VENV)); not part of `make test`.
FLOORS_VENV ?= /tmp/mockgw-floors
FLOORS_PYTHON ?= $(PYTHON)
test-floors:
	python3 tools/floors.py --venv $(FLOORS_VENV) --python $(FLOORS_PYTHON)

# The newest openai and anthropic releases' own generated tests and helpers against mockgw
# (tools/drift.py; docs/deviations.md says how to read its table). Downloads the SDKs and
# their sdists into $(DRIFT_VENV), so it is not part of `make test`; exits 1 on a failure,
# for a scheduled CI job.
DRIFT_VENV ?= /tmp/mockgw-drift
DRIFT_PYTHON ?= $(PYTHON)
drift:
	python3 tools/drift.py --venv $(DRIFT_VENV) --python $(DRIFT_PYTHON)

bench: $(DEVSTAMP)
	$(BIN)/python -m bench

.PHONY: schema
schema: $(STAMP)  # regenerate the committed JSON Schema after a change to the format
	$(BIN)/mockgw schema > schema/mockgw-scenario.schema.json.tmp
	mv schema/mockgw-scenario.schema.json.tmp schema/mockgw-scenario.schema.json

# An sdist and a wheel in dist/, for `pip install dist/mockgw-*.whl` in another project.
dist: $(DEVSTAMP)
	rm -rf dist
	$(BIN)/python -m build --outdir dist .

clean:
	rm -rf $(VENV) tests/node/node_modules .mypy_cache .ruff_cache .pytest_cache build dist .coverage .coverage.*
