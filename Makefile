# jupyterlab-quant — two entry points: `make run` and `make test` (both idempotent).
SHELL := /bin/bash
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
JLPM := $(BIN)/jlpm
export JLQ_HOME ?= $(CURDIR)/.jlq
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1
CHROMIUM ?= /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test install store lint pytest jest chromium p7zip clean benchmark schema help

help:
	@echo "make run   — install everything, prepare the sample store, launch JupyterLab on 127.0.0.1"
	@echo "make test  — install test needs (incl. Debian chromium) and run every test suite"

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# Editable install: the hatch build hook runs `jlpm install` + `jlpm build` into
# jupyterlab_quant/labextension; `labextension develop` links it into the venv.
$(VENV)/.installed: $(BIN)/python pyproject.toml package.json yarn.lock
	$(BIN)/pip install -q -e ".[test]"
	$(BIN)/jupyter labextension develop --overwrite . >/dev/null
	mkdir -p $(VENV)/share/jupyter/lab/settings
	echo '{"@jupyterlab/apputils-extension:notification": {"checkForUpdates": false, "fetchNews": "false"}}' \
	  > $(VENV)/share/jupyter/lab/settings/overrides.json
	touch $@

node_modules/.yarn-state.yml: yarn.lock package.json $(VENV)/.installed
	$(JLPM) install --immutable
	touch $@

install: $(VENV)/.installed node_modules/.yarn-state.yml
	$(JLPM) build >/dev/null

store: install
	$(BIN)/jlq data init-sample

run: store
	$(BIN)/jlq lab --feed replay --replay-start 2024-09-02

chromium:
	@command -v $(CHROMIUM) >/dev/null 2>&1 || { \
	  echo "installing Debian chromium for browser tests"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq \
	    chromium fonts-noto-cjk fonts-dejavu-core >/dev/null; }

# 7-Zip: the backup tests check that 7-Zip lists and extracts our AES-256 zip with the password
p7zip:
	@command -v 7z >/dev/null 2>&1 || { \
	  echo "installing Debian p7zip-full for backup tests"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq p7zip-full >/dev/null; }

lint: install
	$(BIN)/ruff check jupyterlab_quant tests benchmarks scripts
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(JLPM) lint:check

jest: install
	$(JLPM) test

pytest: install chromium p7zip
	JLQ_HOME= $(BIN)/python -m pytest -q -p no:cacheprovider

test: lint jest pytest

schema: install
	$(BIN)/python -m jupyterlab_quant.server.models

benchmark: install
	$(BIN)/python benchmarks/bench_store.py
	$(BIN)/python benchmarks/bench_update.py
	$(BIN)/python benchmarks/bench_backtest.py --jobs 1000

clean:
	rm -rf $(VENV) node_modules lib jupyterlab_quant/labextension jupyterlab_quant/_version.py tsconfig.tsbuildinfo
