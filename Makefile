# Two commands matter: `make run` (set up and serve the demo) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
INSTALLED := $(VENV)/.installed
MO_FILES := app/translations/zh_Hans_CN/LC_MESSAGES/messages.mo app/translations/en/LC_MESSAGES/messages.mo
LOCAL_DB := instance/lawexam.sqlite3
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run serve install translations db demo test test-pg browser bench lint format i18n-update clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(INSTALLED): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(INSTALLED)

# Compiled catalogs are build output, not committed.
app/translations/%/LC_MESSAGES/messages.mo: app/translations/%/LC_MESSAGES/messages.po $(INSTALLED)
	$(BIN)/pybabel compile --use-fuzzy -d app/translations -l $* -i $< -o $@

translations: $(MO_FILES)

db: install
	@new=0; [ -f $(LOCAL_DB) ] || new=1; \
	$(FLASK) db upgrade; \
	if [ $$new = 1 ]; then $(FLASK) demo; \
	else echo "Existing database kept; run '$(FLASK) demo' to (re)print the demo logins."; fi

run: install translations db serve

serve:
	@echo "Serving on http://$(HOST):$(PORT)  (Ctrl-C stops)"
	$(FLASK) run --host $(HOST) --port $(PORT)

demo: install
	$(FLASK) demo

# Debian's Chromium for the browser tests; Playwright drives it, never a downloaded build.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

test: install translations browser
	$(BIN)/ruff check .
	$(BIN)/python scripts/i18n.py check
	$(BIN)/pytest

test-pg: install translations browser
	TEST_DATABASE_URL=$(PG_TEST_URL) $(BIN)/pytest

# Long runs stay out of `make test`; results are recorded in bench/RESULTS.md.
# About 55 minutes: two load tests of BENCH_USERS candidates (~16 min each), the start
# and submit rushes and the killed-worker runs on SQLite and on PostgreSQL ($(BENCH_PG_URL)),
# and two instances on one PostgreSQL with Redis (127.0.0.1:6379) for the limiter.
BENCH_USERS ?= 5000
BENCH_PG_URL ?= $(PG_TEST_URL)
BENCH_INSTALLED := $(VENV)/.installed-bench

$(BENCH_INSTALLED): pyproject.toml $(INSTALLED)
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	touch $@

bench: install translations $(BENCH_INSTALLED)
	$(BIN)/python -m bench.bank_bench
	$(BIN)/python -m bench.report_bench
	$(BIN)/python -m bench.draw_bench
	BENCH_PG_URL=$(BENCH_PG_URL) $(BIN)/python -m bench.load.run --db sqlite --users $(BENCH_USERS)
	BENCH_PG_URL=$(BENCH_PG_URL) $(BIN)/python -m bench.load.run --db postgres --users $(BENCH_USERS)
	BENCH_PG_URL=$(BENCH_PG_URL) $(BIN)/python -m bench.rush --db sqlite
	BENCH_PG_URL=$(BENCH_PG_URL) $(BIN)/python -m bench.rush --db postgres
	BENCH_PG_URL=$(BENCH_PG_URL) $(BIN)/python -m bench.kill_workers --db sqlite
	BENCH_PG_URL=$(BENCH_PG_URL) $(BIN)/python -m bench.kill_workers --db postgres
	BENCH_PG_URL=$(BENCH_PG_URL) $(BIN)/python -m bench.scaleout

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

i18n-update: install
	$(BIN)/python scripts/i18n.py update

clean:
	rm -rf $(VENV) $(MO_FILES) .pytest_cache .ruff_cache .hypothesis
