# Set-up and entry points. `make run` and `make test` create .venv/ when it is
# missing or older than the lock file, then do their job.
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# pip reads the local wheel of torch 2.13.0 (CPU) from here when the machine has it.
FIND_LINKS := $(if $(wildcard /opt/wheels),--find-links /opt/wheels,)
export DVC_NO_ANALYTICS := 1
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false
# dvc.yaml runs `python -m pipeline ...`: make it the project's interpreter.
export PATH := $(abspath $(VENV))/bin:$(PATH)

.PHONY: venv run test test-fast bench lock clean-venv browser

venv: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check -q $(FIND_LINKS) -r requirements.lock 2>&1 | { grep -v 'is ignored: it is neither' || true; }
	$(BIN)/python -c 'import torch, bertopic, spacy, sentence_transformers'
	$(BIN)/pip install --disable-pip-version-check -q --no-deps -e .
	touch $(STAMP)

run: venv
	$(BIN)/dvc repro

# Headless Chromium for the report test: installed from Debian when missing and we may.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || echo "warning: could not install chromium; the browser test will be skipped"; \
	  else echo "warning: chromium missing and not root; the browser test will be skipped"; fi; }

test: venv browser
	$(BIN)/dvc repro
	$(BIN)/python -m pytest

test-fast: venv
	$(BIN)/python -m pytest -m "not slow"

bench: venv
	$(BIN)/python -m benchmarks.embed_bench
	$(BIN)/python -m benchmarks.cap_bench
	$(BIN)/python -m benchmarks.segments_bench
	$(BIN)/python -m benchmarks.segment_bench
	$(BIN)/python -m benchmarks.segment_bench --variants

# Regenerate the lock from requirements.in (needs the registries).
lock:
	rm -rf /tmp/st-lock && $(PY) -m venv /tmp/st-lock
	/tmp/st-lock/bin/pip install -q $(FIND_LINKS) -r requirements.in
	(echo "# Generated from requirements.in with: make lock   (torch is the CPU build 2.13.0, pinned)"; \
	 /tmp/st-lock/bin/pip freeze | grep -v '^-e') > requirements.lock

clean-venv:
	rm -rf $(VENV)
