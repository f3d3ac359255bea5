# Tenfour developer tasks. Needs only GNU make and Python 3.11+ (no Docker, Redis or PostgreSQL).
# `make run` starts everything; `make test PYTEST_ARGS='-k compose -x'` runs (some of) the tests.

SHELL := /bin/sh
.DEFAULT_GOAL := help

PYTHON ?= python3
PYTEST_ARGS ?=
# Parallel test processes (pytest-xdist); most of the suite waits on subprocesses, sockets and
# Chromium, so one more process than cores pays (3 measured fastest on 2 cores). PYTEST_WORKERS=0
# runs everything in one process (for --pdb).
PYTEST_WORKERS ?= 3
VENV := .venv
VENV_PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: help run test bench clean distclean venv .venv

help: ## show this list
	@echo "Tenfour make targets (PYTHON=$(PYTHON)):"
	@grep -E '^[a-z. ]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | awk -F '\t' '{ printf "  %-10s %s\n", $$1, $$2 }'

venv .venv: $(STAMP) ## create .venv and install Tenfour with its test extras

$(VENV_PY):
	@command -v $(PYTHON) >/dev/null 2>&1 || { \
	  echo "error: '$(PYTHON)' was not found. Install Python 3.11+ or run: make PYTHON=/path/to/python3.11" >&2; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' || { \
	  echo "error: Tenfour needs Python 3.11 or newer, but $(PYTHON) is $$($(PYTHON) -V 2>&1)." >&2; \
	  echo "       Run: make PYTHON=python3.11 (or python3.12, ...)" >&2; exit 1; }
	@$(PYTHON) -m venv $(VENV) || { \
	  echo "error: '$(PYTHON) -m venv' failed. On Debian/Ubuntu: apt-get install python3-venv" >&2; \
	  rm -rf $(VENV); exit 1; }

$(STAMP): pyproject.toml | $(VENV_PY)
	$(VENV_PY) -m pip install --quiet --upgrade pip
	$(VENV_PY) -m pip install --quiet -e '.[test]'
	@touch $@

run: $(STAMP) ## start web, worker, scheduler, simulator and an embedded Redis (Ctrl-C stops all)
	$(VENV)/bin/tenfour run

test: $(STAMP) ## run the test suite in parallel; pass options with PYTEST_ARGS='...'
	$(VENV_PY) -m pytest -q -n $(PYTEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

BENCH_ARGS ?=

bench: $(STAMP) ## run every bench/*.py (figures go to docs/benchmarks.md); BENCH_ARGS=--quick for a short run
	@set -e; found=0; failed=0; \
	for script in bench/*.py; do \
	  [ -e "$$script" ] || continue; found=1; \
	  echo "== $$script"; $(VENV_PY) "$$script" $(BENCH_ARGS) || failed=1; \
	done; \
	[ "$$failed" = 0 ] || echo "some goals were missed; see docs/benchmarks.md"; \
	[ "$$found" = 1 ] || echo "no bench/*.py scripts yet"

clean: ## remove caches and build output (keeps .venv and instance/ with its data)
	rm -rf build dist .pytest_cache .hypothesis *.egg-info
	find . -path ./$(VENV) -prune -o -type d -name __pycache__ -exec rm -rf {} +

distclean: clean ## also remove .venv
	rm -rf $(VENV)
