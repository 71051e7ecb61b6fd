# The two commands: `make run` and `make test`. Everything else is a helper for them.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
export PORT

.PHONY: run test install install-dev assets browser lint format migrate seed worker web clean bench

$(BIN)/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is required (found " + sys.version.split()[0] + "); set PYTHON=python3.11"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e .
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

install: $(VENV)/.installed assets
install-dev: $(VENV)/.installed-dev

## Hashed, gzip/brotli copies of static/ in build/static (the app also does it at start-up
## when something is missing; this keeps that work out of the first request's way).
assets: $(VENV)/.installed
	@$(BIN)/python -c "from rental.shared.assets import main; main()"

migrate: install
	$(BIN)/flask --app wsgi db upgrade

seed: migrate
	$(BIN)/flask --app wsgi seed-demo --if-empty
	$(BIN)/flask --app wsgi accounts demo-users

## make run: install, migrate, load the demo when the database is empty, start web + worker.
run: seed
	@if [ -f instance/demo-admin.txt ]; then cat instance/demo-admin.txt; fi
	@echo "Starting web and worker: http://127.0.0.1:$(PORT)  (Ctrl-C stops both; staff sign-in at /login)"
	@# honcho gives each process its own PORT (the worker's is PORT+100): links in the e-mails
	@# the worker sends must name the web's address, so PUBLIC_URL says it unless it is set.
	PUBLIC_URL="$${PUBLIC_URL:-http://127.0.0.1:$(PORT)}" scripts/run.sh $(BIN)/honcho start --port $(PORT)

## make test: dev dependencies, a browser for Playwright, then the whole suite, one pytest
## worker per core (pytest-xdist; at most 4: each starts its own web servers and browser).
## PYTEST_WORKERS=0 runs it in one process.
PYTEST_WORKERS ?= auto
test: install-dev assets browser
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --maxprocesses=4 $(PYTEST_ARGS)

browser:
	@scripts/ensure-browser.sh

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) instance build *.egg-info

## make bench: every benchmark and its baselines on SQLite and PostgreSQL (not part of
## `make test`); appends the tables to benchmarks/RESULTS.md. BENCH_ARGS="--quick --only pages".
bench: install-dev
	$(BIN)/pip install --quiet -e '.[bench]'
	@command -v ab >/dev/null || { echo "ab is missing: apt-get install -y apache2-utils"; exit 1; }
	$(BIN)/python benchmarks/run_all.py $(BENCH_ARGS)
