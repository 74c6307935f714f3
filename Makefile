# Every target creates .venv and installs what it needs when missing (stamp files track pyproject.toml).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev

.PHONY: demo local test test-unit lint bench sam-validate sam-build clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

demo: $(STAMP)
	$(BIN)/agentflow demo

local: $(STAMP)
	$(BIN)/agentflow local

test: $(STAMP)
	$(BIN)/pytest -q
	$(MAKE) --no-print-directory sam-validate

test-unit: $(STAMP)
	$(BIN)/pytest -q tests/unit

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

sam-validate: $(STAMP)
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/sam validate --lint --region us-east-1

sam-build: $(STAMP)
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/sam build --region us-east-1

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .aws-sam .pytest_cache .mypy_cache .ruff_cache
