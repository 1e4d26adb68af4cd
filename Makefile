# Every target installs what it needs: a fresh clone with Python 3.11+, Node.js
# and make runs `make demo` or `make test` and nothing else.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install lint typecheck test test-fast bench demo clean synth

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

test: lint typecheck
	$(BIN)/pytest

test-fast: $(STAMP)
	$(BIN)/pytest -x

bench: $(STAMP)
	$(BIN)/python bench/core.py
	$(BIN)/python -m bench.run
	$(BIN)/python -m bench.fanout --write

# Starts `canter dev` and a worker, runs the order workflow in examples/ to
# COMPLETED and stops everything; non-zero exit if any step fails.
demo: $(STAMP)
	$(BIN)/python examples/demo.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis cdk.out node_modules

# The CDK CLI from npm into ./node_modules (ignored by git, removed by `make
# clean`). cdk.json runs `python3 app.py`: the venv's bin goes first on PATH so
# that python3 is the one with aws-cdk-lib and the project installed. No
# notices or telemetry: synthesis talks to no network but the registries.
CDK := node_modules/.bin/cdk

$(CDK):
	npm install --no-save --no-package-lock --no-audit --no-fund aws-cdk@2

synth: $(STAMP) $(CDK)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(CDK) synth --quiet --no-notices --no-version-reporting --output cdk.out
