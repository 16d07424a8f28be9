# casework — common tasks. Each target creates the local virtualenv (.venv) when needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: demo test e2e-deps lint format translations run clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

$(TEST_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

PORT ?= 5000

## demo: install, then run the app and its scheduler on SQLite with demo data at
## http://127.0.0.1:$(PORT) (make demo PORT=5050); Ctrl+C stops both
demo: $(STAMP)
	$(BIN)/casework demo --port $(PORT)

## test: install the test dependencies, then run the whole suite (end-to-end journeys included;
## deselect them with PYTEST_ARGS='-m "not e2e"')
test: $(TEST_STAMP)
	$(BIN)/pytest $(PYTEST_ARGS)

## e2e-deps: axe-core from npm for the end-to-end accessibility checks (Chromium: apt-get install chromium)
e2e-deps: tests/e2e/node_modules/axe-core/axe.min.js

tests/e2e/node_modules/axe-core/axe.min.js: tests/e2e/package.json tests/e2e/package-lock.json
	npm ci --prefix tests/e2e --no-audit --no-fund --loglevel=error
	touch $@

## lint: ruff, and import-linter for the layers (pyproject.toml, docs/architecture.md)
lint: $(TEST_STAMP)
	$(BIN)/ruff check casework tests bench migrations/env.py
	$(BIN)/ruff format --check casework tests bench migrations/env.py
	$(BIN)/lint-imports --no-cache

format: $(TEST_STAMP)
	$(BIN)/ruff check --fix casework tests bench migrations/env.py
	$(BIN)/ruff format casework tests bench migrations/env.py

## translations: extract strings, update the French catalogue, compile it
translations: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output \
	  --project casework -o casework/translations/messages.pot .
	$(BIN)/pybabel update -i casework/translations/messages.pot -d casework/translations -l fr_CA --no-fuzzy-matching --ignore-obsolete
	$(BIN)/pybabel compile -d casework/translations -l fr_CA --statistics

## run: serve an existing database without loading demo data
run: $(STAMP)
	$(BIN)/casework serve

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
