# Two commands: `make run` and `make test`. Both set everything up first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := app
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: run test test-sqlite test-postgresql test-dates install install-test clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-test: requirements.txt requirements-test.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r requirements-test.txt
	touch $@

install: $(VENV)/.installed

# The test-only node packages (a real OpenID provider for the sign-in tests), when npm is here;
# without them those tests skip with a notice (never in CI, where they fail).
tests/oidc/node_modules/.package-lock.json: tests/oidc/package-lock.json
	@if command -v npm >/dev/null 2>&1; then npm ci --prefix tests/oidc --no-audit --no-fund --silent; \
	else echo "NOTICE: npm not found: the OpenID provider tests will skip."; fi

install-test: $(VENV)/.installed-test tests/oidc/node_modules/.package-lock.json node_modules/.package-lock.json

# axe-core for the browser tests' accessibility checks (test-only JavaScript, pinned in package-lock.json).
node_modules/.package-lock.json: package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then npm ci --no-audit --no-fund --silent; \
	else echo "NOTICE: npm not found: the accessibility checks will skip."; fi

run: install
	$(BIN)/flask db upgrade
	$(BIN)/flask seed-demo --if-empty
	$(BIN)/flask run --host 127.0.0.1 --port 5000

# Both passes at the same time (scripts/test-all): SQLite with the browser tests, and PostgreSQL;
# a combined summary, non-zero if either fails or runs no test.
test: install-test
	PYTHON=$(BIN)/python PG_TEST_URL="$(PG_TEST_URL)" scripts/test-all

test-sqlite: install-test
	$(BIN)/python -m pytest -n 2 --durations=20

# The SQLite pass with the wall clock moved to today + 35, + 200 and + 400 days (datefudge).
test-dates: install-test
	PYTHON=$(BIN)/python scripts/test-dates

# The PostgreSQL pass: the register, services, feeds, mail and web tests again
# on PostgreSQL. Skipped with a notice only when no server answers (never in CI).
test-postgresql: install-test
	@if $(BIN)/python tests/pg_available.py "$(PG_TEST_URL)"; then \
		TRACKER_TEST_DATABASE_URL="$(PG_TEST_URL)" $(BIN)/python -m pytest -n 2 --durations=20 --ignore=tests/unit --ignore=tests/browser; \
	elif [ -n "$$CI" ]; then \
		echo "PostgreSQL at $(PG_TEST_URL) does not answer, and CI must run the PostgreSQL pass." >&2; exit 1; \
	else \
		echo "NOTICE: PostgreSQL pass SKIPPED: no server answers at $(PG_TEST_URL)."; \
	fi

clean:
	rm -rf $(VENV) node_modules
