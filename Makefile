# pidsvc: `make run` serves the service on the embedded default; `make test` runs the whole suite.
SHELL := /bin/bash
# The first Python 3.11+ that actually runs (version-manager shims may exist but fail).
PYTHON ?= $(shell for p in python3 python3.13 python3.12 python3.11; do \
	$$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && { echo $$p; break; }; \
	done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint migrate bench clean lock browser

$(STAMP): requirements.txt requirements-dev.txt
	@test -n "$(PYTHON)" || { echo "pidsvc needs Python 3.11 or newer (python3.11 or later on PATH)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

run: export DEBUG ?= true
run: $(STAMP)
	mkdir -p var
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py setup_demo
	$(BIN)/python scripts/serve-dev

migrate: $(STAMP)
	$(BIN)/python manage.py migrate --noinput

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run --settings=tests.settings

test: lint browser
	$(BIN)/python -m pytest

# Debian's chromium and chromium-driver for tests/browser (installed with apt-get when root).
browser:
	scripts/ensure-browser

bench: $(STAMP)
	$(BIN)/python -m bench.mint
	$(BIN)/python -m bench.harvest

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .hypothesis

# Re-pin requirements.txt from requirements.in in a clean environment.
lock:
	rm -rf var/lockvenv && $(PYTHON) -m venv var/lockvenv
	var/lockvenv/bin/pip install --quiet -r requirements.in
	{ echo '# Every runtime package, pinned (generated from requirements.in by `make lock`).'; \
	  var/lockvenv/bin/pip freeze | grep -v '^pip==\|^setuptools=='; } > requirements.txt
	rm -rf var/lockvenv
