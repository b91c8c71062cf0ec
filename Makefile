# Guichet's two commands: `make run` serves the app, `make test` runs every test.
# Both work on a fresh machine with only Python 3.11+: they build .venv themselves.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 5000
# The tests run on every core (pytest-xdist); e.g. PYTEST_ARGS="tests/browser" runs part of them serially.
PYTEST_ARGS ?= -n auto
export FLASK_APP := wsgi

.PHONY: run test lint format bench bench-load fuzz-api translations extract-messages clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit("Guichet needs Python 3.11 or newer, found " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-run: setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed-run

translations: $(VENV)/.installed-run
	$(BIN)/pybabel compile --statistics -d app/translations 2>&1 | grep -v '^compiling' || true

run: $(VENV)/.installed-run translations
	$(BIN)/flask db upgrade
	$(BIN)/flask packs load
	$(BIN)/flask run --host 127.0.0.1 --port $(PORT)

# The browser tests (tests/browser/) drive Debian's Chromium, installed with apt when missing (never
# a browser download), and inject axe-core, installed with npm from the lock file.
CHROMIUM := /usr/bin/chromium
AXE := tests/browser/node_modules/axe-core/axe.min.js

$(CHROMIUM):
	@if [ "$$(id -u)" = 0 ]; then sudo=""; elif command -v sudo >/dev/null; then sudo="sudo"; \
	else echo "The browser tests need Debian's chromium package: run apt-get install chromium as root" >&2; exit 1; fi; \
	command -v apt-get >/dev/null || { echo "The browser tests need $(CHROMIUM) (Debian's chromium package) and apt-get is missing" >&2; exit 1; }; \
	$$sudo apt-get update && $$sudo apt-get install -y --no-install-recommends chromium \
	|| { echo "Could not install Debian's chromium package, which the browser tests need" >&2; exit 1; }
	@test -x $(CHROMIUM) || { echo "apt-get installed chromium but $(CHROMIUM) is missing" >&2; exit 1; }

$(AXE): tests/browser/package.json tests/browser/package-lock.json
	@command -v npm >/dev/null || { echo "The browser tests need npm (Node.js) to install axe-core" >&2; exit 1; }
	cd tests/browser && npm ci --no-audit --no-fund --loglevel=error
	touch $@

test: $(VENV)/.installed-test translations $(CHROMIUM) $(AXE)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest $(PYTEST_ARGS)

format: $(VENV)/.installed-test
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(VENV)/.installed-run
	$(BIN)/python bench/triage.py
	$(BIN)/python bench/licence.py

$(VENV)/.installed-bench: setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	touch $@ $(VENV)/.installed-test $(VENV)/.installed-run

# The load benchmarks need PostgreSQL (the local server unless given --database-url) and
# pgbench; each seeds its own database. docs/performance.md has their latest figures.
bench-load: $(VENV)/.installed-bench translations
	$(BIN)/python bench/decisions.py
	$(BIN)/python bench/journeys.py
	$(BIN)/python bench/scale.py --reuse
	$(BIN)/python bench/pack_memory.py

# The API fuzzer's deep run (docs/reliability.md): schemathesis over every operation as every
# role, in-process on a fresh SQLite database; FUZZ_ARGS="--postgres URL" runs it on PostgreSQL.
FUZZ_ARGS ?= --examples 60
fuzz-api: $(VENV)/.installed-test translations
	$(BIN)/python -m tests.web.api_fuzz_deep $(FUZZ_ARGS)

# After changing user-facing text: refresh the French catalogue, then translate the new entries.
extract-messages: $(VENV)/.installed-run
	$(BIN)/pybabel extract --no-location -F babel.cfg -k _l -k lazy_gettext -o app/translations/messages.pot app
	$(BIN)/pybabel update --no-fuzzy-matching -i app/translations/messages.pot -d app/translations

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
