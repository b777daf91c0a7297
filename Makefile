# Two commands: `make run` and `make test`. Both set everything up first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := app
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: run test test-sqlite test-postgresql install install-test clean

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

install-test: $(VENV)/.installed-test

# axe-core for the browser tests' accessibility checks (test-only JavaScript, pinned in package-lock.json).
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

run: install
	$(BIN)/flask db upgrade
	$(BIN)/flask seed-demo --if-empty
	$(BIN)/flask run --host 127.0.0.1 --port 5000

test: install-test test-sqlite test-postgresql

test-sqlite: install-test node_modules/.package-lock.json
	$(BIN)/python -m pytest

# The PostgreSQL pass: the register, services, feeds, mail and web tests again
# on PostgreSQL. Skipped with a notice only when no server answers (never in CI).
test-postgresql: install-test
	@if $(BIN)/python tests/pg_available.py "$(PG_TEST_URL)"; then \
		TRACKER_TEST_DATABASE_URL="$(PG_TEST_URL)" $(BIN)/python -m pytest --ignore=tests/unit --ignore=tests/browser; \
	elif [ -n "$$CI" ]; then \
		echo "PostgreSQL at $(PG_TEST_URL) does not answer, and CI must run the PostgreSQL pass." >&2; exit 1; \
	else \
		echo "NOTICE: PostgreSQL pass SKIPPED: no server answers at $(PG_TEST_URL)."; \
	fi

clean:
	rm -rf $(VENV) node_modules
